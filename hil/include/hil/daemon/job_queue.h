// hild's job queue, whichever database holds it: SQLite for one host
// (job_store.h), PostgreSQL for a lab of many (hil/lab/pg_job_queue.h).
// A job asks for a kind of bench (its needs); a bench that is free takes the
// oldest queued job it meets. queued -> running -> done | failed |
// cancelled, and back to queued when the hild running it stopped or died.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::daemon {

// What a job asks of a bench; an empty field asks nothing.
struct JobNeeds {
  std::string bench;              // a bench by name
  std::string board;              // a board profile
  std::string kind;               // virtual | real: the plan's bench kind
  std::vector<std::string> tags;  // every one of them
};

// A bench as the queue sees it: where it is and what it has.
struct BenchOffer {
  std::string host, name, kind, board, probe;
  std::vector<std::string> tags;
  bool Meets(const JobNeeds& needs) const;
};

struct Job {
  int64_t id = 0;
  JobNeeds needs;
  std::string host, bench;           // where it runs or ran (empty while queued)
  std::string plan_name, plan_path;  // as submitted (the path is for messages)
  std::string plan_text;             // the YAML itself, validated at submission
  std::string base_dir;              // where the plan's relative paths resolve
  std::string out_request;           // the folder asked for, under the runner's state folder
  std::string out_dir;               // results.json, results.db, report.html, ...
  std::string state = "queued";      // queued | running | done | failed | cancelled
  int exit_code = -1;                // as hil run's, once the job ends
  int attempts = 0;                  // runs started (more than one after a restart)
  std::string message;               // why it failed or was re-queued
  std::string summary;               // hil run's summary table, once done
  std::string submitted, started, finished;  // ISO 8601 UTC, with milliseconds
};

struct RequeueCounts {
  int queued = 0;  // back in the queue
  int failed = 0;  // their runner stopped during every one of their allowed attempts
};

// How a job ended, as the queue keeps it; state "queued" puts it back.
struct JobEnd {
  std::string state = "done";
  int exit_code = 0;
  std::string message, summary;
};

// A bench of the lab and what it is doing, as its hild last said.
struct LabBench {
  BenchOffer bench;
  std::string state;  // idle | busy | offline (its hild has not been heard of within the lease)
  int64_t job = 0;
  double seen_s_ago = 0;
};

// A running job this hild still holds the lease of, and whether someone
// asked (through any hild) to cancel it.
struct HeldJob {
  int64_t id = 0;
  bool cancel = false;
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // The new job's id; its state is queued.
  virtual Result<int64_t> Submit(const Job& job) = 0;
  virtual Status SetOutDir(int64_t id, const std::string& out_dir) = 0;
  // The oldest queued job `bench` meets, now running there; none if none.
  virtual Result<std::optional<Job>> ClaimNext(const BenchOffer& bench) = 0;
  // Ends the running attempt `job` (its id and attempts as claimed). False
  // when that attempt is no longer this host's (its lease ran out and the
  // job went back to the queue): nothing is changed then.
  virtual Result<bool> Finish(const Job& job, const JobEnd& end) = 0;
  // Queued -> cancelled. False when the job was not queued.
  virtual Result<bool> CancelQueued(int64_t id) = 0;
  // Asks whichever hild runs the job to stop it after its case; false when
  // it is not running. A single host's queue has no one else to ask.
  virtual Result<bool> RequestCancel(int64_t /*id*/) { return false; }
  // At start: every job this host's dead hild left running goes back to the
  // queue, unless it has had `max_attempts` runs already (a job that kills
  // hild each time must not keep it down); that one fails, saying why.
  virtual Result<RequeueCounts> RequeueInterrupted(int max_attempts) = 0;
  // Any time: the same for jobs whose lease ran out (their hild is gone).
  virtual Result<RequeueCounts> RequeueExpired(int /*max_attempts*/) { return RequeueCounts{}; }
  // The newest `limit` jobs, oldest first, without their plans' text.
  virtual Result<std::vector<Job>> List(size_t limit) = 0;
  virtual Result<std::optional<Job>> Get(int64_t id) = 0;
  // Queued jobs `bench` could take.
  virtual Result<int> QueuedCount(const BenchOffer& bench) = 0;
  // Whether a bench that meets `needs` exists at all (here, or anywhere in
  // the lab): a job nobody could ever take is refused at submission.
  virtual Result<bool> AnyBenchMeets(const JobNeeds& needs, const std::vector<BenchOffer>& local) {
    for (const BenchOffer& bench : local)
      if (bench.Meets(needs)) return true;
    return false;
  }
  // The lab: this host's benches and their states published, the leases of
  // the jobs they run (LabBench::job) renewed; those it still holds. A single host's
  // queue holds every job it claimed.
  virtual Result<std::vector<HeldJob>> Heartbeat(const std::vector<LabBench>& /*mine*/) {
    return std::vector<HeldJob>();
  }
  // Every bench of the lab, or none for a single host's queue.
  virtual Result<std::vector<LabBench>> LabBenches() { return std::vector<LabBench>(); }
  // Whether other hosts share this queue.
  virtual bool shared() const { return false; }
};

}  // namespace hil::daemon
