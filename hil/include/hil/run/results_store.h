// The results database: every run and every case, committed as each case
// finishes, so a crash or Ctrl-C loses nothing already measured. SQLite in
// WAL mode; the schema carries its version and is migrated forward.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/exports.h"

struct sqlite3;

namespace hil::run {

struct StoredRun {
  int64_t id = 0;
  std::string plan, plan_path, started, finished, status;
  nlohmann::ordered_json bench;
  // A lab store's: the host that ran it and its job (empty and 0 here).
  std::string host;
  int64_t job = 0;
};

struct StoredCase {
  std::string case_id, status;
  nlohmann::ordered_json result;  // the case as results.json has it
};

// What reports, comparisons and trends read: a results.db, or a lab's
// shared store (hil/lab/pg_results.h).
class RunHistory {
 public:
  virtual ~RunHistory() = default;
  // Every run, oldest first.
  virtual Result<std::vector<StoredRun>> Runs() = 0;
  virtual Result<std::optional<StoredRun>> FindRun(int64_t id) = 0;
  // The newest finished run of a plan before `before` (0: any), for
  // baselines: a run that was interrupted or died on the way is never one.
  virtual Result<std::optional<StoredRun>> LatestRun(const std::string& plan, int64_t before) = 0;
  // The newest `count` runs of a plan, oldest first, whatever their status.
  virtual Result<std::vector<StoredRun>> RecentRuns(const std::string& plan, size_t count) = 0;
  virtual Result<std::vector<StoredCase>> Cases(int64_t run) = 0;
  // What to call it in messages: a file, or the lab store.
  virtual std::string Name() const = 0;
};

class ResultsStore : public RunHistory {
 public:
  static constexpr int kSchemaVersion = 1;

  // Creates or opens the database. Errors: infrastructure (cannot open or
  // write), configuration (a newer schema than this hil knows).
  static Result<std::unique_ptr<ResultsStore>> Open(const std::string& path);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  Result<int64_t> BeginRun(const std::string& plan, const std::string& plan_path,
                           const std::string& started, const nlohmann::ordered_json& bench);
  // One transaction per case: it is either all there or not at all.
  Status AddCase(int64_t run, const std::string& case_id, const std::string& status,
                 const nlohmann::ordered_json& result);
  Status FinishRun(int64_t run, const std::string& finished, const std::string& status);

  Result<std::vector<StoredRun>> Runs() override;
  Result<std::optional<StoredRun>> FindRun(int64_t id) override;
  Result<std::optional<StoredRun>> LatestRun(const std::string& plan, int64_t before) override;
  Result<std::vector<StoredRun>> RecentRuns(const std::string& plan, size_t count) override;
  Result<std::vector<StoredCase>> Cases(int64_t run) override;
  std::string Name() const override { return path_; }

 private:
  ResultsStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Execute(const std::string& sql);
  sqlite3* db_;
  std::string path_;
};

// A stored run with its cases, as the exports take it. Errors: configuration
// (no such run), infrastructure.
Result<RunRecord> LoadRunRecord(RunHistory& store, int64_t id);

}  // namespace hil::run
