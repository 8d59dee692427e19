// hild: owns the benches of its configuration, runs each bench's queued
// jobs one at a time (different benches in parallel), and serves the
// HTTP/JSON API (hil/daemon/API.md) on a unix socket and, if configured,
// on TCP with a bearer token.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hil/bench/bench_spec.h"
#include "hil/daemon/job_store.h"
#include "hil/error.h"

namespace httplib {
class Server;
}

namespace hil::daemon {

using bench::BenchSpec;

struct DaemonConfig {
  std::vector<BenchSpec> benches;
  std::string state_dir;    // jobs.db, and jobs/<id>/ for outputs
  std::string socket_path;  // the unix socket (mode 0660)
  std::string tcp_address = "127.0.0.1";
  int tcp_port = 0;            // 0: no TCP
  std::string token;           // required on TCP
  std::string firmware_cache;  // empty: FirmwareBuilder's default
};

// Reads a bench file (YAML). Errors: configuration, with FILE:LINE:COL.
Result<DaemonConfig> ReadDaemonConfig(const std::string& path);

// Progress of one job, kept in memory for its event stream.
struct JobEvents {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> lines;  // JSON objects, one per event
  bool done = false;
};

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();

  // Opens the queue, re-queues jobs a dead daemon left running, starts one
  // worker per bench and the servers. Errors: infrastructure (state
  // folder, database, socket) and configuration (a TCP port without a
  // token).
  Status Start();
  // Stops taking requests, lets each running job finish its current case
  // and puts the job back in the queue, then returns.
  void Stop();

 private:
  struct Bench {
    BenchSpec spec;
    std::thread worker;
    std::atomic<int64_t> running_job{0};
    std::atomic<bool> cancel{false};  // the running job's interrupt flag
  };

  void Work(Bench& bench);
  // Before a job on a real bench: its health check, published as an event.
  // The reason it is not ready, or nothing when it is (or is virtual).
  std::optional<std::string> CheckRealBench(Bench& bench, int64_t job_id);
  void RunJob(Bench& bench, const Job& job);
  std::shared_ptr<JobEvents> EventsOf(int64_t id, bool create);
  void Publish(int64_t id, const std::string& json_line, bool done);
  void Routes(httplib::Server& server);

  DaemonConfig config_;
  std::unique_ptr<JobStore> store_;
  std::mutex store_mutex_;  // one connection, shared by the workers and the API
  std::vector<std::unique_ptr<Bench>> benches_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;  // a job was submitted, or the daemon stops
  std::mutex events_mutex_;
  std::map<int64_t, std::shared_ptr<JobEvents>> events_;
  std::unique_ptr<httplib::Server> unix_server_, tcp_server_;
  std::thread unix_thread_, tcp_thread_;
};

// Constant-time comparison, for bearer tokens.
bool SameSecret(const std::string& a, const std::string& b);

}  // namespace hil::daemon
