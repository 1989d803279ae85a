/*
 * laggboot's native DHCP socket (N-API addon, Linux).
 *
 * One object per DHCP socket (the wildcard :67, one per server address, the
 * ProxyDHCP :4011; see src/servers/dhcp/sockets.ts). It creates and binds a
 * non-blocking UDP socket itself and watches it with a uv_poll handle in
 * Node's own event loop: no threads.
 *
 * Receive: on each readable wake-up one recvmmsg(MSG_DONTWAIT) takes up to
 * BATCH datagrams into a ring JS handed over at construction (a Buffer of
 * BATCH slots of `slot` bytes, and a Uint32Array of 4 words per slot:
 * length, source IPv4 as a host-order uint32, source port, flags), then JS
 * is called ONCE with the count. JS copies each datagram out before the next
 * wake-up. A datagram longer than its slot is cut and flagged (FLAG_TRUNC).
 * The poll is level-triggered, so a burst longer than one batch wakes the
 * loop again.
 *
 * Send: sendto(MSG_DONTWAIT), returning 0 or -errno at once: no request
 * objects, no callbacks. When the send buffer is full (-EAGAIN/-ENOBUFS) JS
 * may call waitWritable(): the poll then also watches for POLLOUT and calls
 * JS once with count -1 when the socket can take more.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "napi_common.h"

#define BATCH_MAX 64
#define FLAG_TRUNC 1

typedef struct {
  napi_env env;
  napi_ref self_ref, cb_ref, ring_ref, meta_ref;
  napi_async_context actx;
  uv_poll_t *poll;
  /* Receive coalescing (see on_poll): while traffic flows, drain on this timer instead of per datagram. */
  uv_timer_t *timer;
  uint64_t coalesce_ms;
  int coalescing;
  int sock, closed, want_writable;
  uint8_t *ring;
  uint32_t *meta;
  uint32_t batch, slot;
} dsock_t;

static const char *errno_name(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case ENODEV: return "ENODEV";
    default: return "EIO";
  }
}

/* Throws an Error with .code (the errno name), .errno (-errno) and .syscall. */
static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, errno_name(err), strerror(err));
  napi_value code, text, e, num, sc;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &e);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, e, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  napi_throw(env, e);
  return NULL;
}

static void call_js(dsock_t *s, int count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value arg;
  napi_create_int32(env, count, &arg);
  call_back(env, s->actx, s->self_ref, s->cb_ref, 1, &arg);
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events);

static void restart_poll(dsock_t *s) {
  if (s->closed || !s->poll) return;
  int events = (s->coalescing ? 0 : UV_READABLE) | (s->want_writable ? UV_WRITABLE : 0);
  if (events == 0) uv_poll_stop(s->poll);
  else uv_poll_start(s->poll, events, on_poll);
}

/* Takes what is queued (up to one batch) and hands it to JS: the count, 0 when nothing was there. */
static int drain(dsock_t *s) {
  struct mmsghdr msgs[BATCH_MAX];
  struct iovec iov[BATCH_MAX];
  struct sockaddr_in from[BATCH_MAX];
  memset(msgs, 0, sizeof(struct mmsghdr) * s->batch);
  for (uint32_t i = 0; i < s->batch; i++) {
    iov[i].iov_base = s->ring + (size_t)i * s->slot;
    iov[i].iov_len = s->slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  int n;
  do {
    n = recvmmsg(s->sock, msgs, s->batch, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      /* A pending socket error (an ICMP report): clear it so the poll does not spin. */
      int e = 0;
      socklen_t l = sizeof e;
      getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &e, &l);
    }
    return 0;
  }
  if (n == 0) return 0;
  for (int i = 0; i < n; i++) {
    uint32_t *m = s->meta + 4 * (size_t)i;
    uint32_t len = msgs[i].msg_len;
    int trunc = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    m[0] = len > s->slot ? s->slot : len;
    if (msgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in) && from[i].sin_family == AF_INET) {
      m[1] = ntohl(from[i].sin_addr.s_addr);
      m[2] = ntohs(from[i].sin_port);
    } else {
      m[1] = 0;
      m[2] = 0;
    }
    m[3] = trunc ? FLAG_TRUNC : 0;
  }
  call_js(s, n);
  return n;
}

/*
 * Receive coalescing, like a NIC's interrupt moderation. The first datagram
 * after a quiet spell is handed over at once. While datagrams keep coming,
 * the socket is not watched per datagram: a timer of coalesce_ms drains
 * whatever arrived meanwhile in one batch, so each wake-up of the process
 * (the scheduler, epoll, a cold cache, one call into JS) serves several
 * requests instead of one. A drain of more than half a batch means the
 * traffic is dense enough that each wake-up serves many datagrams anyway:
 * the poll takes over again (a burst is never held behind the timer, and a
 * saturated server never idles through a window). A timer that finds
 * nothing ends the spell. A datagram waits at most coalesce_ms longer than it would have.
 */
static void on_timer(uv_timer_t *t);

static void after_drain(dsock_t *s, int n) {
  if (s->closed) return;
  int coalesce = s->coalesce_ms > 0 && n > 0 && (uint32_t)n * 2 <= s->batch;
  if (coalesce) {
    if (!s->coalescing) {
      s->coalescing = 1;
      restart_poll(s);
    }
    uv_timer_start(s->timer, on_timer, s->coalesce_ms, 0);
  } else if (s->coalescing) {
    s->coalescing = 0;
    restart_poll(s);
  }
}

static void on_timer(uv_timer_t *t) {
  dsock_t *s = t->data;
  if (!s || s->closed) return;
  after_drain(s, drain(s));
}

static void on_poll(uv_poll_t *h, int status, int events) {
  dsock_t *s = h->data;
  if (!s || s->closed) return;
  if (events & UV_WRITABLE) {
    s->want_writable = 0;
    restart_poll(s);
    call_js(s, -1);
    if (s->closed) return;
  }
  if ((events & UV_READABLE) || status < 0) after_drain(s, drain(s));
}

static void free_timer(uv_handle_t *h) { free(h); }

static void do_close(dsock_t *s) {
  if (s->closed) return;
  s->closed = 1;
  close_poll(&s->poll);
  if (s->timer) {
    uv_timer_stop(s->timer);
    s->timer->data = NULL;
    uv_close((uv_handle_t *)s->timer, free_timer);
    s->timer = NULL;
  }
  if (s->sock >= 0) close(s->sock);
  s->sock = -1;
  s->ring = NULL;
  s->meta = NULL;
  napi_delete_reference(s->env, s->cb_ref);
  napi_delete_reference(s->env, s->ring_ref);
  napi_delete_reference(s->env, s->meta_ref);
  napi_delete_reference(s->env, s->self_ref);
  napi_async_destroy(s->env, s->actx);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  dsock_t *s = data;
  do_close(s);
  free(s);
}

/* An IPv4 address given as a dotted string or a host-order uint32. */
static int addr_of(napi_env env, napi_value v, struct in_addr *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_number) {
    uint32_t a = 0;
    napi_get_value_uint32(env, v, &a);
    out->s_addr = htonl(a);
    return 0;
  }
  char str[64];
  size_t len;
  if (napi_get_value_string_utf8(env, v, str, sizeof str, &len) != napi_ok) return -1;
  return inet_pton(AF_INET, str, out) == 1 ? 0 : -1;
}

/* An IPv4 socket address from a JS address and port; -1 if the address is not IPv4. */
static int sockaddr_of(napi_env env, napi_value address, napi_value port, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)num(env, port));
  return addr_of(env, address, &sa->sin_addr);
}

/* new Socket(bindAddress, port, recvBufferBytes (0: kernel default), ring: Buffer, meta: Uint32Array, slotBytes, onWake) */
static napi_value ctor(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "Socket: 7 arguments expected");
    return NULL;
  }
  struct sockaddr_in local;
  if (sockaddr_of(env, argv[0], argv[1], &local) < 0) {
    napi_throw_type_error(env, NULL, "Socket: an IPv4 address expected");
    return NULL;
  }
  void *ring, *meta;
  size_t ring_len, meta_len;
  napi_typedarray_type type;
  uint32_t slot = (uint32_t)num(env, argv[5]);
  if (napi_get_buffer_info(env, argv[3], &ring, &ring_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[4], &type, &meta_len, &meta, NULL, NULL) != napi_ok || type != napi_uint32_array ||
      slot < 1 || ring_len / slot < 1 || meta_len / 4 < ring_len / slot) {
    napi_throw_type_error(env, NULL, "Socket: ring must hold whole slots and meta 4 words per slot");
    return NULL;
  }
  uint32_t batch = (uint32_t)(ring_len / slot);
  if (batch > BATCH_MAX) batch = BATCH_MAX;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  int rcvbuf = (int)num(env, argv[2]);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0 ||
      (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt", e);
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  dsock_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  s->env = env;
  s->sock = fd;
  s->ring = ring;
  s->meta = meta;
  s->batch = batch;
  s->slot = slot;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  s->poll = malloc(sizeof *s->poll);
  s->timer = malloc(sizeof *s->timer);
  if (!s->poll || !s->timer || uv_poll_init_socket(loop, s->poll, fd) != 0) {
    free(s->poll);
    free(s->timer);
    close(fd);
    free(s);
    napi_throw_error(env, NULL, "uv_poll_init failed");
    return NULL;
  }
  napi_create_reference(env, argv[3], 1, &s->ring_ref);
  napi_create_reference(env, argv[4], 1, &s->meta_ref);
  napi_create_reference(env, argv[6], 1, &s->cb_ref);
  napi_value name;
  napi_create_string_utf8(env, "laggboot:dhcp-native", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &s->actx);
  s->poll->data = s;
  uv_timer_init(loop, s->timer);
  s->timer->data = s;
  uv_poll_start(s->poll, UV_READABLE, on_poll);
  napi_wrap(env, self, s, finalize, NULL, NULL);
  /* Kept alive while open: the poll handle points at it. */
  napi_create_reference(env, self, 1, &s->self_ref);
  return self;
}

/* send(buffer, address (dotted string or uint32), port): 0 or -errno. */
static napi_value m_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  dsock_t *s = unwrap(env, info, &argc, argv);
  if (!s || s->closed) return ret_int(env, -EBADF);
  void *p;
  size_t len;
  if (napi_get_buffer_info(env, argv[0], &p, &len) != napi_ok) {
    /* A Uint8Array that is not a Buffer. */
    napi_typedarray_type type;
    napi_value ab;
    size_t off;
    if (napi_get_typedarray_info(env, argv[0], &type, &len, &p, &ab, &off) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "send: a Uint8Array expected");
      return NULL;
    }
  }
  struct sockaddr_in to;
  if (sockaddr_of(env, argv[1], argv[2], &to) < 0) return ret_int(env, -EINVAL);
  ssize_t r;
  do {
    r = sendto(s->sock, p, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  } while (r < 0 && errno == EINTR);
  return ret_int(env, r < 0 ? -errno : 0);
}

/* waitWritable(): call back once (count -1) when the socket can take more datagrams. */
static napi_value m_wait_writable(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dsock_t *s = unwrap(env, info, &argc, NULL);
  if (s && !s->closed && !s->want_writable) {
    s->want_writable = 1;
    restart_poll(s);
  }
  return NULL;
}

/* coalesce(ms): the receive coalescing window (see after_drain); 0 turns it off. */
static napi_value m_coalesce(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  dsock_t *s = unwrap(env, info, &argc, argv);
  if (!s || s->closed || argc < 1) return NULL;
  double ms = num(env, argv[0]);
  s->coalesce_ms = ms > 0 && ms <= 1000 ? (uint64_t)ms : 0;
  if (s->coalesce_ms == 0 && s->coalescing) {
    uv_timer_stop(s->timer);
    s->coalescing = 0;
    restart_poll(s);
  }
  return NULL;
}

static napi_value m_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dsock_t *s = unwrap(env, info, &argc, NULL);
  if (s) do_close(s);
  return NULL;
}

/* localAddress(): [host-order IPv4, port], or [0, 0] once closed. */
static napi_value m_local(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dsock_t *s = unwrap(env, info, &argc, NULL);
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  if (s && s->sock >= 0) getsockname(s->sock, (struct sockaddr *)&sa, &len);
  napi_value arr, a, p;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_uint32(env, ntohl(sa.sin_addr.s_addr), &a);
  napi_create_uint32(env, ntohs(sa.sin_port), &p);
  napi_set_element(env, arr, 0, a);
  napi_set_element(env, arr, 1, p);
  return arr;
}

static napi_value m_recv_buffer_size(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  dsock_t *s = unwrap(env, info, &argc, NULL);
  int v = 0;
  socklen_t l = sizeof v;
  if (!s || s->sock < 0 || getsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &v, &l) < 0) v = 0;
  return ret_int(env, v);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"send", NULL, m_send, NULL, NULL, NULL, napi_default, NULL},
      {"waitWritable", NULL, m_wait_writable, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, m_close, NULL, NULL, NULL, napi_default, NULL},
      {"coalesce", NULL, m_coalesce, NULL, NULL, NULL, napi_default, NULL},
      {"localAddress", NULL, m_local, NULL, NULL, NULL, napi_default, NULL},
      {"recvBufferSize", NULL, m_recv_buffer_size, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, batch_max;
  napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, ctor, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "Socket", cls);
  napi_create_uint32(env, BATCH_MAX, &batch_max);
  napi_set_named_property(env, exports, "batchMax", batch_max);
  return exports;
}
