// A hild process on a scratch bench file, for the daemon's tests: started,
// asked over its unix socket, signalled, and killed if still alive at the
// end of the test.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {

using nlohmann::json;
using namespace std::chrono_literals;

// A hild process on a scratch bench file; killed (SIGKILL) if still alive
// at the end of the test.
class Hild {
 public:
  Hild(const ScratchFolder& scratch, const std::string& bench_file)
      : scratch_(scratch), bench_file_(bench_file) {}
  ~Hild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void Start() {
    Spawn();
    for (int i = 0; i < 200 && !Client().Get("/health"); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(Client().Get("/health")) << Log();
  }
  // Starts it without waiting for it to answer.
  void Spawn() {
    pid_ = SpawnProgram(HILD_PATH, {"--config", bench_file_}, scratch_.File(log_name_));
    ASSERT_GT(pid_, 0);
  }
  // Waits for it to exit by itself; its wait status, or -1 after `limit`.
  int Wait(std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
  pid_t pid() const { return pid_; }
  void set_log_name(const std::string& name) { log_name_ = name; }
  int Signal(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  httplib::Client Client() const {
    httplib::Client client(scratch_.File("state/hild.sock"));
    client.set_address_family(AF_UNIX);
    client.set_read_timeout(60s);
    return client;
  }
  json Get(const std::string& path) const {
    httplib::Result result = Client().Get(path);
    if (!result) return json();
    return json::parse(result->body, nullptr, false);
  }
  int64_t Submit(const std::string& plan_file, const std::string& bench = "") {
    std::ifstream in(plan_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json body = {{"plan", text}, {"plan_path", plan_file}, {"base_dir", scratch_.File("")}};
    if (!bench.empty()) body["bench"] = bench;
    httplib::Result result = Client().Post("/jobs", body.dump(), "application/json");
    if (!result || result->status != 201) {
      ADD_FAILURE() << (result ? result->body : "no reply");
      return -1;
    }
    return json::parse(result->body)["id"].get<int64_t>();
  }
  // Waits until no job is queued or running; returns the jobs.
  json WaitForAll(std::chrono::seconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    json jobs;
    while (std::chrono::steady_clock::now() < end) {
      jobs = Get("/jobs")["jobs"];
      bool busy = false;
      for (const json& job : jobs) busy |= job["state"] == "queued" || job["state"] == "running";
      if (!busy) return jobs;
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "jobs still busy: " << jobs.dump(1);
    return jobs;
  }
  std::string Log() const {
    std::ifstream in(scratch_.File(log_name_));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  const ScratchFolder& scratch_;
  std::string bench_file_;
  std::string log_name_ = "hild.log";
  pid_t pid_ = -1;
};

}  // namespace hil::testing
