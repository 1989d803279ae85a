// The DHCP socket adapter suite on Node's dgram sockets (see dhcp-server-suite.ts).
import { dhcpServerSuite } from "./dhcp-server-suite.js";

dhcpServerSuite("node");
