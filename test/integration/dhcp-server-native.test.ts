// The DHCP socket adapter suite on the native DHCP socket layer (see dhcp-server-suite.ts).
import { dhcpServerSuite } from "./dhcp-server-suite.js";
import { requireNativeDhcp } from "../support/native-guard.js";

if (requireNativeDhcp()) dhcpServerSuite("native");
