/*
 * laggboot's native TFTP data path (N-API addon, Linux).
 *
 * One object per read transfer. It owns the transfer socket (UDP, bound to
 * the server address, connected to the client's port) and watches it with a
 * uv_poll handle inside Node's own event loop: no threads.
 *
 * The protocol stays in JavaScript (src/protocol/tftp/sender.ts). JS grants
 * this side one narrow job: "while the transfer is in the sending phase with
 * acked = A, sent = S, window W, you may answer a new ACK by sending the next
 * window, as long as that window ends at or before block `limit`" (and,
 * right after a retransmission, "but hand me the next ACK"). For each
 * ACK it takes, it appends (ACK block, time, first, last) to a log that JS
 * replays through the Sender, which checks that it would have sent the same
 * window. Everything else -- a duplicate or stale ACK, an ERROR or any other
 * packet, the window with the final block, a full log, a read error, the
 * client gone -- revokes the grant and is handed to JS as an event.
 * Retransmission timing is JS's too: it reads the log when its timer fires.
 *
 * Blocks are read with preadv straight into packet buffers (4-byte header
 * then data; one buffer of the window or 128 KiB, at most 64 blocks, read
 * ahead and reused) from a file descriptor JS
 * opened behind the path jail; this file never opens a path. They leave with
 * one sendmmsg per 64 blocks, or with UDP GSO (one sendmsg, UDP_SEGMENT)
 * when asked for.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "napi_common.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define OP_DATA 3
#define OP_ACK 4
#define RECV_BATCH 16
/* A read transfer's client sends ACKs (4 bytes) and ERRORs (at most 516 with
 * a 512-byte message); longer datagrams are cut, which is harmless. */
#define RECV_BYTES 1024
/* Blocks per preadv + sendmmsg: the send buffer holds at most this many. */
#define GROUP 64
/* Largest UDP payload of one GSO send, and most segments (the kernel's UDP_MAX_SEGMENTS is 64 before 6.x). */
#define GSO_MAX_BYTES 65000
#define GSO_MAX_SEGMENTS 64

enum { EV_ACK = 1, EV_PACKET = 2, EV_LOG_FULL = 3, EV_GONE = 4 };
enum { R_SHORT = -1, R_READ_ERROR = -2, R_GONE = -3 };

typedef struct {
  napi_env env;
  napi_ref self_ref, cb_ref, log_ref;
  napi_async_context actx;
  uv_poll_t *poll;
  int sock, file, closed, gso;
  int last_errno;
  double size;
  double *log;
  uint32_t log_cap;
  /* The grant (see the top of the file). */
  int granted, hand_back_next;
  uint64_t acked, sent, limit;
  uint32_t window, bs;
  /* Read-ahead buffer of ready packets (see ensure_buf). */
  uint8_t *buf;
  size_t cap;
  uint64_t cache_first;
  uint32_t cache_n, cache_bs;
} xfer_t;

static uint8_t rbuf[RECV_BATCH][RECV_BYTES];

/*
 * Spin-then-sleep. After answering an ACK on the fast path, the next ACK of a
 * lockstep or windowed transfer usually arrives within tens of microseconds;
 * going back to epoll in between lets this vCPU halt, and waking it again
 * costs more than the packet (on this VM it halves lockstep throughput for
 * every server). So, while this is the only open native transfer (with more,
 * the loop has other sockets to serve), keep reading the socket for up to
 * spin_us after the last ACK answered, and at most SPIN_MAX_US per callback,
 * so the event loop is never held longer than that. LAGGBOOT_TFTP_SPIN_US=0
 * turns it off.
 */
#define SPIN_DEFAULT_US 200
#define SPIN_MAX_US 2000
static double spin_us = SPIN_DEFAULT_US;
static int open_transfers = 0;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, e;
  const char *name = err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &e);
  napi_throw(env, e);
  return NULL;
}

/* Hands one event to JS (kind, number, optional copy of the datagram). */
static void emit(xfer_t *t, int kind, double value, const uint8_t *p, size_t len) {
  napi_env env = t->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[3];
  napi_create_int32(env, kind, &argv[0]);
  napi_create_double(env, value, &argv[1]);
  if (p) {
    void *d;
    napi_create_buffer_copy(env, len, p, &d, &argv[2]);
  } else {
    napi_get_undefined(env, &argv[2]);
  }
  call_back(env, t->actx, t->self_ref, t->cb_ref, 3, argv);
  napi_close_handle_scope(env, scope);
}

/*
 * The buffer holds blocks cache_first .. cache_first + cache_n - 1 as ready
 * packets (stride bs + 4). Its size: the window, and at least what fits in
 * READ_AHEAD_BYTES, at most GROUP blocks (94 KiB at blksize 1468), so in
 * lockstep one preadv serves many blocks.
 */
#define READ_AHEAD_BYTES (128 * 1024)

static int ensure_buf(xfer_t *t, uint32_t bs) {
  uint32_t stride = bs + 4;
  uint32_t blocks = READ_AHEAD_BYTES / stride;
  if (blocks < t->window) blocks = t->window;
  if (blocks > GROUP) blocks = GROUP;
  if (blocks < 1) blocks = 1;
  size_t need = (size_t)blocks * stride;
  if (t->cache_bs != bs) t->cache_n = 0;
  if (t->cap >= need && t->cache_bs == bs) return 0;
  uint8_t *b = realloc(t->buf, need > t->cap ? need : t->cap);
  if (!b) return -1;
  t->buf = b;
  if (need > t->cap) t->cap = need;
  t->cache_bs = bs;
  t->cache_n = 0;
  return 0;
}

/* Sends n packets from `base` (stride apart, the last `tail` bytes long). */
static int send_group(xfer_t *t, uint8_t *base, uint32_t n, uint32_t stride, uint32_t tail) {
  if (t->gso && n > 1) {
    /* One datagram per segment of gso_size bytes; only the last may be shorter. */
    uint32_t per = GSO_MAX_BYTES / stride;
    if (per > GSO_MAX_SEGMENTS) per = GSO_MAX_SEGMENTS;
    for (uint32_t k = 0; k < n; k += per) {
      uint32_t m = n - k < per ? n - k : per;
      size_t bytes = (size_t)(m - 1) * stride + (k + m == n ? tail : stride);
      struct iovec iov = {base + (size_t)k * stride, bytes};
      char ctl[CMSG_SPACE(sizeof(uint16_t))];
      struct msghdr mh = {0};
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      if (m > 1) {
        memset(ctl, 0, sizeof ctl);
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t seg = (uint16_t)stride;
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
      }
      if (sendmsg(t->sock, &mh, 0) < 0) {
        if (errno == ECONNREFUSED) return R_GONE;
        if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT) {
          t->gso = 0; /* no GSO on this path: sendmmsg from now on */
          return send_group(t, base + (size_t)k * stride, n - k, stride, tail);
        }
        /* EAGAIN/ENOBUFS: the datagrams are lost; the retransmission timer recovers. */
      }
    }
    return 0;
  }
  struct mmsghdr msgs[GROUP];
  struct iovec iov[GROUP];
  memset(msgs, 0, sizeof(struct mmsghdr) * n);
  for (uint32_t k = 0; k < n; k++) {
    iov[k].iov_base = base + (size_t)k * stride;
    iov[k].iov_len = k + 1 == n ? tail : stride;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
  }
  uint32_t done = 0;
  while (done < n) {
    int r = sendmmsg(t->sock, msgs + done, n - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNREFUSED) return R_GONE;
      break; /* lost, as above */
    }
    done += (uint32_t)r;
  }
  return 0;
}

/* Data bytes of block i (the final block is short, possibly empty). */
static size_t block_len(uint64_t i, uint32_t bs, uint64_t size) {
  uint64_t start = (i - 1) * bs;
  return start >= size ? 0 : (size - start < bs ? (size_t)(size - start) : bs);
}

/* Reads blocks from g on into the buffer (as many as it holds, up to the final block). */
static int fill(xfer_t *t, uint64_t g, uint32_t bs) {
  uint32_t stride = bs + 4;
  uint64_t size = (uint64_t)t->size;
  uint64_t final = size / bs + 1;
  uint32_t n = (uint32_t)(t->cap / stride);
  if (final - g + 1 < n) n = (uint32_t)(final - g + 1);
  struct iovec iov[GROUP];
  size_t want = 0;
  int niov = 0;
  t->cache_n = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint64_t i = g + k;
    uint8_t *p = t->buf + (size_t)k * stride;
    p[0] = 0;
    p[1] = OP_DATA;
    p[2] = (uint8_t)((i & 0xffff) >> 8);
    p[3] = (uint8_t)(i & 0xff);
    size_t len = block_len(i, bs, size);
    if (len > 0) {
      iov[niov].iov_base = p + 4;
      iov[niov].iov_len = len;
      niov++;
    }
    want += len;
  }
  size_t got = 0;
  uint64_t pos = (g - 1) * bs;
  while (got < want) {
    /* Resume after a short read without losing the iovec layout. */
    struct iovec part[GROUP];
    int np = 0;
    size_t skip = got;
    for (int k = 0; k < niov; k++) {
      if (skip >= iov[k].iov_len) {
        skip -= iov[k].iov_len;
        continue;
      }
      part[np].iov_base = (uint8_t *)iov[k].iov_base + skip;
      part[np].iov_len = iov[k].iov_len - skip;
      skip = 0;
      np++;
    }
    ssize_t r = preadv(t->file, part, np, (off_t)(pos + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      t->last_errno = errno;
      return R_READ_ERROR;
    }
    if (r == 0) return R_SHORT; /* the file shrank under us */
    got += (size_t)r;
  }
  t->cache_first = g;
  t->cache_n = n;
  return 0;
}

/* Sends blocks first..last (absolute indexes) at block size bs, reading ahead as needed. */
static int send_blocks(xfer_t *t, uint64_t first, uint64_t last, uint32_t bs) {
  if (ensure_buf(t, bs) < 0) {
    t->last_errno = ENOMEM;
    return R_READ_ERROR;
  }
  uint32_t stride = bs + 4;
  uint64_t size = (uint64_t)t->size;
  for (uint64_t g = first; g <= last;) {
    if (t->cache_n == 0 || g < t->cache_first || g >= t->cache_first + t->cache_n) {
      int r = fill(t, g, bs);
      if (r < 0) return r;
    }
    uint64_t end = t->cache_first + t->cache_n - 1;
    if (end > last) end = last;
    uint32_t n = (uint32_t)(end - g + 1);
    int s = send_group(t, t->buf + (size_t)(g - t->cache_first) * stride, n, stride, (uint32_t)block_len(end, bs, size) + 4);
    if (s < 0) return s;
    g = end + 1;
  }
  return 0;
}

/* The one decision this side makes: a new ACK whose next window ends by `limit`. */
static int fast_ack(xfer_t *t, uint16_t block) {
  /* After a retransmission JS wants the first progress itself, to re-arm its timer without the backoff. */
  if (t->hand_back_next) return 0;
  uint64_t delta = (uint64_t)((block - (uint32_t)(t->acked & 0xffff) + 65536u) & 0xffffu);
  if (delta == 0 || delta > t->sent - t->acked) return 0;
  uint64_t a = t->acked + delta;
  uint64_t first = a + 1, last = a + t->window;
  if (last > t->limit) return 0;
  double *log = t->log;
  uint32_t n = (uint32_t)log[0];
  if (n >= t->log_cap) return 0;
  double when = now_ms();
  if (send_blocks(t, first, last, t->bs) < 0) return 0; /* JS meets the same error and decides */
  t->acked = a;
  if (last > t->sent) t->sent = last;
  double *e = log + 1 + 4 * (size_t)n;
  e[0] = block;
  e[1] = when;
  e[2] = (double)first;
  e[3] = (double)last;
  log[0] = n + 1;
  if (n + 1 == t->log_cap) {
    t->granted = 0;
    emit(t, EV_LOG_FULL, 0, NULL, 0);
  }
  return 1;
}

static void on_datagram(xfer_t *t, const uint8_t *p, size_t len) {
  if (len >= 4 && p[0] == 0 && p[1] == OP_ACK) {
    uint16_t block = (uint16_t)((p[2] << 8) | p[3]);
    if (t->granted && fast_ack(t, block)) return;
    t->granted = 0;
    emit(t, EV_ACK, block, NULL, 0);
    return;
  }
  t->granted = 0;
  emit(t, EV_PACKET, 0, p, len);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  xfer_t *t = h->data;
  if (!t || t->closed) return;
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  double start = 0, spin_until = 0;
  for (;;) {
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < RECV_BATCH; i++) {
      iov[i].iov_base = rbuf[i];
      iov[i].iov_len = RECV_BYTES;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(t->sock, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNREFUSED) {
        t->granted = 0;
        emit(t, EV_GONE, 0, NULL, 0);
        if (t->closed) return;
        continue;
      }
      /* EAGAIN: drained. Spin a little for the next ACK while the fast path runs (see spin_us). */
      if (spin_until > 0 && t->granted && open_transfers == 1) {
        double now = now_ms();
        if (now < spin_until && now < start + SPIN_MAX_US / 1000.0) {
          cpu_relax();
          continue;
        }
      }
      return;
    }
    uint64_t acked_before = t->acked;
    for (int i = 0; i < n && !t->closed; i++) on_datagram(t, rbuf[i], msgs[i].msg_len);
    if (t->closed) return;
    if (spin_us > 0 && t->granted && t->acked != acked_before) {
      double now = now_ms();
      if (start == 0) start = now;
      spin_until = now + spin_us / 1000.0;
    }
    if (n < RECV_BATCH && spin_until == 0) return;
  }
}

static void do_close(xfer_t *t) {
  if (t->closed) return;
  t->closed = 1;
  t->granted = 0;
  open_transfers--;
  close_poll(&t->poll);
  if (t->sock >= 0) close(t->sock);
  t->sock = -1;
  /* The file descriptor is JS's: it closes it after this. */
  t->file = -1;
  t->log = NULL;
  free(t->buf);
  t->buf = NULL;
  t->cap = 0;
  napi_delete_reference(t->env, t->cb_ref);
  napi_delete_reference(t->env, t->log_ref);
  napi_delete_reference(t->env, t->self_ref);
  napi_async_destroy(t->env, t->actx);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  xfer_t *t = data;
  do_close(t);
  free(t);
}

static int addr_of(napi_env env, napi_value v, struct sockaddr_in *sa, uint16_t port) {
  char s[64];
  size_t len;
  if (napi_get_value_string_utf8(env, v, s, sizeof s, &len) != napi_ok) return -1;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
}

/* new Transfer(localAddress, clientAddress, clientPort, fileFd, sizeBytes, log: Float64Array, onEvent, gso) */
static napi_value ctor(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "Transfer: 8 arguments expected");
    return NULL;
  }
  struct sockaddr_in local, peer;
  if (addr_of(env, argv[0], &local, 0) < 0 || addr_of(env, argv[1], &peer, (uint16_t)num(env, argv[2])) < 0) {
    napi_throw_type_error(env, NULL, "Transfer: IPv4 addresses expected");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[5], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array ||
      length < 5) {
    napi_throw_type_error(env, NULL, "Transfer: log must be a Float64Array of 1 + 4n entries");
    return NULL;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return throw_errno(env, "socket", errno);
  if (bind(s, (struct sockaddr *)&local, sizeof local) < 0 || connect(s, (struct sockaddr *)&peer, sizeof peer) < 0) {
    int e = errno;
    close(s);
    return throw_errno(env, "bind/connect", e);
  }
  xfer_t *t = calloc(1, sizeof *t);
  if (!t) {
    close(s);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  t->env = env;
  t->sock = s;
  t->file = (int)num(env, argv[3]);
  t->size = num(env, argv[4]);
  t->log = data;
  t->log_cap = (uint32_t)((length - 1) / 4);
  t->log[0] = 0;
  bool gso = false;
  napi_get_value_bool(env, argv[7], &gso);
  t->gso = gso;
  napi_create_reference(env, argv[5], 1, &t->log_ref);
  napi_create_reference(env, argv[6], 1, &t->cb_ref);
  napi_value name;
  napi_create_string_utf8(env, "laggboot:tftp-native", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &t->actx);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  t->poll = malloc(sizeof *t->poll);
  if (!t->poll || uv_poll_init_socket(loop, t->poll, s) != 0) {
    free(t->poll);
    t->poll = NULL;
    close(s);
    free(t);
    napi_throw_error(env, NULL, "uv_poll_init failed");
    return NULL;
  }
  t->poll->data = t;
  uv_poll_start(t->poll, UV_READABLE, on_readable);
  open_transfers++;
  napi_wrap(env, self, t, finalize, NULL, NULL);
  /* Kept alive while open: the poll handle points at it. */
  napi_create_reference(env, self, 1, &t->self_ref);
  return self;
}

/* send(buffer): one datagram (OACK, ERROR). Returns 0, or -3 if the client is gone. */
static napi_value m_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  xfer_t *t = unwrap(env, info, &argc, argv);
  if (!t || t->closed) return ret_int(env, 0);
  void *p;
  size_t len;
  napi_get_buffer_info(env, argv[0], &p, &len);
  if (send(t->sock, p, len, 0) < 0 && errno == ECONNREFUSED) return ret_int(env, R_GONE);
  return ret_int(env, 0);
}

/* sendBlocks(first, last, blockSize): 0, -1 file shorter than expected, -2 read error (see lastErrno), -3 client gone. */
static napi_value m_send_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  xfer_t *t = unwrap(env, info, &argc, argv);
  if (!t || t->closed) return ret_int(env, 0);
  uint64_t first = (uint64_t)num(env, argv[0]), last = (uint64_t)num(env, argv[1]);
  uint32_t bs = (uint32_t)num(env, argv[2]);
  if (first < 1 || last < first || bs < 8 || bs > 65464) {
    napi_throw_range_error(env, NULL, "sendBlocks: bad range");
    return NULL;
  }
  return ret_int(env, send_blocks(t, first, last, bs));
}

/* grant(acked, sent, windowSize, limit, blockSize, handBackNext): see the top of the file. Clears the log. */
static napi_value m_grant(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  xfer_t *t = unwrap(env, info, &argc, argv);
  if (!t || t->closed) return NULL;
  t->acked = (uint64_t)num(env, argv[0]);
  t->sent = (uint64_t)num(env, argv[1]);
  t->window = (uint32_t)num(env, argv[2]);
  t->limit = (uint64_t)num(env, argv[3]);
  t->bs = (uint32_t)num(env, argv[4]);
  bool next = false;
  napi_get_value_bool(env, argv[5], &next);
  t->hand_back_next = next;
  t->log[0] = 0;
  t->granted = t->window >= 1 && t->bs >= 8 && t->sent >= t->acked;
  return NULL;
}

static napi_value m_revoke(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  xfer_t *t = unwrap(env, info, &argc, NULL);
  if (t) t->granted = 0;
  return NULL;
}

static napi_value m_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  xfer_t *t = unwrap(env, info, &argc, NULL);
  if (t) do_close(t);
  return NULL;
}

static napi_value m_last_errno(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  xfer_t *t = unwrap(env, info, &argc, NULL);
  return ret_int(env, t ? t->last_errno : 0);
}

/* Whether windows still go out with UDP GSO (it turns itself off if the kernel or path refuses it). */
static napi_value m_uses_gso(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  xfer_t *t = unwrap(env, info, &argc, NULL);
  napi_value r;
  napi_get_boolean(env, t && t->gso, &r);
  return r;
}

static napi_value m_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  xfer_t *t = unwrap(env, info, &argc, NULL);
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  if (!t || t->sock < 0 || getsockname(t->sock, (struct sockaddr *)&sa, &len) < 0) return ret_int(env, 0);
  return ret_int(env, ntohs(sa.sin_port));
}

static napi_value f_now(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_double(env, now_ms(), &r);
  return r;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"send", NULL, m_send, NULL, NULL, NULL, napi_default, NULL},
      {"sendBlocks", NULL, m_send_blocks, NULL, NULL, NULL, napi_default, NULL},
      {"grant", NULL, m_grant, NULL, NULL, NULL, napi_default, NULL},
      {"revoke", NULL, m_revoke, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, m_close, NULL, NULL, NULL, napi_default, NULL},
      {"lastErrno", NULL, m_last_errno, NULL, NULL, NULL, napi_default, NULL},
      {"localPort", NULL, m_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"usesGso", NULL, m_uses_gso, NULL, NULL, NULL, napi_default, NULL},
  };
  const char *spin = getenv("LAGGBOOT_TFTP_SPIN_US");
  if (spin && *spin) {
    char *end;
    double v = strtod(spin, &end);
    if (*end == 0 && v >= 0 && v <= SPIN_MAX_US) spin_us = v;
  }
  napi_value cls, now;
  napi_define_class(env, "Transfer", NAPI_AUTO_LENGTH, ctor, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "Transfer", cls);
  napi_create_function(env, "now", NAPI_AUTO_LENGTH, f_now, NULL, &now);
  napi_set_named_property(env, exports, "now", now);
  napi_value spin_value;
  napi_create_double(env, spin_us, &spin_value);
  napi_set_named_property(env, exports, "spinMicros", spin_value);
  return exports;
}
