#include "hil/run/results_store.h"

#include <sqlite3.h>

#include <charconv>

#include "hil/run/results_json.h"
#include "hil/run/sqlite_statement.h"

namespace hil::run {
namespace {

Error StoreError(sqlite3* db, const std::string& what) {
  return InfrastructureError("results database: " + what + ": " + sqlite3_errmsg(db));
}

StoredRun RunFrom(const Statement& row) {
  StoredRun run;
  run.id = row.Integer(0);
  run.plan = row.Text(1);
  run.plan_path = row.Text(2);
  run.started = row.Text(3);
  run.finished = row.Text(4);
  run.status = row.Text(5);
  run.bench = nlohmann::ordered_json::parse(row.Text(6), nullptr, false);
  return run;
}

constexpr const char* kRunColumns = "id, plan, plan_path, started, finished, status, bench";

}  // namespace

Result<std::unique_ptr<ResultsStore>> ResultsStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Error error = InfrastructureError("cannot open the results database " + path + ": " +
                                      (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return error;
  }
  std::unique_ptr<ResultsStore> store(new ResultsStore(db, path));
  sqlite3_busy_timeout(db, 5000);  // another hil may be writing the same file
  HIL_RETURN_IF_ERROR(store->Execute("PRAGMA journal_mode=WAL"));
  HIL_RETURN_IF_ERROR(store->Execute("PRAGMA synchronous=NORMAL"));
  HIL_RETURN_IF_ERROR(
      store->Execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)"));
  int version = 0;
  {
    Statement query(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (query.ok() && query.Step() == SQLITE_ROW) {
      // A file from elsewhere may say anything here.
      const std::string text = query.Text(0);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
      if (error != std::errc() || end != text.data() + text.size() || version < 1) {
        return ConfigurationError(path + " is not a hil results database (its schema version is '" +
                                  text.substr(0, 32) + "'); use another --out");
      }
    }
  }
  if (version > kSchemaVersion) {
    return ConfigurationError(path + " has results schema version " + std::to_string(version) +
                              "; this hil knows up to " + std::to_string(kSchemaVersion) +
                              ": use a newer hil, or another --out");
  }
  if (version < 1) {
    HIL_RETURN_IF_ERROR(store->Execute(
        "BEGIN;"
        "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY AUTOINCREMENT, plan TEXT NOT NULL,"
        " plan_path TEXT, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,"
        " bench TEXT);"
        "CREATE TABLE IF NOT EXISTS cases(run_id INTEGER NOT NULL REFERENCES runs(id),"
        " case_id TEXT NOT NULL, status TEXT NOT NULL, result TEXT NOT NULL,"
        " PRIMARY KEY(run_id, case_id));"
        "INSERT OR REPLACE INTO meta VALUES('schema_version', '1');"
        "COMMIT;"));
  }
  return store;
}

ResultsStore::~ResultsStore() { sqlite3_close(db_); }

Status ResultsStore::Execute(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = InfrastructureError("results database: " + std::string(message ? message : "?"));
    sqlite3_free(message);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }
  return OkStatus();
}

Result<int64_t> ResultsStore::BeginRun(const std::string& plan, const std::string& plan_path,
                                       const std::string& started,
                                       const nlohmann::ordered_json& bench) {
  Statement insert(db_,
                   "INSERT INTO runs(plan, plan_path, started, status, bench) "
                   "VALUES(?, ?, ?, 'running', ?)");
  if (!insert.ok()) return StoreError(db_, "cannot record the run");
  insert.Bind(1, plan).Bind(2, plan_path).Bind(3, started).Bind(4, bench.dump());
  if (insert.Step() != SQLITE_DONE) return StoreError(db_, "cannot record the run");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Status ResultsStore::AddCase(int64_t run, const std::string& case_id, const std::string& status,
                             const nlohmann::ordered_json& result) {
  Statement insert(
      db_, "INSERT OR REPLACE INTO cases(run_id, case_id, status, result) VALUES(?, ?, ?, ?)");
  if (!insert.ok()) return StoreError(db_, "cannot record case " + case_id);
  insert.Bind(1, run).Bind(2, case_id).Bind(3, status).Bind(4, result.dump());
  if (insert.Step() != SQLITE_DONE) return StoreError(db_, "cannot record case " + case_id);
  return OkStatus();
}

Status ResultsStore::FinishRun(int64_t run, const std::string& finished,
                               const std::string& status) {
  Statement update(db_, "UPDATE runs SET finished = ?, status = ? WHERE id = ?");
  if (!update.ok()) return StoreError(db_, "cannot finish the run");
  update.Bind(1, finished).Bind(2, status).Bind(3, run);
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "cannot finish the run");
  return OkStatus();
}

Result<std::vector<StoredRun>> ResultsStore::Runs() {
  Statement query(db_, (std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id").c_str());
  if (!query.ok()) return StoreError(db_, "cannot list runs");
  std::vector<StoredRun> runs;
  while (query.Step() == SQLITE_ROW) runs.push_back(RunFrom(query));
  return runs;
}

Result<std::optional<StoredRun>> ResultsStore::FindRun(int64_t id) {
  Statement query(db_, (std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?").c_str());
  if (!query.ok()) return StoreError(db_, "cannot read runs");
  query.Bind(1, id);
  if (query.Step() != SQLITE_ROW) return std::optional<StoredRun>();
  return std::optional<StoredRun>(RunFrom(query));
}

Result<std::optional<StoredRun>> ResultsStore::LatestRun(const std::string& plan, int64_t before) {
  Statement query(db_, (std::string("SELECT ") + kRunColumns +
                        " FROM runs WHERE plan = ? AND status = 'finished' AND (? = 0 OR id < ?) "
                        "ORDER BY id DESC LIMIT 1")
                           .c_str());
  if (!query.ok()) return StoreError(db_, "cannot read runs");
  query.Bind(1, plan).Bind(2, before).Bind(3, before);
  if (query.Step() != SQLITE_ROW) return std::optional<StoredRun>();
  return std::optional<StoredRun>(RunFrom(query));
}

Result<std::vector<StoredRun>> ResultsStore::RecentRuns(const std::string& plan, size_t count) {
  Statement query(db_, (std::string("SELECT * FROM (SELECT ") + kRunColumns +
                        " FROM runs WHERE plan = ? ORDER BY id DESC LIMIT ?) ORDER BY id")
                           .c_str());
  if (!query.ok()) return StoreError(db_, "cannot read runs");
  query.Bind(1, plan).Bind(2, static_cast<int64_t>(std::min<size_t>(count, INT64_MAX)));
  std::vector<StoredRun> runs;
  while (query.Step() == SQLITE_ROW) runs.push_back(RunFrom(query));
  return runs;
}

Result<std::vector<StoredCase>> ResultsStore::Cases(int64_t run) {
  Statement query(db_, "SELECT case_id, status, result FROM cases WHERE run_id = ? ORDER BY rowid");
  if (!query.ok()) return StoreError(db_, "cannot read cases");
  query.Bind(1, run);
  std::vector<StoredCase> cases;
  while (query.Step() == SQLITE_ROW) {
    cases.push_back(StoredCase{query.Text(0), query.Text(1),
                               nlohmann::ordered_json::parse(query.Text(2), nullptr, false)});
  }
  return cases;
}

Result<RunRecord> LoadRunRecord(RunHistory& store, int64_t id) {
  Result<std::optional<StoredRun>> run = store.FindRun(id);
  if (!run.ok()) return run.error();
  if (!*run) return ConfigurationError("no run " + std::to_string(id) + " in " + store.Name());
  RunRecord record;
  record.id = (*run)->id;
  record.plan = (*run)->plan;
  record.plan_path = (*run)->plan_path;
  record.started = (*run)->started;
  record.finished = (*run)->finished;
  record.status = (*run)->status;
  record.bench = (*run)->bench;
  Result<std::vector<StoredCase>> cases = store.Cases(id);
  if (!cases.ok()) return cases.error();
  for (const StoredCase& c : *cases) record.cases.push_back(CaseFromJson(c.result));
  return record;
}

}  // namespace hil::run
