// The TFTP server suite on the native data path (see tftp-server-suite.ts).
import { tftpServerSuite } from "./tftp-server-suite.js";
import { requireNative } from "../support/native-guard.js";

if (requireNative()) tftpServerSuite("native");
