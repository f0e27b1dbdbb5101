// netns.cc - enter a network namespace in a helper thread (see netns.h for why not in the caller's thread).
#include "netns.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>

namespace umv {

int OpenNetns(const std::string& path) {
  if (path.empty()) return -1;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

namespace {
struct Job {
  int nsfd;
  const std::function<int()>* fn;
  int rc;
};

void* RunInNetns(void* arg) {
  Job* j = static_cast<Job*>(arg);
  j->rc = setns(j->nsfd, CLONE_NEWNET) < 0 ? -errno : (*j->fn)();
  return nullptr;
}
}  // namespace

int InNetns(int nsfd, const std::function<int()>& fn) {
  if (nsfd < 0) return fn();
  // pthread_create, not std::thread: the addon is built without C++ exceptions, where a std::thread that cannot be
  // made (EAGAIN at the task or memory limit) aborts the whole daemon. A failed thread is an errno like any other.
  Job job{nsfd, &fn, 0};
  pthread_t t;
  int e = pthread_create(&t, nullptr, RunInNetns, &job);
  if (e != 0) return -e;
  pthread_join(t, nullptr);
  return job.rc;
}

}  // namespace umv
