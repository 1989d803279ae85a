// Real DHCP clients on the native DHCP socket layer (see dhcp-clients-suite.ts).
import { dhcpClientsSuite } from "./dhcp-clients-suite.js";
import { requireNativeDhcp } from "../support/native-guard.js";

if (requireNativeDhcp()) dhcpClientsSuite("native");
