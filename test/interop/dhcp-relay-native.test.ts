// Relayed DHCP on the native DHCP socket layer (see dhcp-relay-suite.ts).
import { dhcpRelaySuite } from "./dhcp-relay-suite.js";
import { requireNativeDhcp } from "../support/native-guard.js";

if (requireNativeDhcp()) dhcpRelaySuite("native");
