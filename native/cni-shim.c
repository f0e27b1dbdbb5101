// cni-shim.c — the `umacvlan` CNI plugin a runtime executes (README, "Containers"). It holds no CNI logic: it finds
// the master's daemon, sends it one request {"cmd":"cni","env":{...},"stdin":"..."} over the control socket, prints
// the answer's stdout and exits with its status. Built static (binding.gyp) so that the copy `umacvlan cni install`
// writes runs on a node with neither Node.js nor a checkout.
//
// Finding the daemon: the config's `control` key when present; else /run/umacvlan/<netns inode>-<master>.sock, the
// daemon's default path (src/control/socket-path.ts), with this process's network namespace and `master`, or when
// `master` is omitted the interface of the default route (/proc/net/route, read in this namespace).
//
// VERSION is answered here, without a daemon: runtimes ask it to probe a plugin before any network exists, and the
// answer is fixed at build time (test/unit/control/cni-shim.test.ts holds it to src/cni/versions.ts).
#include "cni-shim.h"
#include "cni-shim-json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_TIMEOUT_S 120
#define MAX_ANSWER (4 * 1024 * 1024)
#define SUPPORTED "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]"
#define DEFAULT_VERSION "1.1.0"
/* src/control/cni-request.ts MAX_CNI_REQUEST_BYTES: the daemon reads no larger request */
#define MAX_REQUEST (1024 * 1024 + 64 * 1024)

static const char *const ENV_KEYS[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH" };

static void put(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

void shim_fail(const char *version, int code, const char *msg, const char *details) {
  static char out[8192];
  size_t k = (size_t)snprintf(out, sizeof out, "{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"", version, code);
  size_t m = json_escape(out, k, sizeof out - 64, msg, strlen(msg));
  if (m != (size_t)-1) k = m;
  if (details && *details) {
    k += (size_t)snprintf(out + k, sizeof out - k, "\",\"details\":\"");
    m = json_escape(out, k, sizeof out - 8, details, strlen(details));
    if (m != (size_t)-1) k = m;
  }
  k += (size_t)snprintf(out + k, sizeof out - k, "\"}\n");
  put(out, k);
  exit(1);
}

/* stdin, at most SHIM_MAX_STDIN bytes; *over set when there was more */
static char *read_stdin(size_t *len, int *over) {
  char *buf = malloc(SHIM_MAX_STDIN + 1);
  size_t n = 0;
  *over = 0;
  if (!buf) return NULL;
  for (;;) {
    ssize_t r = read(0, buf + n, SHIM_MAX_STDIN + 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n > SHIM_MAX_STDIN) { *over = 1; n = SHIM_MAX_STDIN; break; }
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

/* the interface of the lowest-metric default route in this namespace, or -1 */
static int default_route_iface(char *out, size_t cap) {
  FILE *f = fopen("/proc/net/route", "r");
  if (!f) return -1;
  char line[512], name[64];
  unsigned long dst, gw, mask, flags, best = (unsigned long)-1;
  int refcnt, use, found = -1;
  unsigned long metric;
  if (!fgets(line, sizeof line, f)) { fclose(f); return -1; }
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "%63s %lx %lx %lx %d %d %lu %lx", name, &dst, &gw, &flags, &refcnt, &use, &metric, &mask) != 8) continue;
    if (dst != 0 || mask != 0 || !(flags & 1) || metric >= best || strlen(name) >= cap) continue;
    best = metric;
    strcpy(out, name);
    found = 0;
  }
  fclose(f);
  return found;
}

/* a config string that may only hold [0-9A-Za-z._-] (a version, an interface name); "" when absent or otherwise */
static void plain_string(span cfg, const char *key, char *out, size_t cap) {
  span v;
  out[0] = 0;
  if (json_get(cfg, key, &v) || json_string(v, out, cap)) { out[0] = 0; return; }
  for (const char *p = out; *p; p++) {
    if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-", *p)) { out[0] = 0; return; }
  }
}

static int connect_to(const char *path) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
  struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

/* {"cmd":"cni","env":{...},"stdin":"..."}\n — "cmd" first: the daemon grants the CNI allowance on that prefix */
static char *build_request(const char *config, size_t len, size_t *out_len) {
  size_t cap = (len + 6 * 4097) * 6 + 1024;
  char *buf = malloc(cap);
  if (!buf) return NULL;
  size_t k = (size_t)snprintf(buf, cap, "{\"cmd\":\"cni\",\"env\":{");
  int first = 1;
  for (size_t i = 0; i < sizeof ENV_KEYS / sizeof ENV_KEYS[0]; i++) {
    const char *v = getenv(ENV_KEYS[i]);
    if (!v) continue;
    if (strlen(v) > 4096) v = "";  /* the daemon refuses what it cannot use; a huge variable is not sent */
    k += (size_t)snprintf(buf + k, cap - k, "%s\"%s\":\"", first ? "" : ",", ENV_KEYS[i]);
    first = 0;
    k = json_escape(buf, k, cap, v, strlen(v));
    k += (size_t)snprintf(buf + k, cap - k, "\"");
  }
  k += (size_t)snprintf(buf + k, cap - k, "},\"stdin\":\"");
  k = json_escape(buf, k, cap, config, len);
  k += (size_t)snprintf(buf + k, cap - k, "\"}\n");
  *out_len = k;
  return buf;
}

/* Sends the request; -1 with errno when nobody answers. Prints the answer and returns the exit status. */
static int ask(int fd, const char *req, size_t n, const char *version) {
  for (size_t off = 0; off < n;) {
    ssize_t w = write(fd, req + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  /* no shutdown(SHUT_WR): the newline ends the request, and the daemon's socket (allowHalfOpen off) would close its
   * side on our FIN before a slow answer (an ADD running IPAM) is written */
  char *ans = malloc(MAX_ANSWER + 1);
  size_t k = 0;
  if (!ans) shim_fail(version, 11, "out of memory", NULL);
  for (;;) {
    ssize_t r = read(fd, ans + k, MAX_ANSWER - k);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || (k += (size_t)r) >= MAX_ANSWER) break;
  }
  if (k == 0) return -1;
  span a = { ans, k }, v;
  long code = 0;
  if (json_get(a, "stdout", &v) == 0 && json_get(a, "exit", &(span){0}) == 0) {
    span e;
    json_get(a, "exit", &e);
    char *out = malloc(v.n + 1);
    if (!out || json_string(v, out, v.n + 1) || json_int(e, &code) || code < 0 || code > 255) {
      shim_fail(version, 11, "the daemon's answer is malformed", NULL);
    }
    put(out, strlen(out));
    return (int)code;
  }
  char msg[4096] = "the daemon refused the request", kind[64] = "";
  if (json_get(a, "error", &v) == 0) json_string(v, msg, sizeof msg);
  if (json_get(a, "code", &v) == 0) json_string(v, kind, sizeof kind);
  /* busy, a timeout, still starting: asking again later may succeed */
  int again = !strcmp(kind, "UMV_ERR_BUSY") || !strcmp(kind, "UMV_ERR_TIMEOUT") || !strcmp(kind, "UMV_ERR_STARTING");
  shim_fail(version, again ? 11 : 100, msg, kind);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  size_t len;
  int over;
  char *config = read_stdin(&len, &over);
  if (!config) shim_fail(DEFAULT_VERSION, 11, "out of memory", NULL);
  span cfg = { config, len };
  char version[32], master[64], control[256] = "", sock[512];
  plain_string(cfg, "cniVersion", version, sizeof version);
  const char *v = version[0] ? version : DEFAULT_VERSION;
  const char *cmd = getenv("CNI_COMMAND");
  if (!cmd || !*cmd) shim_fail(v, 4, "CNI_COMMAND is not set", "a CNI plugin is run by a container runtime");
  if (!strcmp(cmd, "VERSION")) {
    printf("{\"cniVersion\":\"%s\",\"supportedVersions\":" SUPPORTED "}\n", v);
    return 0;
  }
  if (over) shim_fail(v, 7, "the network configuration is larger than 1 MiB", NULL);
  span cv;
  if (json_get(cfg, "control", &cv) == 0 && (json_string(cv, control, sizeof control) || control[0] != '/')) {
    shim_fail(v, 7, "control: not an absolute path to a socket", NULL);
  }
  if (control[0]) {
    snprintf(sock, sizeof sock, "%s", control);
  } else {
    plain_string(cfg, "master", master, 16);
    if (!master[0] && json_get(cfg, "master", &cv) == 0) shim_fail(v, 7, "master: not an interface name", NULL);
    if (!master[0] && default_route_iface(master, 16)) {
      shim_fail(v, 7, "master is omitted and this namespace has no default route to take its interface from", NULL);
    }
    struct stat st;
    if (stat("/proc/self/ns/net", &st)) shim_fail(v, 11, "cannot read this process's network namespace", strerror(errno));
    snprintf(sock, sizeof sock, "%s/%lu-%s.sock", SHIM_CONTROL_DIR, (unsigned long)st.st_ino, master);
  }
  size_t n;
  char *req = build_request(config, len, &n);
  if (!req || n == (size_t)-1) shim_fail(v, 11, "out of memory", NULL);
  if (n > MAX_REQUEST) shim_fail(v, 7, "the network configuration is larger than 1 MiB once escaped for the daemon", NULL);
  int fd = connect_to(sock);
  int status = fd < 0 ? -1 : ask(fd, req, n, v);
  if (status >= 0) return status;
  char why[1024];
  if (!strcmp(cmd, "DEL")) return shim_del_alone(sock, config, len, v);
  if (!strcmp(cmd, "STATUS")) {
    snprintf(why, sizeof why, "no umacvlan daemon answers on %s", sock);
    shim_fail(v, 50, why, "the plugin is not available: its daemon is not running");
  }
  snprintf(why, sizeof why, "no umacvlan daemon answers on %s; start one: umacvlan run --parent %s --persist",
    sock, control[0] ? "MASTER" : master);
  shim_fail(v, 11, why, "try again later");
}
