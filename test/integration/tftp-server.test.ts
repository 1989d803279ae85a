// The TFTP server suite on the pure-Node data path (see tftp-server-suite.ts).
import { tftpServerSuite } from "./tftp-server-suite.js";

tftpServerSuite("node");
