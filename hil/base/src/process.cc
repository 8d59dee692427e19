#include "hil/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace hil {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

// The child reports a failed exec through a close-on-exec pipe, so "not
// installed" is told apart from "ran and failed".
Result<pid_t> SpawnProcess(const std::vector<std::string>& argv, int output_fd) {
  if (argv.empty()) return ConfigurationError("no program to run");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int exec_error[2];
  if (::pipe2(exec_error, O_CLOEXEC) != 0) {
    return InfrastructureError("cannot start " + argv[0] + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(exec_error[0]);
    ::close(exec_error[1]);
    return InfrastructureError("cannot start " + argv[0] + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec. The helper dies with hil and
    // has a group of its own, so a deadline kills its children too.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    ::execvp(args[0], args.data());
    const int error = errno;
    ssize_t ignored = ::write(exec_error[1], &error, sizeof(error));
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // as the child does: no window where a kill misses it
  ::close(exec_error[1]);
  int error = 0;
  ssize_t got;
  do {
    got = ::read(exec_error[0], &error, sizeof(error));
  } while (got < 0 && errno == EINTR);
  ::close(exec_error[0]);
  if (got == static_cast<ssize_t>(sizeof(error))) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return InfrastructureError("cannot run " + argv[0] + ": " + std::strerror(error) +
                               (error == ENOENT ? " (is it installed? setup.sh installs it)" : ""));
  }
  return pid;
}

namespace {

void Reap(pid_t pid, ChildOutcome& outcome) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    outcome.signaled = true;
    outcome.signal = WTERMSIG(status);
  } else {
    outcome.code = WEXITSTATUS(status);
  }
}

// Starts argv with its output appended to `log_path`.
Result<pid_t> SpawnLogged(const std::vector<std::string>& argv, const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return InfrastructureError("cannot write " + log_path + ": " + std::strerror(errno));
  }
  Result<pid_t> pid = SpawnProcess(argv, log_fd);
  ::close(log_fd);
  return pid;
}

// Waits for a program whose output goes to a file, killing its group at
// the deadline.
Result<ChildOutcome> RunLogged(const std::vector<std::string>& argv,
                               std::chrono::milliseconds deadline, const std::string& log_path) {
  Result<pid_t> pid = SpawnLogged(argv, log_path);
  if (!pid.ok()) return pid.error();
  ChildOutcome outcome;
  const auto end = Clock::now() + deadline;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(*pid, &status, WNOHANG);
    if (done == *pid) break;
    if (done < 0 && errno != EINTR) return InfrastructureError("lost " + argv[0] + "'s process");
    if (Clock::now() >= end) {
      outcome.timed_out = true;
      ::kill(-*pid, SIGKILL);  // the group: every program it started
      Reap(*pid, outcome);
      return outcome;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFSIGNALED(status)) {
    outcome.signaled = true;
    outcome.signal = WTERMSIG(status);
  } else {
    outcome.code = WEXITSTATUS(status);
  }
  return outcome;
}

}  // namespace

Result<ChildOutcome> RunWithDeadline(const std::vector<std::string>& argv,
                                     std::chrono::milliseconds deadline,
                                     const std::string& log_path) {
  if (!log_path.empty()) return RunLogged(argv, deadline, log_path);
  int output[2];
  if (::pipe2(output, O_CLOEXEC) != 0) {
    return InfrastructureError(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Result<pid_t> pid = SpawnProcess(argv, output[1]);
  ::close(output[1]);
  if (!pid.ok()) {
    ::close(output[0]);
    return pid.error();
  }
  ChildOutcome outcome;
  const auto end = Clock::now() + deadline;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      ::kill(-*pid, SIGKILL);
      break;
    }
    pollfd watched{output[0], POLLIN, 0};
    const int ready = ::poll(&watched, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t got = ::read(output[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every writer closed: it ended
    outcome.output.append(buffer, static_cast<size_t>(got));
  }
  ::close(output[0]);
  Reap(*pid, outcome);
  if (outcome.timed_out) ::kill(-*pid, SIGKILL);  // anything it left in its group
  return outcome;
}

Result<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                         const std::string& log_path) {
  Result<pid_t> pid = SpawnLogged(argv, log_path);
  if (!pid.ok()) return pid.error();
  return ChildProcess(*pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::Running() {
  if (pid_ < 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return;
  ::kill(-pid_, SIGTERM);
  const auto end = Clock::now() + grace;
  while (Clock::now() < end) {
    if (!Running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace hil
