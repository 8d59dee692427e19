// A lab's results store (hil/daemon/LAB.md): the runs and cases of every
// host's results.db, uploaded into one PostgreSQL database, and read back
// by hil report, hil compare and the trends page as a results.db is. A run
// is known by (host, source folder, its id there), so uploading it again
// updates it and never stores a case twice.
#pragma once

#include <memory>
#include <string>

#include "hil/lab/pg_connection.h"
#include "hil/run/results_store.h"

namespace hil::lab {

struct UploadCounts {
  int runs = 0;   // runs of the local database now in the store
  int cases = 0;  // their cases
};

class PgResults : public run::RunHistory {
 public:
  // Connects, creates or migrates the schema. Errors: infrastructure,
  // configuration.
  static Result<std::unique_ptr<PgResults>> Open(const StoreAddress& address);

  // Every run of `local` into the store as run by `host` for `job` (0: not
  // a hild job), each in one transaction. Errors: infrastructure (the
  // store, or the local database).
  Result<UploadCounts> Upload(const std::string& host, const std::string& source, int64_t job,
                              run::ResultsStore& local);

  Result<std::vector<run::StoredRun>> Runs() override;
  Result<std::optional<run::StoredRun>> FindRun(int64_t id) override;
  Result<std::optional<run::StoredRun>> LatestRun(const std::string& plan, int64_t before) override;
  Result<std::vector<run::StoredRun>> RecentRuns(const std::string& plan, size_t count) override;
  Result<std::vector<run::StoredCase>> Cases(int64_t run) override;
  std::string Name() const override { return "the lab store " + db_->shown(); }

 private:
  explicit PgResults(std::unique_ptr<PgConnection> connection) : db_(std::move(connection)) {}
  Result<std::vector<run::StoredRun>> Select(const std::string& where_order,
                                             const std::vector<PgParam>& params);

  std::unique_ptr<PgConnection> db_;
};

}  // namespace hil::lab
