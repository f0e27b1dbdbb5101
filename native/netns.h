// Running a piece of code inside another network namespace without moving the calling thread.
// setns(CLONE_NEWNET) changes only the calling thread; doing it in a short-lived helper thread keeps Node's threads
// where they are. Sockets and TAPs keep the namespace they were created in, so a descriptor made in the helper is
// usable from any thread afterwards.
#pragma once
#include <functional>
#include <string>

namespace umv {

/** Opens a namespace file (/run/netns/NAME, /proc/PID/ns/net): fd, or -errno. Empty path → -1 ("here"). */
int OpenNetns(const std::string& path);
/** Runs fn in netns `nsfd` (fn's own errno-style result is returned), or in place when nsfd < 0.
 *  Returns -errno when the thread could not enter the namespace. */
int InNetns(int nsfd, const std::function<int()>& fn);

}  // namespace umv
