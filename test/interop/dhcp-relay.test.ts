// Relayed DHCP on Node's dgram sockets (see dhcp-relay-suite.ts).
import { dhcpRelaySuite } from "./dhcp-relay-suite.js";

dhcpRelaySuite("node");
