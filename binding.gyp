{
  "targets": [
    {
      "target_name": "laggboot_tftp",
      "sources": ["native/tftp_data.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "laggboot_dhcp",
      "sources": ["native/dhcp_sock.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
