// tap-identity.cc - what marks a TAP as a daemon's own across a restart: its interface alias and its tun owner, read
// for every link of a namespace, and the alias set. Raw rtnetlink from a thread in that namespace (netns.h); each
// call returns >= 0 / -errno or the links found, and deciding which TAP is whose is TypeScript's.
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common.h"
#include "netns.h"

namespace umv {

namespace {

struct LinkId {
  int ifindex = 0;
  std::string name;
  std::string alias;
  bool tun = false;    // IFLA_INFO_KIND "tun" (TUN and TAP alike)
  int type = 0;        // IFLA_TUN_TYPE: IFF_TUN or IFF_TAP
  double owner = -1;   // IFLA_TUN_OWNER, -1 when none is set
  bool persist = false;
};

constexpr size_t kBuf = 1 << 16;
constexpr size_t kAliasMax = 128;  // IFALIASZ (linux/if.h, which clashes with <net/if.h>): 255 + NUL; ours are short

int OpenRoute() {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  timeval tv = {2, 0};  // an answer never takes this long; a lost one must not hang the control thread
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) { int e = errno; close(fd); return -e; }
  return fd;
}

void ParseTunData(const rtattr* a, int len, LinkId& l) {
  for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_TUN_OWNER && RTA_PAYLOAD(a) >= 4) l.owner = *static_cast<const uint32_t*>(RTA_DATA(a));
    if (a->rta_type == IFLA_TUN_TYPE && RTA_PAYLOAD(a) >= 1) l.type = *static_cast<const uint8_t*>(RTA_DATA(a));
    if (a->rta_type == IFLA_TUN_PERSIST && RTA_PAYLOAD(a) >= 1) l.persist = *static_cast<const uint8_t*>(RTA_DATA(a)) != 0;
  }
}

void ParseLinkInfo(const rtattr* a, int len, LinkId& l) {
  for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_INFO_KIND) l.tun = strncmp(static_cast<const char*>(RTA_DATA(a)), "tun", RTA_PAYLOAD(a)) == 0;
    if (a->rta_type == IFLA_INFO_DATA) ParseTunData(static_cast<const rtattr*>(RTA_DATA(a)), RTA_PAYLOAD(a), l);
  }
}

std::string AttrString(const rtattr* a) {
  const char* p = static_cast<const char*>(RTA_DATA(a));
  return std::string(p, strnlen(p, RTA_PAYLOAD(a)));
}

// Every link of the calling thread's namespace with its alias and tun identity: 0 or -errno.
int DumpLinks(std::vector<LinkId>& out) {
  int fd = OpenRoute();
  if (fd < 0) return fd;
  struct { nlmsghdr h; ifinfomsg i; } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.i.ifi_family = AF_UNSPEC;
  if (send(fd, &req, sizeof req, 0) < 0) { int e = errno; close(fd); return -e; }
  std::vector<char> buf(kBuf);
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) { int e = errno; close(fd); return -e; }
    int len = static_cast<int>(n);
    for (nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) { close(fd); return 0; }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int e = -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
        close(fd);
        return -e;
      }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      ifinfomsg* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      LinkId l;
      l.ifindex = ifi->ifi_index;
      int alen = static_cast<int>(IFLA_PAYLOAD(h));
      for (rtattr* a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type == IFLA_IFNAME) l.name = AttrString(a);
        if (a->rta_type == IFLA_IFALIAS) l.alias = AttrString(a);
        if (a->rta_type == IFLA_LINKINFO) ParseLinkInfo(static_cast<rtattr*>(RTA_DATA(a)), RTA_PAYLOAD(a), l);
      }
      out.push_back(l);
    }
  }
}

// Sets link ifindex's alias in the calling thread's namespace: 0 or -errno (the kernel's ACK).
int SetAlias(int ifindex, const std::string& alias) {
  int fd = OpenRoute();
  if (fd < 0) return fd;
  struct { nlmsghdr h; ifinfomsg i; char attrs[256]; } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_type = RTM_SETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.h.nlmsg_seq = 1;
  req.i.ifi_family = AF_UNSPEC;
  req.i.ifi_index = ifindex;
  rtattr* a = reinterpret_cast<rtattr*>(req.attrs);
  a->rta_type = IFLA_IFALIAS;
  a->rta_len = RTA_LENGTH(alias.size());
  memcpy(RTA_DATA(a), alias.data(), alias.size());
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.i) + RTA_ALIGN(a->rta_len);
  if (send(fd, &req, req.h.nlmsg_len, 0) < 0) { int e = errno; close(fd); return -e; }
  char buf[1024];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  int rc = n < 0 ? -errno : 0;
  if (n >= static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr)))) {
    nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buf);
    if (h->nlmsg_type == NLMSG_ERROR) rc = static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
  }
  close(fd);
  return rc;
}

}  // namespace

// tapLinks(nsfd) → [{ifindex, name, alias, tun, type, owner, persist}] of every link there | -errno
static Napi::Value TapLinks(const Napi::CallbackInfo& info) {
  std::vector<LinkId> links;
  int rc = InNetns(ArgInt(info, 0, -1), [&]() { return DumpLinks(links); });
  Napi::Env env = info.Env();
  if (rc < 0) return Num(env, rc);
  Napi::Array arr = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", links[i].ifindex);
    o.Set("name", links[i].name);
    o.Set("alias", links[i].alias);
    o.Set("tun", links[i].tun);
    o.Set("tap", links[i].type == IFF_TAP);
    o.Set("owner", links[i].owner);
    o.Set("persist", links[i].persist);
    arr.Set(static_cast<uint32_t>(i), o);
  }
  return arr;
}

// linkSetAlias(nsfd, ifindex, alias) → 0 | -errno
static Napi::Value LinkSetAlias(const Napi::CallbackInfo& info) {
  std::string alias = ArgString(info, 2);
  if (alias.size() >= kAliasMax) return Num(info.Env(), -EINVAL);
  int ifindex = ArgInt(info, 1, 0);
  return Num(info.Env(), InNetns(ArgInt(info, 0, -1), [&]() { return SetAlias(ifindex, alias); }));
}

void InitTapIdentity(Napi::Env env, Napi::Object exports) {
  exports.Set("tapLinks", Napi::Function::New<TapLinks>(env, "tapLinks"));
  exports.Set("linkSetAlias", Napi::Function::New<LinkSetAlias>(env, "linkSetAlias"));
}

}  // namespace umv
