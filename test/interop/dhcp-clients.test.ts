// Real DHCP clients on Node's dgram sockets (see dhcp-clients-suite.ts).
import { dhcpClientsSuite } from "./dhcp-clients-suite.js";

dhcpClientsSuite("node");
