// Real TFTP clients against the native data path (see tftp-clients-suite.ts).
import { tftpClientsSuite } from "./tftp-clients-suite.js";
import { requireNative } from "../support/native-guard.js";

if (requireNative()) tftpClientsSuite("native", "198.18.78");
