// Runs the hil command line as a user would, for the CLI tests.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace hil::testing {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line; its exit code and its output.
inline CliRun RunCommand(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  CliRun run{-1, ""};
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    run.output.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline CliRun RunHil(const std::string& arguments) {
  return RunCommand(std::string(HIL_CLI_PATH) + " " + arguments);
}

// Starts a program in the background, its output to log_path (or
// discarded); returns its pid, or -1. The caller waits for it (waitpid).
inline pid_t SpawnProgram(const std::string& program, std::vector<std::string> arguments,
                          const std::string& log_path = "/dev/null") {
  arguments.insert(arguments.begin(), program);
  std::vector<char*> args;
  for (std::string& arg : arguments) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

// Starts hil with these arguments in the background, its output discarded.
inline pid_t SpawnHil(std::vector<std::string> arguments) {
  return SpawnProgram(HIL_CLI_PATH, std::move(arguments));
}

// A whole file as text ("" if it cannot be read).
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A `hil bench up` in the background, as a user starts one by hand.
struct BenchUp {
  pid_t pid = -1;
  std::string uart;  // the DUT's UART as printed, e.g. unix:/tmp/hil-qemu-.../uart.sock
};

// Starts `hil bench up --out FOLDER` for up to 300 s, its output in
// log_path, and waits (10 s at most) for it to print the UART's address;
// uart stays empty if it never does.
inline BenchUp StartBenchUp(const std::string& folder, const std::string& log_path) {
  BenchUp bench;
  bench.pid =
      SpawnProgram(HIL_CLI_PATH, {"bench", "up", "--out", folder, "--seconds", "300"}, log_path);
  for (int i = 0; i < 200 && bench.pid > 0 && bench.uart.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string text = ReadWholeFile(log_path);
    const size_t at = text.find("DUT UART      ");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      bench.uart = text.substr(at + 14, text.find('\n', at) - at - 14);
    }
  }
  return bench;
}

}  // namespace hil::testing
