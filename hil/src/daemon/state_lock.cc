#include "hil/daemon/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hil::daemon {

Result<StateLock> StateLock::Acquire(const std::string& state_dir) {
  const std::string path = state_dir + "/hild.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return InfrastructureError("cannot open the lock " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return InfrastructureError("cannot lock " + path + ": " + std::strerror(error));
    }
    std::string holder = n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return InfrastructureError(
        "another hild" + (holder.empty() ? std::string() : " (pid " + holder + ")") +
        " already owns the state folder " + state_dir + " (its lock " + path +
        "); one hild per state folder: stop that one, or give this one another state_dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd);
    return InfrastructureError("cannot write the lock " + path + ": " + std::strerror(error));
  }
  return StateLock(fd, path);
}

StateLock::StateLock(StateLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

StateLock::~StateLock() {
  // Closing the descriptor releases the lock; the file stays, so a second
  // daemon never races the first one's unlink.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace hil::daemon
