// One hild per state folder: an exclusive lock on STATE_DIR/hild.lock,
// held for the daemon's life and released by the kernel when it dies, so a
// crash never leaves a stale lock behind. The file holds the owner's pid,
// for the message a second daemon prints.
#pragma once

#include <string>

#include "hil/error.h"

namespace hil::daemon {

class StateLock {
 public:
  // Errors: infrastructure, naming the holder's pid when another process
  // holds the lock, or why the lock file cannot be opened.
  static Result<StateLock> Acquire(const std::string& state_dir);
  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&& other) noexcept;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock();

  const std::string& path() const { return path_; }

 private:
  StateLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace hil::daemon
