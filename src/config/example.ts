/**
 * The example inventory `laggboot init` writes: the seed recipe's site
 * (one FreeBSD laptop with re0 + ath0 booting from an NFS root), plus a
 * shared-root client, a plain PXE client, a relayed network and (commented
 * out) a diskless Linux client, on the
 * benchmarking range 198.18.0.0/15 so nothing collides with a real LAN.
 */
export const EXAMPLE_INVENTORY = `# laggboot inventory: one boot server and its diskless clients.
# Check it with "laggboot check", render files with "laggboot render TARGET".
# Reference: README.md (Inventory reference) and docs/laggboot.schema.json.
version: 1

server:
  # The boot server's primary address: TFTP next-server and NFS server.
  address: 198.18.0.1
  networks:
    # The LAN the clients boot on, attached directly to the server.
    - name: lan
      prefix: 198.18.0.0/24
      serverAddress: 198.18.0.1
      gateway: 198.18.0.254
      dns: [198.18.0.1]
      domain: lab.example
      # A dynamic pool is off unless you give one. Diskless clients need
      # reservations (the FreeBSD loader never renews its lease).
      # pool: { first: 198.18.0.200, last: 198.18.0.249 }
    # A network that reaches this server through a DHCP relay (giaddr).
    - name: lab2
      prefix: 198.19.5.0/24
      relayed: true
      gateway: 198.19.5.1
      dns: [198.18.0.1]
      domain: lab2.example
  dhcp:
    mode: full            # full: laggboot assigns addresses; proxy: boot files only
  tftp:
    root: /srv/tftp
    bootFiles:
      bios: pxeboot       # option 93 = 0
      x64Uefi: loader.efi # option 93 = 7 and 9
    ipxeScript: boot.ipxe # for clients already running iPXE
  # The same files over HTTP as well: iPXE then fetches its script, kernel and
  # initrd over HTTP, and UEFI HTTP Boot firmware is answered (docs/http-boot.md).
  # httpBoot: { port: 80 }
  nfs:
    rootsDir: /srv/diskless
  http:
    address: 127.0.0.1    # status API, metrics, dashboard
    port: 8067

# Settings shared by every client of a kind; a client overrides any of them.
defaults:
  freebsd-lagg:
    freebsdRelease: 14
    wifi:
      parent: ath0
      wlan: wlan0
      ssid: "Home Network"
      passphraseFile: /usr/local/etc/laggboot/wifi.psk

clients:
  # The seed recipe's laptop: its own read-write root, wired re0 + Wi-Fi ath0.
  - name: client
    kind: freebsd-lagg
    ip: 198.18.0.10
    macs: [00:1e:68:aa:bb:cc]   # the wired NIC first
    wired: re0
    wifi:
      passphrase: "correct horse battery staple"
    root:
      layout: own               # root at /srv/diskless/client
    lagg:
      wiredPrimary: true        # the cable is the failover master

  # Two desktops sharing one read-only root; per-client files go to conf/<ip>/.
  # iwn(4) firmware depends on the chip: name it, so the loader preloads it.
  - name: desk1
    kind: freebsd-lagg
    ip: 198.18.0.21
    macs: [00:1e:68:00:00:21]
    wired: em0
    wifi: { parent: iwn0, firmware: [iwn6000g2afw], passphrase: "desk one passphrase" }
    root: { layout: shared, path: /srv/diskless/shared }
  - name: desk2
    kind: freebsd-lagg
    ip: 198.18.0.22
    macs: [00:1e:68:00:00:22, 00:1e:68:00:01:22]   # a second NIC that keeps its own MAC
    wired: em0
    wifi: { parent: iwn0, firmware: [iwn6000g2afw], passphrase: "desk two passphrase" }
    root: { layout: shared, path: /srv/diskless/shared }

  # Any other PXE client: an address and a boot file (here an iPXE script).
  - name: kiosk
    kind: pxe
    ip: 198.19.5.30
    macs: [52:54:00:00:05:30]
    ipxeScript: kiosk.ipxe

  # A diskless Linux client (docs/linux-clients.md): its root's path is an
  # active-backup bond of the wired NIC and a second NIC, built by the
  # initramfs; laggboot serves its iPXE script, laggboot/tux.ipxe.
  # - name: tux
  #   kind: lagg
  #   os: linux
  #   ip: 198.18.0.40
  #   macs: [52:54:00:00:00:40]           # the wired NIC: the bond takes its MAC
  #   backup: { mac: 52:54:00:00:01:40 }
  #   boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img }
`;
