// hild's persistent job queue (SQLite, WAL): each submitted plan is a job
// for one bench, queued -> running -> done | failed | cancelled. A job left
// "running" by a daemon that died is queued again at the next start; its
// finished cases stay in its results.db, and the new attempt adds a run.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::daemon {

struct Job {
  int64_t id = 0;
  std::string bench;
  std::string plan_name, plan_path;          // as submitted (the path is for messages)
  std::string plan_text;                     // the YAML itself, validated at submission
  std::string base_dir;                      // where the plan's relative paths resolve
  std::string out_dir;                       // results.json, results.db, report.html, ...
  std::string state = "queued";              // queued | running | done | failed | cancelled
  int exit_code = -1;                        // as hil run's, once the job ends
  int attempts = 0;                          // runs started (more than one after a restart)
  std::string message;                       // why it failed or was re-queued
  std::string summary;                       // hil run's summary table, once done
  std::string submitted, started, finished;  // ISO 8601 UTC, with milliseconds
};

struct RequeueCounts {
  int queued = 0;  // back in the queue
  int failed = 0;  // hild stopped during every one of their allowed attempts
};

class JobStore {
 public:
  // Errors: infrastructure (cannot open or create the database).
  static Result<std::unique_ptr<JobStore>> Open(const std::string& path);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Returns the new job's id; the job's state is set to queued.
  Result<int64_t> Submit(const Job& job);
  Status SetOutDir(int64_t id, const std::string& out_dir);
  // The oldest queued job of a bench, now marked running; none if idle.
  Result<std::optional<Job>> ClaimNext(const std::string& bench);
  // Ends a running job (done, failed or cancelled), or puts it back in the
  // queue (state "queued") with a message.
  Status Finish(int64_t id, const std::string& state, int exit_code, const std::string& message,
                const std::string& summary);
  // Queued -> cancelled. False when the job was not queued.
  Result<bool> CancelQueued(int64_t id);
  // Every job left running by a daemon that died goes back to the queue,
  // unless it has had `max_attempts` runs already: a job that kills hild
  // each time it runs must not keep it from starting. That one fails, and
  // its message says why.
  Result<RequeueCounts> RequeueInterrupted(int max_attempts);
  // The newest `limit` jobs, oldest first, without their plans' text.
  Result<std::vector<Job>> List(size_t limit);
  Result<std::optional<Job>> Get(int64_t id);
  Result<int> QueuedCount(const std::string& bench);

 private:
  explicit JobStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace hil::daemon
