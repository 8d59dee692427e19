// The job queue of a lab (hil/daemon/LAB.md): one PostgreSQL table shared
// by every hild that names the database. A bench takes the oldest queued job
// it meets with FOR UPDATE SKIP LOCKED, so two hosts never take one job,
// and holds it on a lease its hild renews by heartbeat; a job whose lease
// runs out (its hild died, or lost the database) goes back to the queue.
#pragma once

#include <memory>
#include <string>

#include "hil/daemon/job_queue.h"
#include "hil/lab/pg_connection.h"

namespace hil::lab {

using daemon::BenchOffer;
using daemon::HeldJob;
using daemon::Job;
using daemon::JobEnd;
using daemon::JobNeeds;
using daemon::LabBench;
using daemon::RequeueCounts;

class PgJobQueue : public daemon::JobQueue {
 public:
  // Connects, creates or migrates the schema. `host` names this hild in the
  // lab; `lease_s` is how long a claimed job stays this host's without a
  // heartbeat. Errors: infrastructure, configuration.
  static Result<std::unique_ptr<PgJobQueue>> Open(const StoreAddress& address,
                                                  const std::string& host, int lease_s);

  Result<int64_t> Submit(const Job& job) override;
  Status SetOutDir(int64_t id, const std::string& out_dir) override;
  Result<std::optional<Job>> ClaimNext(const BenchOffer& bench) override;
  Result<bool> Finish(const Job& job, const JobEnd& end) override;
  Result<bool> CancelQueued(int64_t id) override;
  Result<bool> RequestCancel(int64_t id) override;
  Result<RequeueCounts> RequeueInterrupted(int max_attempts) override;
  Result<RequeueCounts> RequeueExpired(int max_attempts) override;
  Result<std::vector<Job>> List(size_t limit) override;
  Result<std::optional<Job>> Get(int64_t id) override;
  Result<int> QueuedCount(const BenchOffer& bench) override;
  Result<bool> AnyBenchMeets(const JobNeeds& needs, const std::vector<BenchOffer>& local) override;
  Result<std::vector<HeldJob>> Heartbeat(const std::vector<LabBench>& mine) override;
  Result<std::vector<LabBench>> LabBenches() override;
  bool shared() const override { return true; }

 private:
  PgJobQueue(std::unique_ptr<PgConnection> connection, std::string host, int lease_s)
      : db_(std::move(connection)), host_(std::move(host)), lease_s_(lease_s) {}
  // Running jobs back to the queue: this host's own (`mine`, at start) or
  // those whose lease ran out.
  Result<RequeueCounts> Requeue(int max_attempts, bool mine);

  std::unique_ptr<PgConnection> db_;
  std::string host_;
  int lease_s_;
};

}  // namespace hil::lab
