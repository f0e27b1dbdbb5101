// cni-shim-del.c — DEL with no daemon answering, the one CNI step the shim performs itself (DEL must succeed whether
// or not the daemon runs). In this order: a tombstone beside the socket, so that a --persist daemon that starts later
// does not bring the child back (it drops kept children with one and removes the file); the link CNI_IFNAME deleted
// inside CNI_NETNS (setns, RTM_DELLINK by name; a namespace or link already gone is success); the IPAM plugin's DEL
// run from CNI_PATH with the same environment and stdin, as the reference plugin does.
#define _GNU_SOURCE 1
#include "cni-shim.h"
#include "cni-shim-json.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int shim_tombstone_name(const char *container, const char *ifname, char *out, size_t cap) {
  size_t k = 0;
  const char *parts[2] = { container, ifname };
  for (int i = 0; i < 2; i++) {
    if (i == 1) { if (k + 2 > cap) return -1; out[k++] = '~'; }
    for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
      if (k + 4 > cap) return -1;
      if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '.' || *p == '-') out[k++] = (char)*p;
      else k += (size_t)snprintf(out + k, cap - k, "%%%02X", *p);
    }
  }
  out[k] = 0;
  return 0;
}

static void tombstone(const char *sock, const char *network) {
  const char *cid = getenv("CNI_CONTAINERID"), *ifn = getenv("CNI_IFNAME");
  char dir[512], name[400], path[1024];
  snprintf(dir, sizeof dir, "%s", sock);
  snprintf(path, sizeof path, "%s/" SHIM_TOMBSTONES, dirname(dir));
  if (!cid || !ifn || shim_tombstone_name(cid, ifn, name, sizeof name)) return;
  mkdir(path, 0700);
  size_t k = strlen(path);
  snprintf(path + k, sizeof path - k, "/%s", name);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  if (write(fd, network, strlen(network)) < 0 || write(fd, "\n", 1) < 0) { /* the name is what counts */ }
  close(fd);
}

/* RTM_DELLINK by name in the current namespace; 0 when deleted or not there */
static int del_link(const char *ifname) {
  struct { struct nlmsghdr h; struct ifinfomsg i; char attrs[64]; } m;
  memset(&m, 0, sizeof m);
  size_t n = strlen(ifname) + 1;
  if (n > 16) return -EINVAL;
  struct rtattr *a = (struct rtattr *)m.attrs;
  a->rta_type = IFLA_IFNAME;
  a->rta_len = (unsigned short)RTA_LENGTH(n);
  memcpy(RTA_DATA(a), ifname, n);
  m.h.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof m.i) + RTA_ALIGN(a->rta_len));
  m.h.nlmsg_type = RTM_DELLINK;
  m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  m.h.nlmsg_seq = 1;
  m.i.ifi_family = AF_UNSPEC;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  int r = -EIO;
  if (send(fd, &m, m.h.nlmsg_len, 0) >= 0) {
    char buf[4096];
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (got >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR) {
      r = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
  close(fd);
  return r == -ENODEV ? 0 : r;
}

static void del_in_netns(const char *netns, const char *ifname) {
  int target = open(netns, O_RDONLY | O_CLOEXEC);
  if (target < 0) return;  /* the namespace is gone, and the link with it */
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home >= 0 && setns(target, CLONE_NEWNET) == 0) {
    del_link(ifname);
    if (setns(home, CLONE_NEWNET)) _exit(1);  /* cannot happen for root; never run IPAM in the container's namespace */
  }
  if (home >= 0) close(home);
  close(target);
}

/* CNI_PATH's first directory holding an executable `type`; 0 and path set, or -1 */
static int find_plugin(const char *type, char *path, size_t cap) {
  const char *dirs = getenv("CNI_PATH");
  if (!dirs || !*type || strchr(type, '/')) return -1;
  while (*dirs) {
    size_t n = strcspn(dirs, ":");
    if (n > 0 && (size_t)snprintf(path, cap, "%.*s/%s", (int)n, dirs, type) < cap && access(path, X_OK) == 0) return 0;
    dirs += n + (dirs[n] == ':');
  }
  return -1;
}

/* Runs the IPAM plugin with our environment and the config on its stdin; its stdout is ours. Its exit status. */
static int run_ipam(const char *plugin, const char *config, size_t len) {
  int in[2];
  if (pipe(in)) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    dup2(in[0], 0);
    close(in[0]);
    close(in[1]);
    execl(plugin, plugin, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  for (size_t off = 0; off < len;) {
    ssize_t w = write(in[1], config + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(in[1]);
  int st;
  while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return 1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int shim_del_alone(const char *sock, const char *config, size_t len, const char *version) {
  span cfg = { config, len }, ipam, v;
  char network[256] = "", type[256] = "", plugin[4096];
  if (json_get(cfg, "name", &v) == 0) json_string(v, network, sizeof network);
  tombstone(sock, network);
  const char *netns = getenv("CNI_NETNS"), *ifname = getenv("CNI_IFNAME");
  if (netns && *netns && ifname && *ifname) del_in_netns(netns, ifname);
  if (json_get(cfg, "ipam", &ipam) || json_get(ipam, "type", &v) || json_string(v, type, sizeof type) || !type[0]) return 0;
  if (find_plugin(type, plugin, sizeof plugin)) {
    char why[512];
    snprintf(why, sizeof why, "the IPAM plugin %s is not in CNI_PATH", type);
    shim_fail(version, 7, why, NULL);
  }
  return run_ipam(plugin, config, len);
}
