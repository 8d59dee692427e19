// Runs a helper program (openocd) with a deadline: its output captured, its
// whole process group killed when the deadline passes, and never left
// behind when hil dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::flash {

struct ChildOutcome {
  bool timed_out = false;  // killed at the deadline
  bool signaled = false;
  int code = 0;        // exit status when it exited
  int signal = 0;      // when signaled
  std::string output;  // stdout and stderr, interleaved as written
};

// Errors: infrastructure when the program cannot be started (not installed:
// the message names it).
Result<ChildOutcome> RunWithDeadline(const std::vector<std::string>& argv,
                                     std::chrono::milliseconds deadline);

// A program that keeps running (a long-lived openocd): started in its own
// process group, output appended to a log file, stopped on destruction.
class ChildProcess {
 public:
  // Errors: infrastructure (cannot start).
  static Result<ChildProcess> Start(const std::vector<std::string>& argv,
                                    const std::string& log_path);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Whether it still runs (reaps it if it ended).
  bool Running();
  // SIGTERM to the group, then SIGKILL after `grace`.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace hil::flash
