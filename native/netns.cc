// netns.cc - enter a network namespace in a helper thread (see netns.h for why not in the caller's thread).
#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace umv {

int OpenNetns(const std::string& path) {
  if (path.empty()) return -1;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int InNetns(int nsfd, const std::function<int()>& fn) {
  if (nsfd < 0) return fn();
  int rc = 0;
  std::thread t([&] {
    if (setns(nsfd, CLONE_NEWNET) < 0) { rc = -errno; return; }
    rc = fn();
  });
  t.join();
  return rc;
}

}  // namespace umv
