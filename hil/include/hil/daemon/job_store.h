// hild's job queue on one host (SQLite, WAL). A job left "running" by a
// daemon that died is queued again at the next start; its finished cases
// stay in its results.db, and the new attempt adds a run.
#pragma once

#include <sqlite3.h>

#include <memory>

#include "hil/daemon/job_queue.h"

namespace hil::daemon {

class JobStore : public JobQueue {
 public:
  static constexpr int kSchemaVersion = 2;

  // Creates the database, or opens it and migrates it forward. Errors:
  // infrastructure (cannot open or create it), configuration (a newer
  // schema than this hild reads).
  static Result<std::unique_ptr<JobStore>> Open(const std::string& path);
  ~JobStore() override;
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  Result<int64_t> Submit(const Job& job) override;
  Status SetOutDir(int64_t id, const std::string& out_dir) override;
  Result<std::optional<Job>> ClaimNext(const BenchOffer& bench) override;
  Result<bool> Finish(const Job& job, const JobEnd& end) override;
  Result<bool> CancelQueued(int64_t id) override;
  Result<RequeueCounts> RequeueInterrupted(int max_attempts) override;
  Result<std::vector<Job>> List(size_t limit) override;
  Result<std::optional<Job>> Get(int64_t id) override;
  Result<int> QueuedCount(const BenchOffer& bench) override;

 private:
  explicit JobStore(sqlite3* db) : db_(db) {}
  Status Migrate(const std::string& path);
  sqlite3* db_;
};

}  // namespace hil::daemon
