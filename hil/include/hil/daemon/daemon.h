// hild: owns the benches of its configuration, runs each bench's queued
// jobs one at a time (different benches in parallel), and serves the
// HTTP/JSON API (hil/daemon/API.md) on a unix socket and, if configured,
// on TCP with a bearer token.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hil/bench/bench_spec.h"
#include "hil/daemon/job_queue.h"
#include "hil/daemon/state_lock.h"
#include "hil/error.h"
#include "hil/lab/pg_connection.h"
#include "hil/plan/plan_parser.h"

namespace httplib {
class Server;
}

namespace hil::daemon {

using bench::BenchSpec;
class ResultUploader;

// What one client can make hild spend; each is a key under `limits:` in the
// bench file (API.md).
struct DaemonLimits {
  size_t body_bytes = 8 << 20;        // a request's body; more: 413
  size_t event_streams = 32;          // open /jobs/ID/events at once; more: 503
  size_t plan_bytes = 1 << 20;        // a plan's YAML; more: 400
  int max_attempts = 3;               // runs of a job that hild died during, then failed
  size_t jobs_listed = 200;           // GET /jobs: the newest this many
  size_t results_bytes = 64 << 20;    // GET /jobs/ID/results: a larger file is refused
  size_t finished_event_logs = 1000;  // finished jobs whose events stay in memory
};

// A lab (LAB.md): the PostgreSQL database every hild of it shares for its
// queue and results. No store: this host's own SQLite queue.
struct LabConfig {
  lab::StoreAddress store;
  std::string host;  // this hild's name in the lab; default: the host name
  int lease_s = 30;  // a claimed job stays this host's this long without a heartbeat
  bool enabled() const { return !store.conninfo.empty(); }
};

struct DaemonConfig {
  std::vector<BenchSpec> benches;
  std::string state_dir;    // jobs.db, and jobs/<id>/ for outputs
  std::string socket_path;  // the unix socket (mode 0660)
  std::string tcp_address = "127.0.0.1";
  int tcp_port = 0;            // 0: no TCP
  std::string token;           // required on TCP
  std::string firmware_cache;  // empty: FirmwareBuilder's default
  // The only folders whose files a submitted plan may name (canonical
  // paths). Empty: plans may name no file at all.
  std::vector<std::string> roots;
  DaemonLimits limits;
  LabConfig lab;
};

// Reads a bench file (YAML). Errors: configuration, with FILE:LINE:COL.
Result<DaemonConfig> ReadDaemonConfig(const std::string& path);

// Where a job's outputs go: `requested` (relative to the state folder, or
// absolute inside it), or STATE_DIR/jobs/ID when empty. Errors:
// configuration when it would leave the state folder.
Result<std::string> JobOutDir(const std::string& state_dir, const std::string& requested,
                              int64_t id);

// The fields of a POST /jobs body, their types and sizes checked. Errors:
// configuration, saying what a body must hold.
struct Submission {
  std::string plan, plan_path, base_dir, bench, out;
  std::string board;              // routing: a bench with this board
  std::vector<std::string> tags;  // routing: a bench with every one of these tags
};
Result<Submission> ParseSubmission(const std::string& body, const std::string& state_dir);

// Whether an Authorization header carries `token` as a bearer token. The
// scheme is case-insensitive (RFC 9110); the token is compared in constant
// time.
bool AuthorizedBearer(const std::string& header, const std::string& token);

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

  // Locks the state folder, opens the queue, re-queues jobs a dead daemon
  // left running (or fails those it died during max_attempts times), starts
  // one worker per bench and the servers. Errors: infrastructure (another
  // hild holds the state folder; state folder, database, socket) and
  // configuration (a TCP port without a token).
  Status Start();
  // Stops taking requests, lets each running job finish its current case
  // and puts the job back in the queue, then returns.
  void Stop();

 private:
  struct Bench {
    BenchSpec spec;
    std::thread worker;
    std::atomic<int64_t> running_job{0};
    std::atomic<bool> cancel{false};      // the running job's interrupt flag
    std::atomic<bool> lease_lost{false};  // the running job went back to the lab's queue
    std::mutex job_mutex;  // a job's start and end, against stops asked by other threads
    // Stops `job` after its case in progress if this bench still runs it
    // (and, with `lose_lease`, leaves its end unrecorded). False when it
    // runs another job or none, or (lose_lease) when that was done already.
    bool Stop(int64_t job, bool lose_lease) {
      std::lock_guard<std::mutex> lock(job_mutex);
      if (job == 0 || running_job != job) return false;
      if (lose_lease && lease_lost.exchange(true)) return false;
      cancel = true;
      return true;
    }
  };

  // The lab's queue, or this host's. Errors: infrastructure, configuration.
  Status OpenQueue();
  void Work(Bench& bench);
  // What the queue knows of a bench.
  BenchOffer OfferOf(const Bench& bench) const;
  // The lab's heartbeat: leases renewed, benches published, expired leases
  // of other hosts' jobs returned to the queue, uploads retried.
  void Beat();
  void HeartbeatLoop();
  // A bench changed state: the lab hears of it now, not at the next beat.
  void BeatSoon();
  // The HTTP server's shared settings: limits, JSON errors, socket options.
  void Configure(httplib::Server& server);
  // Before a job on a real bench: its health check, published as an event.
  // The reason it is not ready, or nothing when it is (or is virtual).
  std::optional<std::string> CheckRealBench(Bench& bench, int64_t job_id);
  // Runs a claimed job and records its end, whatever happens inside.
  void RunJob(Bench& bench, const Job& job);
  // Records a job's end, trying again while the database is away. False
  // when the job is no longer this host's.
  bool RecordEnd(const Job& job, const JobEnd& end);
  JobEnd ExecuteJob(Bench& bench, const Job& job);
  // What submitted plans may read, and how large they may be.
  plan::PlanPolicy Policy() const;
  std::shared_ptr<JobEvents> EventsOf(int64_t id, bool create);
  size_t EventLogCount();  // jobs whose events are held in memory
  void Publish(int64_t id, const std::string& json_line, bool done);
  // A lab job that another host ran: its end, read from the queue, ends
  // the stream of its followers here.
  void PublishEndFromQueue(int64_t id, JobEvents& events);
  void Routes(httplib::Server& server);

  DaemonConfig config_;
  std::unique_ptr<JobQueue> store_;
  std::mutex store_mutex_;                    // one connection, shared by the workers and the API
  std::unique_ptr<ResultUploader> uploader_;  // a lab's: each case into the shared store
  std::thread heartbeat_;
  std::chrono::steady_clock::time_point last_beat_;  // the last heartbeat that reached the store
  std::vector<std::unique_ptr<Bench>> benches_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;            // a job was submitted, or the daemon stops
  std::condition_variable heartbeat_wake_;  // the daemon stops, or a bench changed state
  std::atomic<bool> beat_now_{false};
  std::mutex events_mutex_;
  std::map<int64_t, std::shared_ptr<JobEvents>> events_;
  std::deque<int64_t> finished_events_;  // oldest first; pruned beyond the limit
  std::atomic<size_t> open_streams_{0};
  std::optional<StateLock> lock_;
  bool socket_bound_ = false;  // the socket file is ours to remove
  std::unique_ptr<httplib::Server> unix_server_, tcp_server_;
  std::thread unix_thread_, tcp_thread_;
};

// Constant-time comparison, for bearer tokens.
bool SameSecret(const std::string& a, const std::string& b);

}  // namespace hil::daemon
