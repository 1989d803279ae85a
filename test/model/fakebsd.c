/*
 * fakebsd: the FreeBSD side of the flip-script model (docs/client-flip.md,
 * "Flip script model"). One static multi-call binary, dispatching on the
 * base name of argv[0] like FreeBSD's crunchgen'd /rescue. Every file that
 * the fake root can execute is a hard link or copy of this binary, so every
 * program start is logged with the path the kernel ran (/proc/self/exe).
 *
 * Fakes: ifconfig, route, kenv, sysctl, mount, umount, mdmfs, mdconfig,
 * chroot, logger. Everything else is handed to the real implementation under
 * /.model/impl (dash for sh, busybox-static for the rest); those files are
 * model internals and never logged.
 *
 * chroot really chroots. Inside, /.model and /proc are out of reach, so the
 * fake chroot first leaves two directory descriptors open across exec
 * (MODEL_FD, PROC_FD) and names the new root in FAKEBSD_ROOT; every fake
 * started inside reaches the model through them, and sh there is
 * busybox-static's (dash and its libraries are not in the chroot).
 *
 * All fakes share one state file, /.model/state, under an flock. The rules
 * follow sys/net/if_lagg.c and sys/netinet/in.c (see
 * /work/shared/design/freebsd-diskless.md section 3):
 *  - the first port added to an empty lagg becomes the master (sc_primary)
 *    and the lagg takes its MAC (and MTU); later ports must have the lagg's
 *    MTU and get the lagg's MAC forced on them (if_setlladdr: a bounce);
 *  - ports are listed by interface index; when the master leaves, the head of
 *    that list is promoted and its own MAC becomes the lagg's;
 *  - a port keeps its IPv4 addresses but its IP output is dropped;
 *    its IPv6 addresses are removed when it joins;
 *  - removing an address removes every route that uses it;
 *  - every port gets the capabilities all ports have enabled
 *    (lagg_capabilities/lagg_setcaps); changing a NIC's offloads bounces it
 *    (drivers reinitialise); a port leaving gets its join-time ones back.
 * Reachability of the NFS server is computed from that state at every
 * program start and written into the log line, for the test's oracle.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MODEL "/.model"
#define MAXIF 16
#define MAXADDR 8
#define MAXRT 32
#define MAXKV 48
#define MAXMEM 8
#define MAXFAIL 8
/* Directory descriptors a chrooted fake reaches the model and /proc through. */
#define MODEL_FD 250
#define PROC_FD 251

/*
 * Interface capabilities (sys/net/if.h IFCAP_*, as ifconfig prints them).
 * Only those with an ifconfig(8) flag can be switched; lagg(4) asks for the
 * others too, but drivers ignore what they cannot change.
 */
static const struct cap { const char *name, *flag; unsigned bit; } CAPS[] = {
	{ "RXCSUM", "rxcsum", 0x1 }, { "TXCSUM", "txcsum", 0x2 }, { "VLAN_MTU", "vlanmtu", 0x8 },
	{ "VLAN_HWTAGGING", "vlanhwtag", 0x10 }, { "JUMBO_MTU", NULL, 0x20 }, { "VLAN_HWCSUM", "vlanhwcsum", 0x80 },
	{ "TSO4", "tso4", 0x100 }, { "TSO6", "tso6", 0x200 }, { "LRO", "lro", 0x400 },
	{ "WOL_UCAST", "wol_ucast", 0x800 }, { "WOL_MCAST", "wol_mcast", 0x1000 }, { "WOL_MAGIC", "wol_magic", 0x2000 },
	{ "VLAN_HWFILTER", "vlanhwfilter", 0x10000 }, { "VLAN_HWTSO", "vlanhwtso", 0x40000 },
	{ "LINKSTATE", NULL, 0x80000 }, { "RXCSUM_IPV6", "rxcsum6", 0x200000 }, { "TXCSUM_IPV6", "txcsum6", 0x400000 },
};
#define NCAPS ((int)(sizeof CAPS / sizeof CAPS[0]))
static unsigned switchable_caps(void)
{
	unsigned m = 0;
	for (int k = 0; k < NCAPS; k++) if (CAPS[k].flag) m |= CAPS[k].bit;
	return m;
}

struct inaddr { uint32_t addr, mask; };
struct iface {
	char name[16], kind[8]; /* kind: ether | wlan | lagg | loop */
	int index, mtu, up, link, bounces;
	unsigned caps, capsup, joincaps; /* enabled, supported, enabled when it joined its lagg */
	char mac[18], joinmac[18];
	char lagg[16];          /* for a port: the lagg it is in, or "-" */
	char proto[16], primary[16]; /* for a lagg */
	int ninet; struct inaddr inet[MAXADDR];
	int ninet6; char inet6[MAXADDR][48];
};
struct route { uint32_t dst, mask, gw; char ifname[16]; uint32_t ifa; int isstatic; };
struct kv { char key[64], val[128]; };
struct memfs { char dir[200], dev[16]; int malloced; };
struct fail { char op[40]; int count; };

static struct state {
	uint32_t server, lan, lanmask;
	int nrouters; uint32_t routers[4];
	char nfsroot[128];
	int nif; struct iface ifs[MAXIF];
	int nrt; struct route rts[MAXRT];
	int nkenv; struct kv kenv[MAXKV];
	int nsysctl; struct kv sysctl[MAXKV];
	int nmem; struct memfs mem[MAXMEM];
	int nfail; struct fail fails[MAXFAIL];
	int nextmd;
} S;

static const char *prog = "fakebsd";
static int lockfd = -1;

/* ---------- small helpers ---------- */

static uint32_t ip_parse(const char *s, int *ok)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) { if (ok) *ok = 0; return 0; }
	if (ok) *ok = 1;
	return ntohl(a.s_addr);
}

static const char *ip_str(uint32_t v)
{
	static char buf[4][16];
	static int i;
	struct in_addr a = { htonl(v) };
	i = (i + 1) % 4;
	inet_ntop(AF_INET, &a, buf[i], sizeof buf[i]);
	return buf[i];
}

static uint32_t len2mask(int len) { return len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1); }

static int mask2len(uint32_t m) { int n = 0; while (m & 0x80000000u) { n++; m <<= 1; } return n; }

/* A netmask as FreeBSD's ifconfig accepts it: dotted quad or 0x hex. */
static uint32_t mask_parse(const char *s, int *ok)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char *end; unsigned long v = strtoul(s + 2, &end, 16);
		*ok = *end == 0 && end != s + 2; return (uint32_t)v;
	}
	return ip_parse(s, ok);
}

/* Inside the fake chroot the model is reached through MODEL_FD. */
static int chrooted(void) { return getenv("FAKEBSD_ROOT") != NULL; }

static int model_open(const char *name, int flags, int mode)
{
	char path[256];
	if (chrooted()) return openat(MODEL_FD, name, flags, mode);
	snprintf(path, sizeof path, MODEL "/%s", name);
	return open(path, flags, mode);
}

static void model_append(const char *name, const char *line)
{
	int fd = model_open(name, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0) return;
	if (write(fd, line, strlen(line)) < 0) { /* best effort */ }
	close(fd);
}

static void event(const char *fmt, ...)
{
	char line[512]; va_list ap;
	va_start(ap, fmt); vsnprintf(line, sizeof line - 1, fmt, ap); va_end(ap);
	strcat(line, "\n");
	model_append("events", line);
}

/* ---------- state file ---------- */

static struct iface *ifp_find(const char *name)
{
	for (int i = 0; i < S.nif; i++) if (strcmp(S.ifs[i].name, name) == 0) return &S.ifs[i];
	return NULL;
}

static char *kv_get(struct kv *t, int n, const char *key)
{
	for (int i = 0; i < n; i++) if (strcmp(t[i].key, key) == 0) return t[i].val;
	return NULL;
}

static void kv_set(struct kv *t, int *n, const char *key, const char *val)
{
	char *v = kv_get(t, *n, key);
	if (!v && *n < MAXKV) { snprintf(t[*n].key, sizeof t[*n].key, "%s", key); v = t[(*n)++].val; }
	if (v) snprintf(v, sizeof t[0].val, "%s", val);
}

static void sort_ifs(void)
{
	for (int i = 1; i < S.nif; i++)
		for (int j = i; j > 0 && S.ifs[j - 1].index > S.ifs[j].index; j--) {
			struct iface t = S.ifs[j]; S.ifs[j] = S.ifs[j - 1]; S.ifs[j - 1] = t;
		}
}

static void state_lock(void)
{
	lockfd = model_open("lock", O_RDWR | O_CREAT, 0644);
	if (lockfd >= 0) flock(lockfd, LOCK_EX);
}

/* "RXCSUM+TXCSUM" or "-" */
static unsigned caps_parse(const char *s)
{
	char buf[512], *save = NULL, *tok;
	unsigned m = 0;
	snprintf(buf, sizeof buf, "%s", s);
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save))
		for (int k = 0; k < NCAPS; k++) if (!strcmp(tok, CAPS[k].name)) m |= CAPS[k].bit;
	return m;
}

/* The names of the bits in m joined by sep, or `none` when there are none. */
static const char *caps_names(unsigned m, const char *sep, const char *none)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	buf[i][0] = 0;
	for (int k = 0; k < NCAPS; k++) {
		if (!(m & CAPS[k].bit)) continue;
		if (buf[i][0]) strcat(buf[i], sep);
		strcat(buf[i], CAPS[k].name);
	}
	return buf[i][0] ? buf[i] : none;
}

static void state_load(void)
{
	int fd = model_open("state", O_RDONLY, 0);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	char line[2048];
	if (!f) { fprintf(stderr, "%s: model state missing\n", prog); exit(70); }
	memset(&S, 0, sizeof S);
	while (fgets(line, sizeof line, f)) {
		char a[8][800]; int n;
		memset(a, 0, sizeof a);
		n = sscanf(line, "%799s %799s %799s %799s %799s %799s %799s %799s", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
		if (n <= 0 || a[0][0] == '#') continue;
		if (!strcmp(a[0], "server")) S.server = ip_parse(a[1], NULL);
		else if (!strcmp(a[0], "lan")) { S.lan = ip_parse(a[1], NULL); S.lanmask = len2mask(atoi(a[2])); }
		else if (!strcmp(a[0], "router") && S.nrouters < 4) S.routers[S.nrouters++] = ip_parse(a[1], NULL);
		else if (!strcmp(a[0], "nfsroot")) snprintf(S.nfsroot, sizeof S.nfsroot, "%s", a[1]);
		else if (!strcmp(a[0], "nextmd")) S.nextmd = atoi(a[1]);
		else if (!strcmp(a[0], "kenv") && S.nkenv < MAXKV) kv_set(S.kenv, &S.nkenv, a[1], a[2]);
		else if (!strcmp(a[0], "sysctl") && S.nsysctl < MAXKV) kv_set(S.sysctl, &S.nsysctl, a[1], a[2]);
		else if (!strcmp(a[0], "mem") && S.nmem < MAXMEM) {
			snprintf(S.mem[S.nmem].dir, sizeof S.mem[0].dir, "%s", a[1]);
			snprintf(S.mem[S.nmem].dev, sizeof S.mem[0].dev, "%s", a[2]);
			S.mem[S.nmem].malloced = !strcmp(a[3], "malloc");
			S.nmem++;
		} else if (!strcmp(a[0], "fail") && S.nfail < MAXFAIL) {
			snprintf(S.fails[S.nfail].op, sizeof S.fails[0].op, "%s", a[1]);
			S.fails[S.nfail++].count = atoi(a[2]);
		} else if (!strcmp(a[0], "if") && S.nif < MAXIF) {
			struct iface *p = &S.ifs[S.nif++];
			snprintf(p->name, sizeof p->name, "%s", a[1]);
			p->index = atoi(a[2]);
			snprintf(p->kind, sizeof p->kind, "%s", a[3]);
			snprintf(p->mac, sizeof p->mac, "%s", a[4]);
			p->mtu = atoi(a[5]);
			p->up = a[6][0] == '1'; p->link = a[6][1] == '1';
			/* a[7] = lagg,joinmac,proto,primary,bounces,caps,capsup,joincaps */
			char *save = NULL, *tok = strtok_r(a[7], ",", &save);
			for (int k = 0; tok; k++, tok = strtok_r(NULL, ",", &save)) {
				if (k == 0) snprintf(p->lagg, sizeof p->lagg, "%s", tok);
				if (k == 1) snprintf(p->joinmac, sizeof p->joinmac, "%s", tok);
				if (k == 2) snprintf(p->proto, sizeof p->proto, "%s", tok);
				if (k == 3) snprintf(p->primary, sizeof p->primary, "%s", tok);
				if (k == 4) p->bounces = atoi(tok);
				if (k == 5) p->caps = caps_parse(tok);
				if (k == 6) p->capsup = caps_parse(tok);
				if (k == 7) p->joincaps = caps_parse(tok);
			}
		} else if (!strcmp(a[0], "inet")) {
			struct iface *p = ifp_find(a[1]);
			if (p && p->ninet < MAXADDR) {
				p->inet[p->ninet].addr = ip_parse(a[2], NULL);
				p->inet[p->ninet++].mask = len2mask(atoi(a[3]));
			}
		} else if (!strcmp(a[0], "inet6")) {
			struct iface *p = ifp_find(a[1]);
			if (p && p->ninet6 < MAXADDR) snprintf(p->inet6[p->ninet6++], 48, "%s", a[2]);
		} else if (!strcmp(a[0], "route") && S.nrt < MAXRT) {
			struct route *r = &S.rts[S.nrt++];
			r->dst = ip_parse(a[1], NULL); r->mask = len2mask(atoi(a[2]));
			r->gw = strcmp(a[3], "-") ? ip_parse(a[3], NULL) : 0;
			snprintf(r->ifname, sizeof r->ifname, "%s", a[4]);
			r->ifa = ip_parse(a[5], NULL); r->isstatic = atoi(a[6]);
		}
	}
	fclose(f);
	sort_ifs();
}

static void state_save(void)
{
	int fd = model_open("state.new", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) { perror("state"); exit(70); }
	fprintf(f, "server %s\nlan %s %d\nnfsroot %s\nnextmd %d\n", ip_str(S.server), ip_str(S.lan), mask2len(S.lanmask), S.nfsroot, S.nextmd);
	for (int i = 0; i < S.nrouters; i++) fprintf(f, "router %s\n", ip_str(S.routers[i]));
	for (int i = 0; i < S.nkenv; i++) fprintf(f, "kenv %s %s\n", S.kenv[i].key, S.kenv[i].val);
	for (int i = 0; i < S.nsysctl; i++) fprintf(f, "sysctl %s %s\n", S.sysctl[i].key, S.sysctl[i].val);
	for (int i = 0; i < S.nmem; i++) fprintf(f, "mem %s %s %s\n", S.mem[i].dir, S.mem[i].dev, S.mem[i].malloced ? "malloc" : "swap");
	for (int i = 0; i < S.nfail; i++) fprintf(f, "fail %s %d\n", S.fails[i].op, S.fails[i].count);
	for (int i = 0; i < S.nif; i++) {
		struct iface *p = &S.ifs[i];
		fprintf(f, "if %s %d %s %s %d %d%d %s,%s,%s,%s,%d,%s,%s,%s\n", p->name, p->index, p->kind, p->mac, p->mtu, p->up, p->link,
			p->lagg[0] ? p->lagg : "-", p->joinmac[0] ? p->joinmac : "-", p->proto[0] ? p->proto : "-",
			p->primary[0] ? p->primary : "-", p->bounces, caps_names(p->caps, "+", "-"), caps_names(p->capsup, "+", "-"),
			caps_names(p->joincaps, "+", "-"));
	}
	for (int i = 0; i < S.nif; i++) {
		struct iface *p = &S.ifs[i];
		for (int k = 0; k < p->ninet; k++) fprintf(f, "inet %s %s %d\n", p->name, ip_str(p->inet[k].addr), mask2len(p->inet[k].mask));
		for (int k = 0; k < p->ninet6; k++) fprintf(f, "inet6 %s %s\n", p->name, p->inet6[k]);
	}
	for (int i = 0; i < S.nrt; i++) {
		struct route *r = &S.rts[i];
		fprintf(f, "route %s %d %s %s %s %d\n", ip_str(r->dst), mask2len(r->mask), r->gw ? ip_str(r->gw) : "-", r->ifname, ip_str(r->ifa), r->isstatic);
	}
	fclose(f);
	if (chrooted()) renameat(MODEL_FD, "state.new", MODEL_FD, "state");
	else rename(MODEL "/state.new", MODEL "/state");
}

/* Injected failures: "fail OP[:IF] COUNT"; COUNT -1 = every time. */
static int should_fail(const char *op, const char *ifname)
{
	char full[64];
	snprintf(full, sizeof full, "%s:%s", op, ifname ? ifname : "");
	for (int i = 0; i < S.nfail; i++) {
		struct fail *x = &S.fails[i];
		if (strcmp(x->op, op) && strcmp(x->op, full)) continue;
		if (x->count == 0) continue;
		if (x->count > 0) { x->count--; state_save(); }
		event("injected-failure %s", full);
		return 1;
	}
	return 0;
}

/* ---------- lagg and routing rules ---------- */

static struct iface *lagg_active(struct iface *lg)
{
	struct iface *m = lg->primary[0] && strcmp(lg->primary, "-") ? ifp_find(lg->primary) : NULL;
	if (m && m->up && m->link) return m;
	for (int i = 0; i < S.nif; i++)
		if (!strcmp(S.ifs[i].lagg, lg->name) && S.ifs[i].up && S.ifs[i].link) return &S.ifs[i];
	return NULL;
}

static int lagg_nports(struct iface *lg)
{
	int n = 0;
	for (int i = 0; i < S.nif; i++) if (!strcmp(S.ifs[i].lagg, lg->name)) n++;
	return n;
}

static int in_lagg(struct iface *p) { return p->lagg[0] && strcmp(p->lagg, "-"); }

static struct route *rt_lookup(uint32_t dst)
{
	struct route *best = NULL;
	for (int i = 0; i < S.nrt; i++) {
		struct route *r = &S.rts[i];
		if ((dst & r->mask) == r->dst && (!best || mask2len(r->mask) > mask2len(best->mask))) best = r;
	}
	return best;
}

/* Can the client reach the NFS server now? Returns 1, or 0 with a reason. */
static int nfs_reachable(const char **why)
{
	struct route *r = rt_lookup(S.server);
	struct iface *o, *phys;
	uint32_t hop;
	if (!r) { *why = "no route to the server"; return 0; }
	o = ifp_find(r->ifname);
	if (!o) { *why = "route names a missing interface"; return 0; }
	if (!o->up) { *why = "output interface down"; return 0; }
	if (in_lagg(o)) { *why = "output interface is a lagg port (IP output dropped)"; return 0; }
	if (!strcmp(o->kind, "lagg")) {
		phys = lagg_active(o);
		if (!phys) { *why = "lagg has no active port"; return 0; }
	} else phys = o;
	if (!phys->link) { *why = "no link"; return 0; }
	hop = r->gw ? r->gw : S.server;
	if ((hop & S.lanmask) != S.lan) { *why = "next hop not on the LAN"; return 0; }
	if (r->gw) {
		int isrouter = 0;
		for (int i = 0; i < S.nrouters; i++) if (S.routers[i] == r->gw) isrouter = 1;
		if (!isrouter) { *why = "gateway is not a router"; return 0; }
	}
	*why = "ok";
	return 1;
}

static void rt_remove_at(int i) { S.rts[i] = S.rts[--S.nrt]; }

static int ifa_owner(uint32_t addr, struct iface **owner)
{
	for (int i = 0; i < S.nif; i++)
		for (int k = 0; k < S.ifs[i].ninet; k++)
			if (S.ifs[i].inet[k].addr == addr) { *owner = &S.ifs[i]; return 1; }
	return 0;
}

static void prefix_add(struct iface *p, uint32_t addr, uint32_t mask)
{
	for (int i = 0; i < S.nrt; i++)
		if (!S.rts[i].isstatic && S.rts[i].dst == (addr & mask) && S.rts[i].mask == mask) return; /* prefix exists elsewhere */
	if (S.nrt < MAXRT) {
		struct route *r = &S.rts[S.nrt++];
		memset(r, 0, sizeof *r);
		r->dst = addr & mask; r->mask = mask; r->ifa = addr;
		snprintf(r->ifname, sizeof r->ifname, "%s", p->name);
	}
}

static void addr_delete(struct iface *p, int k)
{
	uint32_t addr = p->inet[k].addr, mask = p->inet[k].mask;
	p->inet[k] = p->inet[--p->ninet];
	for (int i = S.nrt - 1; i >= 0; i--)
		if (S.rts[i].ifa == addr && !strcmp(S.rts[i].ifname, p->name)) {
			event("route-gone %s/%d via %s", ip_str(S.rts[i].dst), mask2len(S.rts[i].mask), p->name);
			rt_remove_at(i);
		}
	/* in_scrubprefix: another interface with an address in the prefix takes it over */
	for (int i = 0; i < S.nif; i++)
		for (int j = 0; j < S.ifs[i].ninet; j++)
			if ((S.ifs[i].inet[j].addr & S.ifs[i].inet[j].mask) == (addr & mask) && S.ifs[i].inet[j].mask == mask)
				prefix_add(&S.ifs[i], S.ifs[i].inet[j].addr, mask);
}

/*
 * Set a NIC's enabled capabilities (SIOCSIFCAP): only what it supports and
 * what can be switched changes; a change reinitialises the NIC (a bounce).
 */
static void set_caps(struct iface *p, unsigned want, const char *why)
{
	unsigned sw = switchable_caps() & p->capsup;
	unsigned next = (p->caps & ~sw) | (want & sw);
	char diff[600] = "";
	if (next == p->caps) return;
	for (int k = 0; k < NCAPS; k++) {
		unsigned b = CAPS[k].bit;
		if ((next ^ p->caps) & b) {
			if (diff[0]) strcat(diff, ",");
			strcat(diff, next & b ? "+" : "-");
			strcat(diff, CAPS[k].name);
		}
	}
	p->caps = next;
	p->bounces++;
	event("caps %s %s (%s)", p->name, diff, why);
}

/* lagg_capabilities: every port gets what all ports have enabled. */
static void lagg_caps_apply(struct iface *lg)
{
	unsigned common = ~0u;
	int n = 0;
	for (int i = 0; i < S.nif; i++) if (!strcmp(S.ifs[i].lagg, lg->name)) { common &= S.ifs[i].caps; n++; }
	if (n == 0) common = 0;
	for (int i = 0; i < S.nif; i++) if (!strcmp(S.ifs[i].lagg, lg->name)) set_caps(&S.ifs[i], S.ifs[i].caps & common, "set by lagg");
	lg->caps = common;
}

static void set_mac(struct iface *p, const char *mac, const char *why)
{
	snprintf(p->mac, sizeof p->mac, "%s", mac);
	p->bounces++;
	event("lladdr %s %s (%s)", p->name, mac, why);
}

static int lagg_addport(struct iface *lg, struct iface *p)
{
	if (p == lg) return EINVAL;
	if (in_lagg(p)) return strcmp(p->lagg, lg->name) ? EBUSY : EEXIST;
	if (!strcmp(p->kind, "lagg")) return EINVAL; /* stacking disabled */
	if (strcmp(p->kind, "ether") && strcmp(p->kind, "wlan")) return EPROTONOSUPPORT;
	int first = lagg_nports(lg) == 0;
	if (!first && lg->mtu != p->mtu) { fprintf(stderr, "%s: invalid MTU for %s\n", lg->name, p->name); return EINVAL; }
	if (should_fail("laggport", p->name)) return EIO;
	if (first) lg->mtu = p->mtu;
	if (p->ninet6) { event("inet6-stripped %s", p->name); p->ninet6 = 0; }
	snprintf(p->joinmac, sizeof p->joinmac, "%s", p->mac);
	p->joincaps = p->caps;
	snprintf(p->lagg, sizeof p->lagg, "%s", lg->name);
	if (lagg_nports(lg) == 1) {
		snprintf(lg->primary, sizeof lg->primary, "%s", p->name);
		snprintf(lg->mac, sizeof lg->mac, "%s", p->mac);
	} else set_mac(p, lg->mac, "forced by lagg");
	event("laggport %s %s", lg->name, p->name);
	lagg_caps_apply(lg);
	return 0;
}

static int lagg_delport(struct iface *lg, struct iface *p)
{
	if (!p || strcmp(p->lagg, lg->name)) return ENOENT;
	if (should_fail("-laggport", p->name)) return EIO;
	snprintf(p->lagg, sizeof p->lagg, "-");
	set_mac(p, p->joinmac, "own MAC back");
	set_caps(p, p->joincaps, "own capabilities back");
	event("-laggport %s %s", lg->name, p->name);
	if (!strcmp(lg->primary, p->name)) {
		struct iface *head = NULL;
		for (int i = 0; i < S.nif && !head; i++) if (!strcmp(S.ifs[i].lagg, lg->name)) head = &S.ifs[i];
		snprintf(lg->primary, sizeof lg->primary, "%s", head ? head->name : "-");
		snprintf(lg->mac, sizeof lg->mac, "%s", head ? head->joinmac : "00:00:00:00:00:00");
		for (int i = 0; i < S.nif; i++) if (!strcmp(S.ifs[i].lagg, lg->name)) set_mac(&S.ifs[i], lg->mac, "new lagg MAC");
	}
	lagg_caps_apply(lg);
	return 0;
}

/* ---------- ifconfig ---------- */

static void print_if(struct iface *p, FILE *o)
{
	unsigned flags = 0x8802 | (p->up ? 0x41 : 0);
	fprintf(o, "%s: flags=%x<%sBROADCAST%s,SIMPLEX,MULTICAST> metric 0 mtu %d\n", p->name, flags,
		p->up ? "UP," : "", p->up ? ",RUNNING" : "", p->mtu);
	/* ifconfig prints options= only when some capability is enabled */
	if (p->caps) fprintf(o, "\toptions=%x<%s>\n", p->caps, caps_names(p->caps, ",", ""));
	if (strcmp(p->kind, "loop")) fprintf(o, "\tether %s\n", p->mac);
	for (int k = 0; k < p->ninet; k++) {
		uint32_t a = p->inet[k].addr, m = p->inet[k].mask;
		if (!strcmp(p->kind, "loop")) fprintf(o, "\tinet %s netmask 0x%08x\n", ip_str(a), m);
		else fprintf(o, "\tinet %s netmask 0x%08x broadcast %s\n", ip_str(a), m, ip_str((a & m) | ~m));
	}
	for (int k = 0; k < p->ninet6; k++) fprintf(o, "\tinet6 %s%%%s prefixlen 64 scopeid 0x%x\n", p->inet6[k], p->name, p->index);
	if (!strcmp(p->kind, "lagg")) {
		struct iface *act = lagg_active(p);
		fprintf(o, "\tlaggproto %s lagghash l2,l3,l4\n", p->proto[0] && strcmp(p->proto, "-") ? p->proto : "failover");
		for (int i = 0; i < S.nif; i++) {
			struct iface *q = &S.ifs[i];
			unsigned f = 0; char names[32] = "";
			if (strcmp(q->lagg, p->name)) continue;
			if (!strcmp(p->primary, q->name)) { f |= 1; strcat(names, "MASTER"); }
			if (q == act) { f |= 4; strcat(names, names[0] ? ",ACTIVE" : "ACTIVE"); }
			fprintf(o, "\tlaggport: %s flags=%x<%s>\n", q->name, f, names);
		}
		fprintf(o, "\tgroups: lagg\n\tmedia: Ethernet autoselect\n\tstatus: %s\n", act ? "active" : "no carrier");
	} else if (!strcmp(p->kind, "wlan")) {
		fprintf(o, "\tgroups: wlan\n\tssid home channel 6 (2437 MHz 11g) bssid 02:00:5e:10:00:01\n");
		fprintf(o, "\tmedia: IEEE 802.11 Wireless Ethernet autoselect mode 11g\n\tstatus: %s\n", p->link ? "associated" : "no carrier");
	} else if (!strcmp(p->kind, "ether")) {
		fprintf(o, "\tmedia: Ethernet autoselect%s\n\tstatus: %s\n", p->link ? " (1000baseT <full-duplex>)" : "", p->link ? "active" : "no carrier");
	} else fprintf(o, "\tgroups: lo\n");
	fprintf(o, "\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n");
}

static const char *errname(int e)
{
	switch (e) {
	case EBUSY: return "Device busy";
	case EEXIST: return "File exists";
	case EINVAL: return "Invalid argument";
	case ENOENT: return "No such file or directory";
	case EADDRNOTAVAIL: return "Can't assign requested address";
	case EPROTONOSUPPORT: return "Protocol not supported";
	case ENETUNREACH: return "Network is unreachable";
	case ESRCH: return "No such process";
	default: return "Input/output error";
	}
}

static int ifc_fail(const char *ioctl_name, int e)
{
	fprintf(stderr, "ifconfig: %s: %s\n", ioctl_name, errname(e));
	return 1;
}

static int parse_addr(const char *arg, uint32_t *addr, uint32_t *mask)
{
	char buf[64]; char *slash; int ok;
	snprintf(buf, sizeof buf, "%s", arg);
	slash = strchr(buf, '/');
	if (slash) { *slash = 0; *mask = len2mask(atoi(slash + 1)); }
	*addr = ip_parse(buf, &ok);
	return ok;
}

/* An ifconfig(8) capability flag such as "-txcsum" or "rxcsum". */
static int cap_flag(const char *w, unsigned *bit)
{
	const char *f = w[0] == '-' ? w + 1 : w;
	for (int k = 0; k < NCAPS; k++) if (CAPS[k].flag && !strcmp(f, CAPS[k].flag)) { *bit = CAPS[k].bit; return 1; }
	return 0;
}

static int cmd_ifconfig(int argc, char **argv)
{
	int i = 1, changed = 0, rc = 0;
	unsigned capbit = 0;
	while (i < argc && argv[i][0] == '-' && argv[i][1] && strchr("nmkL", argv[i][1]) && !argv[i][2]) i++; /* -n: no module loading */
	if (i >= argc || !strcmp(argv[i], "-a")) {
		for (int k = 0; k < S.nif; k++) print_if(&S.ifs[k], stdout);
		return 0;
	}
	if (!strcmp(argv[i], "-l")) {
		int first = 1;
		for (int k = 0; k < S.nif; k++) {
			if (i + 1 < argc && !strcmp(argv[i + 1], "ether") && !strcmp(S.ifs[k].kind, "loop")) continue;
			printf("%s%s", first ? "" : " ", S.ifs[k].name); first = 0;
		}
		printf("\n");
		return 0;
	}
	if (!strcmp(argv[i], "-g") && i + 1 < argc) {
		for (int k = 0; k < S.nif; k++) if (!strcmp(S.ifs[k].kind, argv[i + 1])) printf("%s\n", S.ifs[k].name);
		return 0;
	}
	const char *name = argv[i++];
	struct iface *p = ifp_find(name);
	if (!p) {
		if (i < argc && !strcmp(argv[i], "create") && !strncmp(name, "lagg", 4)) {
			if (should_fail("create", name) || S.nif >= MAXIF) return ifc_fail("SIOCIFCREATE2 (lagg)", EIO);
			p = &S.ifs[S.nif++];
			memset(p, 0, sizeof *p);
			snprintf(p->name, sizeof p->name, "%s", name);
			snprintf(p->kind, sizeof p->kind, "lagg");
			snprintf(p->mac, sizeof p->mac, "00:00:00:00:00:00");
			snprintf(p->proto, sizeof p->proto, "failover");
			snprintf(p->primary, sizeof p->primary, "-");
			snprintf(p->lagg, sizeof p->lagg, "-");
			p->mtu = 1500; p->link = 1; p->caps = p->capsup = 0;
			for (int k = 0; k < S.nif; k++) if (S.ifs[k].index >= p->index) p->index = S.ifs[k].index + 1;
			event("create %s", name);
			sort_ifs();
			state_save();
			return 0;
		}
		fprintf(stderr, "ifconfig: interface %s does not exist\n", name);
		return 1;
	}
	if (i >= argc) { print_if(p, stdout); return 0; }
	while (i < argc && rc == 0) {
		const char *w = argv[i++];
		const char *arg = i < argc ? argv[i] : NULL;
		if (!strcmp(w, "up") || !strcmp(w, "down")) {
			p->up = !strcmp(w, "up"); changed = 1; event("%s %s", w, p->name);
		} else if (!strcmp(w, "create")) {
			rc = ifc_fail("SIOCIFCREATE2", EEXIST);
		} else if (!strcmp(w, "destroy")) {
			rc = ifc_fail("SIOCIFDESTROY", EINVAL);
		} else if (!strcmp(w, "laggproto") && arg) {
			if (strcmp(p->kind, "lagg")) rc = ifc_fail("SIOCSLAGG", ENOTTY);
			else { snprintf(p->proto, sizeof p->proto, "%s", arg); changed = 1; i++; }
		} else if ((!strcmp(w, "laggport") || !strcmp(w, "-laggport")) && arg) {
			struct iface *q = ifp_find(arg);
			int e;
			i++;
			if (strcmp(p->kind, "lagg")) { rc = ifc_fail("SIOCSLAGGPORT", ENOTTY); break; }
			if (!q) { rc = ifc_fail(w[0] == '-' ? "SIOCSLAGGDELPORT" : "SIOCSLAGGPORT", ENOENT); break; }
			e = w[0] == '-' ? lagg_delport(p, q) : lagg_addport(p, q);
			changed = 1; /* failures may have consumed an injected failure */
			/* sbin/ifconfig/iflagg.c: a port already in this lagg is not an error */
			if (e && !(e == EEXIST && w[0] != '-')) rc = ifc_fail(w[0] == '-' ? "SIOCSLAGGDELPORT" : "SIOCSLAGGPORT", e);
		} else if (cap_flag(w, &capbit)) {
			unsigned want = w[0] == '-' ? p->caps & ~capbit : p->caps | capbit;
			if (should_fail("caps", p->name)) { rc = ifc_fail("ioctl (SIOCSIFCAP)", EIO); break; }
			/* ifconfig's setifcap: only what the NIC supports; no change, no ioctl */
			set_caps(p, want & p->capsup, "ifconfig");
			changed = 1;
		} else if (!strcmp(w, "mtu") && arg) {
			p->mtu = atoi(arg); i++; changed = 1;
		} else if (!strcmp(w, "inet") && arg) {
			uint32_t addr, mask = 0xffffff00u; int ok, del = 0, alias = 0;
			if (!parse_addr(arg, &addr, &mask)) { fprintf(stderr, "ifconfig: %s: bad value\n", arg); rc = 1; break; }
			i++;
			while (i < argc) {
				if (!strcmp(argv[i], "netmask") && i + 1 < argc) {
					mask = mask_parse(argv[i + 1], &ok);
					if (!ok) { fprintf(stderr, "ifconfig: %s: bad value\n", argv[i + 1]); return 1; }
					i += 2;
				} else if (!strcmp(argv[i], "alias") || !strcmp(argv[i], "add")) { alias = 1; i++; }
				else if (!strcmp(argv[i], "-alias") || !strcmp(argv[i], "delete")) { del = 1; i++; }
				else if (!strcmp(argv[i], "broadcast") && i + 1 < argc) i += 2;
				else break;
			}
			changed = 1;
			if (del) {
				int k, found = -1;
				for (k = 0; k < p->ninet; k++) if (p->inet[k].addr == addr) found = k;
				if (found < 0) { rc = ifc_fail("ioctl (SIOCDIFADDR)", EADDRNOTAVAIL); break; }
				if (should_fail("inet-del", p->name)) { rc = ifc_fail("ioctl (SIOCDIFADDR)", EIO); break; }
				addr_delete(p, found);
				event("inet-del %s %s", p->name, ip_str(addr));
			} else {
				struct iface *owner;
				if (!alias && p->ninet > 0) { uint32_t old = p->inet[0].addr; addr_delete(p, 0); event("inet-del %s %s", p->name, ip_str(old)); }
				if (ifa_owner(addr, &owner) && owner == p) { rc = ifc_fail("ioctl (SIOCAIFADDR)", EEXIST); break; }
				if (should_fail("inet-add", p->name) || p->ninet >= MAXADDR) { rc = ifc_fail("ioctl (SIOCAIFADDR)", EIO); break; }
				p->inet[p->ninet].addr = addr; p->inet[p->ninet++].mask = mask;
				prefix_add(p, addr, mask);
				event("inet-add %s %s/%d", p->name, ip_str(addr), mask2len(mask));
			}
		} else {
			fprintf(stderr, "ifconfig: %s: bad value\n", w);
			rc = 1;
		}
	}
	if (changed) state_save();
	return rc;
}

/* ---------- route ---------- */

static void print_rtget(const char *to, struct route *r)
{
	struct iface *p = ifp_find(r->ifname);
	int isdef = r->mask == 0;
	printf("   route to: %s\n", to);
	printf("destination: %s\n", isdef ? "default" : ip_str(r->dst));
	printf("       mask: %s\n", isdef ? "default" : ip_str(r->mask));
	if (r->gw) printf("    gateway: %s\n", ip_str(r->gw));
	printf("        fib: 0\n  interface: %s\n", r->ifname);
	printf("      flags: <UP,%sDONE%s>\n", r->gw ? "GATEWAY," : "", r->isstatic ? ",STATIC" : ",PINNED");
	printf(" recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n");
	printf("       0         0         0         0      %4d         1         0 \n", p ? p->mtu : 1500);
}

static int rt_fail(const char *verb, const char *what, int e)
{
	fprintf(stderr, "route: writing to routing socket: %s\n", errname(e));
	printf("%s net %s: %s\n", verb, what, e == ESRCH ? "not in table" : errname(e));
	return 1;
}

static int cmd_route(int argc, char **argv)
{
	int i = 1;
	uint32_t dst = 0, mask = 0;
	while (i < argc && argv[i][0] == '-' && (!strcmp(argv[i], "-n") || !strcmp(argv[i], "-q") || !strcmp(argv[i], "-4"))) i++;
	if (i >= argc) { fprintf(stderr, "usage: route [-46dnqtv] command [[modifiers] args]\n"); return 64; }
	const char *verb = argv[i++];
	while (i < argc && (!strcmp(argv[i], "-net") || !strcmp(argv[i], "-inet") || !strcmp(argv[i], "-host"))) i++;
	if (i >= argc) { fprintf(stderr, "route: missing destination\n"); return 64; }
	const char *what = argv[i++];
	if (strcmp(what, "default")) {
		uint32_t m = 0xffffffffu; int ok = parse_addr(what, &dst, &m);
		if (!ok) { fprintf(stderr, "route: bad address: %s\n", what); return 1; }
		mask = m;
	}
	if (!strcmp(verb, "get")) {
		struct route *r = strcmp(what, "default") ? rt_lookup(dst) : NULL;
		if (!strcmp(what, "default")) for (int k = 0; k < S.nrt; k++) if (S.rts[k].mask == 0) r = &S.rts[k];
		if (!r) { fprintf(stderr, "route: route has not been found\n"); return 1; }
		print_rtget(what, r);
		return 0;
	}
	int found = -1;
	for (int k = 0; k < S.nrt; k++) if (S.rts[k].dst == dst && S.rts[k].mask == mask) found = k;
	if (!strcmp(verb, "delete")) {
		if (found < 0) return rt_fail("delete", what, ESRCH);
		if (should_fail("route-delete", NULL)) return rt_fail("delete", what, EIO);
		event("route-delete %s", what);
		rt_remove_at(found);
		state_save();
		printf("delete net %s\n", what);
		return 0;
	}
	if (!strcmp(verb, "add") || !strcmp(verb, "change")) {
		uint32_t gw; int ok;
		struct iface *owner = NULL; uint32_t ifa = 0;
		if (i >= argc) { fprintf(stderr, "route: missing gateway\n"); return 64; }
		gw = ip_parse(argv[i], &ok);
		if (!ok) { fprintf(stderr, "route: bad gateway: %s\n", argv[i]); return 1; }
		if (!strcmp(verb, "add") && found >= 0) return rt_fail("add", what, EEXIST);
		if (!strcmp(verb, "change") && found < 0) return rt_fail("change", what, ESRCH);
		/* ifa_ifwithnet: the interface whose address's subnet holds the gateway */
		for (int k = 0; k < S.nif && !owner; k++)
			for (int j = 0; j < S.ifs[k].ninet; j++)
				if ((gw & S.ifs[k].inet[j].mask) == (S.ifs[k].inet[j].addr & S.ifs[k].inet[j].mask)) {
					owner = &S.ifs[k]; ifa = S.ifs[k].inet[j].addr; break;
				}
		if (!owner) return rt_fail(verb, what, ENETUNREACH);
		if (should_fail(strcmp(verb, "add") ? "route-change" : "route-add", NULL)) return rt_fail(verb, what, EIO);
		if (found >= 0) rt_remove_at(found);
		struct route *r = &S.rts[S.nrt++];
		memset(r, 0, sizeof *r);
		r->dst = dst; r->mask = mask; r->gw = gw; r->ifa = ifa; r->isstatic = 1;
		snprintf(r->ifname, sizeof r->ifname, "%s", owner->name);
		event("route-%s %s %s via %s", verb, what, ip_str(gw), owner->name);
		state_save();
		printf("%s net %s: gateway %s\n", verb, what, ip_str(gw));
		return 0;
	}
	fprintf(stderr, "route: %s: unsupported in the model\n", verb);
	return 64;
}

/* ---------- kenv, sysctl, mount, mdmfs ---------- */

static int cmd_kenv(int argc, char **argv)
{
	int i = 1, quiet = 0;
	if (i < argc && !strcmp(argv[i], "-q")) { quiet = 1; i++; }
	if (i >= argc) {
		for (int k = 0; k < S.nkenv; k++) printf("%s=\"%s\"\n", S.kenv[k].key, S.kenv[k].val);
		return 0;
	}
	const char *v = kv_get(S.kenv, S.nkenv, argv[i]);
	if (!v) { if (!quiet) fprintf(stderr, "kenv: unable to get %s\n", argv[i]); return 1; }
	printf("%s\n", v);
	return 0;
}

static int cmd_sysctl(int argc, char **argv)
{
	int i = 1, bare = 0, quiet = 0, rc = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strchr(argv[i], 'n')) bare = 1;
		if (strchr(argv[i], 'q') || strchr(argv[i], 'i')) quiet = 1;
	}
	for (; i < argc; i++) {
		char key[64]; const char *eq = strchr(argv[i], '=');
		snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - argv[i]) : 63, argv[i]);
		const char *v = kv_get(S.sysctl, S.nsysctl, key);
		if (!v) { if (!quiet) fprintf(stderr, "sysctl: unknown oid '%s'\n", key); rc = 1; continue; }
		if (eq) {
			printf("%s: %s -> %s\n", key, v, eq + 1);
			kv_set(S.sysctl, &S.nsysctl, key, eq + 1);
			state_save();
		} else if (bare) printf("%s\n", v);
		else printf("%s: %s\n", key, v);
	}
	return rc;
}

static int cmd_mount(int argc, char **argv)
{
	int fstab = 0; const char *type = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-p")) fstab = 1;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc) type = argv[++i];
		else { fprintf(stderr, "mount: only listing is modelled\n"); return 1; }
	}
	if (!type || !strcmp(type, "nfs")) {
		if (fstab) printf("%s\t/\tnfs\trw\t0 0\n", S.nfsroot);
		else printf("%s on / (nfs)\n", S.nfsroot);
	}
	if (!type || !strcmp(type, "devfs")) {
		if (fstab) printf("devfs\t/dev\tdevfs\trw\t0 0\n"); else printf("devfs on /dev (devfs)\n");
	}
	for (int k = 0; k < S.nmem; k++) {
		if (type && strcmp(type, "ufs")) continue;
		if (fstab) printf("%s\t%s\tufs\trw\t2 2\n", S.mem[k].dev, S.mem[k].dir);
		else printf("%s on %s (ufs, local)\n", S.mem[k].dev, S.mem[k].dir);
	}
	return 0;
}

static int cmd_mdmfs(int argc, char **argv)
{
	int i = 1, malloced = 0;
	/* mdmfs(8): these options take an argument; -M asks for a malloc(9) disk (default: swap) */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (const char *o = argv[i] + 1; *o; o++) if (*o == 'M') malloced = 1;
		if (strchr("abcdeEFfgikmOopsTvw", argv[i][1]) && !argv[i][2]) i++;
	}
	if (argc - i != 2) { fprintf(stderr, "usage: mdmfs [options] md-device mount-point\n"); return 64; }
	const char *dir = argv[i + 1];
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) { fprintf(stderr, "mdmfs: %s: No such file or directory\n", dir); return 1; }
	if (should_fail("mdmfs", NULL) || S.nmem >= MAXMEM) { fprintf(stderr, "mdmfs: mdconfig (attach) exited with error code 1\n"); return 1; }
	/* A real tmpfs in the run's private mount namespace: umount empties the view like FreeBSD's. */
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755")) { perror("mdmfs: mount"); return 1; }
	snprintf(S.mem[S.nmem].dir, sizeof S.mem[0].dir, "%s", dir);
	snprintf(S.mem[S.nmem].dev, sizeof S.mem[0].dev, "/dev/md%d", S.nextmd++);
	S.mem[S.nmem].malloced = malloced;
	event("mdmfs %s %s %s", S.mem[S.nmem].dev, dir, malloced ? "malloc" : "swap");
	S.nmem++;
	state_save();
	return 0;
}

static int cmd_umount(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[argc - 1] : "";
	for (int k = 0; k < S.nmem; k++)
		if (!strcmp(S.mem[k].dir, dir) || !strcmp(S.mem[k].dev, dir)) {
			if (umount2(S.mem[k].dir, 0)) { fprintf(stderr, "umount: unmount of %s failed: %s\n", S.mem[k].dir, strerror(errno)); return 1; }
			event("umount %s", S.mem[k].dir);
			S.mem[k] = S.mem[--S.nmem];
			state_save();
			return 0;
		}
	fprintf(stderr, "umount: %s: not a file system root directory\n", dir);
	return 1;
}

static int cmd_mdconfig(int argc, char **argv)
{
	/* only "mdconfig -d -u N": the device goes away; model keeps no md list */
	for (int i = 1; i < argc; i++) if (!strcmp(argv[i], "-d")) { event("mdconfig-d %s", argc > 3 ? argv[3] : "?"); return 0; }
	fprintf(stderr, "mdconfig: only -d is modelled\n");
	return 64;
}

/*
 * chroot(8): chdir to the new root, chroot("."), exec the command there.
 * The model stays reachable through MODEL_FD and PROC_FD (see the top).
 */
static int cmd_chroot(int argc, char **argv)
{
	char real[512];
	int m, p;
	if (argc < 3) { fprintf(stderr, "usage: chroot newroot command [arg ...] (a shell is not modelled)\n"); return 64; }
	if (chrooted()) { fprintf(stderr, "chroot: a chroot inside the chroot is not modelled\n"); return 64; }
	if (!realpath(argv[1], real)) { fprintf(stderr, "chroot: %s: %s\n", argv[1], strerror(errno)); return 1; }
	m = open(MODEL, O_PATH | O_DIRECTORY);
	p = open("/proc", O_PATH | O_DIRECTORY);
	if (m < 0 || p < 0 || dup2(m, MODEL_FD) < 0 || dup2(p, PROC_FD) < 0) { perror("chroot: model"); return 70; }
	close(m); close(p);
	close(lockfd);
	if (chdir(argv[1]) || chroot(".")) { fprintf(stderr, "chroot: %s: %s\n", argv[1], strerror(errno)); return 1; }
	setenv("FAKEBSD_ROOT", real, 1);
	unsetenv("LD_PRELOAD");
	execvp(argv[2], argv + 2);
	fprintf(stderr, "chroot: %s: %s\n", argv[2], strerror(errno));
	return 1;
}

static int cmd_logger(int argc, char **argv)
{
	char line[1024] = "";
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && strchr("tp", argv[i][1]) && !argv[i][2]) { i++; continue; }
		strncat(line, argv[i], sizeof line - strlen(line) - 3);
		strcat(line, " ");
	}
	strcat(line, "\n");
	model_append("syslog", line);
	return 0;
}

/* "model reach" | "model link IF 0|1" | "model state": the test's controls. */
static int cmd_model(int argc, char **argv)
{
	const char *why;
	if (argc >= 2 && !strcmp(argv[1], "reach")) {
		int ok = nfs_reachable(&why);
		printf("%s %s\n", ok ? "up" : "down", why);
		return ok ? 0 : 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "link")) {
		struct iface *p = ifp_find(argv[2]);
		if (!p) return 1;
		p->link = argv[3][0] == '1';
		event("link %s %d", p->name, p->link);
		state_save();
		return 0;
	}
	fprintf(stderr, "usage: model reach | model link IF 0|1\n");
	return 64;
}

/* ---------- dispatch, logging ---------- */

/* Where path lives: "mem" (malloc-backed md), "swapmd" (swap-backed md) or "nfs". */
static const char *fs_of(const char *path)
{
	for (int k = 0; k < S.nmem; k++) {
		size_t n = strlen(S.mem[k].dir);
		if (!strncmp(path, S.mem[k].dir, n) && path[n] == '/') return S.mem[k].malloced ? "mem" : "swapmd";
	}
	return "nfs";
}

static void log_start(int argc, char **argv)
{
	char rel[512], exe[1024], line[2048]; const char *why;
	const char *root = chrooted() ? getenv("FAKEBSD_ROOT") : "";
	/* in a chroot the kernel names the image relative to the new root */
	ssize_t n = chrooted() ? readlinkat(PROC_FD, "self/exe", rel, sizeof rel - 1) : readlink("/proc/self/exe", rel, sizeof rel - 1);
	int up;
	if (n < 0) { fprintf(stderr, "%s: /proc is not mounted in the model\n", prog); exit(70); }
	rel[n] = 0;
	snprintf(exe, sizeof exe, "%s%s", root, rel);
	up = nfs_reachable(&why);
	snprintf(line, sizeof line, "exec %s fs=%s nfs=%s root=%s pid=%d argv=", exe, fs_of(exe), up ? "up" : "down",
		chrooted() ? root : "/", (int)getpid());
	for (int i = 0; i < argc && strlen(line) < sizeof line - 80; i++) {
		strncat(line, argv[i], 60);
		strcat(line, i + 1 < argc ? "\x1f" : "");
	}
	strcat(line, "\n");
	model_append("log", line);
}

#ifndef FAKEBSD_SHIM
int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strcmp(base, "rescue") && argc > 1) { argv++; argc--; base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]; }
	prog = base;
	state_lock();
	state_load();
	if (strcmp(base, "model")) log_start(argc, argv);
	if (!strcmp(base, "ifconfig")) return cmd_ifconfig(argc, argv);
	if (!strcmp(base, "route")) return cmd_route(argc, argv);
	if (!strcmp(base, "kenv")) return cmd_kenv(argc, argv);
	if (!strcmp(base, "sysctl")) return cmd_sysctl(argc, argv);
	if (!strcmp(base, "mount")) return cmd_mount(argc, argv);
	if (!strcmp(base, "umount")) return cmd_umount(argc, argv);
	if (!strcmp(base, "mdmfs")) return cmd_mdmfs(argc, argv);
	if (!strcmp(base, "mdconfig")) return cmd_mdconfig(argc, argv);
	if (!strcmp(base, "logger")) return cmd_logger(argc, argv);
	if (!strcmp(base, "chroot")) return cmd_chroot(argc, argv);
	if (!strcmp(base, "model")) return cmd_model(argc, argv);
	/* Not a fake: release the lock and become the real tool. */
	close(lockfd);
	if (chrooted()) {
		/* dash's libraries are outside the chroot: busybox-static's sh */
		argv[0] = (char *)(!strcmp(base, "-sh") ? "sh" : base);
		syscall(SYS_execveat, MODEL_FD, "impl/busybox", argv, environ, 0);
	} else if (!strcmp(base, "sh") || !strcmp(base, "-sh")) {
		/* the shell's own file accesses are watched by the shim below */
		if (access(MODEL "/impl/fileshim.so", R_OK) == 0) setenv("LD_PRELOAD", MODEL "/impl/fileshim.so", 1);
		execv(MODEL "/impl/dash", argv);
	} else {
		argv[0] = (char *)base;
		execv(MODEL "/impl/busybox", argv);
	}
	fprintf(stderr, "%s: model implementation missing: %s\n", base, strerror(errno));
	return 127;
}
#else /* FAKEBSD_SHIM */

/*
 * Built with -DFAKEBSD_SHIM -shared, this file is an LD_PRELOAD shim for the
 * model's dash: it notes the shell's own path lookups (open, stat, access,
 * chdir, opendir, execve, including failed PATH searches), which are not
 * program starts but would reach the NFS root just the same. Only accesses
 * made while the server is unreachable are logged; an absolute path counts
 * as NFS unless it is on a memory file system, since its lookup starts at
 * the NFS root's "/".
 */
#include <dirent.h>
#include <dlfcn.h>

static __thread int busy;

static void shim_note(const char *op, const char *path)
{
	char abs[1024], cwd[800], line[1400];
	const char *why;
	if (busy || !path || !*path) return;
	busy = 1;
	if (path[0] == '/') snprintf(abs, sizeof abs, "%s", path);
	else snprintf(abs, sizeof abs, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : "?", path);
	if (strncmp(abs, MODEL "/", strlen(MODEL) + 1) && strncmp(abs, "/proc/", 6) && access(MODEL "/state", R_OK) == 0) {
		state_load();
		if (!nfs_reachable(&why)) {
			snprintf(line, sizeof line, "file %s %s fs=%s nfs=down pid=%d\n", op, abs, fs_of(abs), (int)getpid());
			model_append("log", line);
		}
	}
	busy = 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*stat_fn)(const char *, struct stat64 *);
typedef int (*faccessat_fn)(int, const char *, int, int);
typedef int (*chdir_fn)(const char *);
typedef DIR *(*opendir_fn)(const char *);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);

#define REAL(name, type) static type real_##name; if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

int open(const char *p, int flags, ...)
{
	mode_t m = 0;
	if (flags & O_CREAT) { va_list ap; va_start(ap, flags); m = (mode_t)va_arg(ap, int); va_end(ap); }
	REAL(open, open_fn);
	shim_note("open", p);
	return real_open(p, flags, m);
}

int open64(const char *p, int flags, ...)
{
	mode_t m = 0;
	if (flags & O_CREAT) { va_list ap; va_start(ap, flags); m = (mode_t)va_arg(ap, int); va_end(ap); }
	REAL(open64, open_fn);
	shim_note("open", p);
	return real_open64(p, flags, m);
}

int stat64(const char *p, struct stat64 *st)
{
	REAL(stat64, stat_fn);
	shim_note("stat", p);
	return real_stat64(p, st);
}

int lstat64(const char *p, struct stat64 *st)
{
	REAL(lstat64, stat_fn);
	shim_note("stat", p);
	return real_lstat64(p, st);
}

int faccessat(int dirfd, const char *p, int mode, int flags)
{
	REAL(faccessat, faccessat_fn);
	shim_note("access", p);
	return real_faccessat(dirfd, p, mode, flags);
}

int chdir(const char *p)
{
	REAL(chdir, chdir_fn);
	shim_note("chdir", p);
	return real_chdir(p);
}

DIR *opendir(const char *p)
{
	REAL(opendir, opendir_fn);
	shim_note("opendir", p);
	return real_opendir(p);
}

int execve(const char *p, char *const argv[], char *const envp[])
{
	REAL(execve, execve_fn);
	shim_note("exec", p);
	return real_execve(p, argv, envp);
}
#endif /* FAKEBSD_SHIM */
