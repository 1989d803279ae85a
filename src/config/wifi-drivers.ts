/**
 * FreeBSD Wi-Fi drivers: the kernel module of each, and the firmware(9)
 * image modules it loads when the interface comes up. After the flip, a
 * wlan bounce (lagg(4) forcing its MAC on wlan0) or a re-association after
 * the cable is pulled may need them again; a module that is not preloaded by
 * the loader is then read from /boot on the NFS root, possibly over the very
 * Wi-Fi that waits for it. So loader.conf.local preloads them.
 *
 * Sources, per entry: the driver's manual page (section 4), and the firmware
 * modules' KMOD names in freebsd-src sys/modules/*fw and sys/modules/usb/*fw
 * (main, read 2026-12: iwnfw, iwmfw, rtwnfw, ralfw, otusfw, ipwfw, iwifw,
 * mwlfw, wpifw, usb/runfw, usb/rsufw). Older releases may lack the newest
 * images (iwm9560fw, rtwn-rtl8723bufw). A driver not listed, or listed as
 * "unknown", gets no firmware line, and `check` asks for wifi.firmware.
 * ipw(4) and iwi(4) firmware also needs the site's own license
 * acknowledgement in loader.conf (legal.intel_ipw.license_ack=1,
 * legal.intel_iwi.license_ack=1): laggboot does not accept a licence for
 * the site.
 */

export type FirmwareNeed =
  /** No firmware(9) image: the code is in the driver, or the chip needs none. */
  | { readonly kind: "none"; readonly why: string }
  /** Always these modules. */
  | { readonly kind: "fixed"; readonly modules: readonly string[] }
  /** One of these, depending on the chip: the site names it (wifi.firmware). */
  | { readonly kind: "chip"; readonly candidates: readonly string[] }
  /** laggboot does not know (ports firmware, LinuxKPI, special loaders). */
  | { readonly kind: "unknown"; readonly why: string };

export interface WifiDriver {
  /** The kernel module: if_<driver>.ko unless it is named otherwise. */
  readonly module: string;
  readonly firmware: FirmwareNeed;
  /** Where the facts come from. */
  readonly source: string;
}

const none = (why: string): FirmwareNeed => ({ kind: "none", why });
const fixed = (...modules: string[]): FirmwareNeed => ({ kind: "fixed", modules });
const chip = (...candidates: string[]): FirmwareNeed => ({ kind: "chip", candidates });
const unknown = (why: string): FirmwareNeed => ({ kind: "unknown", why });

const DRIVERS: Readonly<Record<string, WifiDriver>> = {
  ath: { module: "if_ath", firmware: none("the Atheros HAL is code in the driver"), source: "ath(4), ath_hal(4)" },
  bwi: { module: "if_bwi", firmware: unknown("firmware comes from the ports (net/bwi-firmware-kmod)"), source: "bwi(4)" },
  bwn: { module: "if_bwn", firmware: unknown("firmware comes from the ports (net/bwn-firmware-kmod)"), source: "bwn(4)" },
  ipw: { module: "if_ipw", firmware: fixed("ipw_bss"), source: "ipw(4), ipwfw(4): ipw_bss for infrastructure mode; needs legal.intel_ipw.license_ack=1" },
  iwi: { module: "if_iwi", firmware: fixed("iwi_bss"), source: "iwi(4), iwifw(4): iwi_bss for infrastructure mode; needs legal.intel_iwi.license_ack=1" },
  iwlwifi: { module: "if_iwlwifi", firmware: unknown("a LinuxKPI driver: chip-dependent firmware from the wifi-firmware-iwlwifi-kmod packages"), source: "iwlwifi(4)" },
  iwm: {
    module: "if_iwm",
    firmware: chip("iwm3160fw", "iwm3168fw", "iwm7260fw", "iwm7265fw", "iwm7265Dfw", "iwm8000Cfw", "iwm8265fw", "iwm9000fw", "iwm9260fw", "iwm9560fw"),
    source: "iwm(4), iwmfw(4)",
  },
  iwn: {
    module: "if_iwn",
    firmware: chip("iwn1000fw", "iwn100fw", "iwn105fw", "iwn135fw", "iwn2000fw", "iwn2030fw", "iwn4965fw", "iwn5000fw", "iwn5150fw",
      "iwn6000fw", "iwn6000g2afw", "iwn6000g2bfw", "iwn6050fw"),
    source: "iwn(4), iwnfw(4)",
  },
  malo: { module: "if_malo", firmware: unknown("its firmware module name is not known to laggboot"), source: "malo(4)" },
  mtw: { module: "if_mtw", firmware: unknown("its firmware module name is not known to laggboot"), source: "mtw(4) (FreeBSD 14.1 and later)" },
  mwl: { module: "if_mwl", firmware: fixed("mw88W8363fw"), source: "mwl(4), mwlfw(4): the module mw88W8363fw holds the mw88W8363 and mwlboot images" },
  otus: { module: "if_otus", firmware: fixed("otusfw_init", "otusfw_main"), source: "otus(4), otusfw(4)" },
  ral: { module: "if_ral", firmware: chip("rt2561fw", "rt2561sfw", "rt2661fw", "rt2860fw"), source: "ral(4), ralfw(4): RT2560 chips need none" },
  rsu: { module: "if_rsu", firmware: fixed("rsu-rtl8712fw"), source: "rsu(4), rsufw(4)" },
  rtwn: {
    module: "if_rtwn_pci",
    firmware: chip("rtwn-rtl8188eefw", "rtwn-rtl8188eufw", "rtwn-rtl8192cfwE", "rtwn-rtl8192cfwE_B", "rtwn-rtl8192cfwT", "rtwn-rtl8192cfwU",
      "rtwn-rtl8192cfwU_B", "rtwn-rtl8192eufw", "rtwn-rtl8723bufw", "rtwn-rtl8812aufw", "rtwn-rtl8821aufw"),
    source: "rtwn(4), rtwnfw(4)",
  },
  rum: { module: "if_rum", firmware: none("the RT2573 microcode is built into the driver"), source: "rum(4)" },
  run: { module: "if_run", firmware: fixed("runfw"), source: "run(4), runfw(4)" },
  uath: { module: "if_uath", firmware: unknown("uathload(8) uploads its firmware from a file, not a module"), source: "uath(4), uathload(8)" },
  upgt: { module: "if_upgt", firmware: unknown("firmware comes from the ports (net/upgt-firmware-kmod)"), source: "upgt(4)" },
  ural: { module: "if_ural", firmware: none("the RT2500USB chip needs no firmware"), source: "ural(4)" },
  urtw: { module: "if_urtw", firmware: none("the RTL8187 chip needs no firmware"), source: "urtw(4)" },
  wpi: { module: "if_wpi", firmware: fixed("wpifw"), source: "wpi(4), wpifw(4)" },
  zyd: { module: "if_zyd", firmware: none("the ZD1211 firmware is built into the driver"), source: "zyd(4)" },
};

/** The driver of a Wi-Fi parent device name (iwn0 -> iwn). */
export function wifiDriverName(parent: string): string {
  return parent.replace(/[0-9]+$/, "");
}

/** What laggboot knows of a Wi-Fi parent's driver; an unknown one gets if_<driver> and unknown firmware. */
export function wifiDriver(parent: string): WifiDriver {
  const name = wifiDriverName(parent);
  return Object.prototype.hasOwnProperty.call(DRIVERS, name)
    ? DRIVERS[name]!
    : { module: `if_${name}`, firmware: unknown(`${name} is not in laggboot's table of Wi-Fi drivers`), source: "-" };
}

/** The firmware modules to preload: the site's wifi.firmware, else the table's fixed list. */
export function firmwareModules(parent: string, siteChoice: readonly string[] | undefined): readonly string[] {
  if (siteChoice !== undefined) return siteChoice;
  const fw = wifiDriver(parent).firmware;
  return fw.kind === "fixed" ? fw.modules : [];
}
