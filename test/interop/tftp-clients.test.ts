// Real TFTP clients against the pure-Node data path (see tftp-clients-suite.ts).
import { tftpClientsSuite } from "./tftp-clients-suite.js";

tftpClientsSuite("node", "198.18.77");
