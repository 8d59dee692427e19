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
};

struct StoredCase {
  std::string case_id, status;
  nlohmann::ordered_json result;  // the case as results.json has it
};

class ResultsStore {
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

  Result<std::vector<StoredRun>> Runs();
  Result<std::optional<StoredRun>> FindRun(int64_t id);
  // The newest finished run of a plan before `before` (0: any), for
  // baselines: a run that was interrupted or died on the way is never one.
  Result<std::optional<StoredRun>> LatestRun(const std::string& plan, int64_t before = 0);
  Result<std::vector<StoredCase>> Cases(int64_t run);

 private:
  explicit ResultsStore(sqlite3* db) : db_(db) {}
  Status Execute(const std::string& sql);
  sqlite3* db_;
};

// A stored run with its cases, as the exports take it. Errors: configuration
// (no such run), infrastructure.
Result<RunRecord> LoadRunRecord(ResultsStore& store, int64_t id);

}  // namespace hil::run
