// hil's one process launcher, for every program it runs (OpenOCD, QEMU,
// CMake for the firmware, hil itself from hil::testing): an argument vector,
// never a shell; a process group of its own, killed whole at a deadline;
// dying with hil; stdin from /dev/null; stdout and stderr captured or
// logged; a program that is not installed told apart from one that failed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil {

struct ChildOutcome {
  bool timed_out = false;  // killed at the deadline
  bool signaled = false;
  int code = 0;        // exit status when it exited
  int signal = 0;      // when signaled
  std::string output;  // stdout and stderr, interleaved as written (unless logged)

  // The exit code, or 128 + the signal, as a shell reports it.
  int status() const { return signaled ? 128 + signal : code; }
};

// Starts argv with stdout and stderr on `output_fd`. Errors:
// infrastructure when it cannot be started (not installed: the message
// names it and says so).
Result<pid_t> SpawnProcess(const std::vector<std::string>& argv, int output_fd);

// Runs argv to its end or the deadline, its output captured in the outcome,
// or appended to `log_path` when one is given. Errors: as SpawnProcess.
Result<ChildOutcome> RunWithDeadline(const std::vector<std::string>& argv,
                                     std::chrono::milliseconds deadline,
                                     const std::string& log_path = "");

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

}  // namespace hil
