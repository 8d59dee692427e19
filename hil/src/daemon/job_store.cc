#include "hil/daemon/job_store.h"

#include <nlohmann/json.hpp>

#include "hil/run/results_json.h"
#include "hil/run/sqlite_statement.h"

namespace hil::daemon {
namespace {

using run::Statement;

constexpr const char* kVersion1 = R"(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bench TEXT NOT NULL,
  plan_name TEXT NOT NULL,
  plan_path TEXT NOT NULL,
  plan_text TEXT NOT NULL,
  base_dir TEXT NOT NULL,
  out_dir TEXT NOT NULL,
  state TEXT NOT NULL,
  exit_code INTEGER NOT NULL DEFAULT -1,
  attempts INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  submitted TEXT NOT NULL,
  started TEXT NOT NULL DEFAULT '',
  finished TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS jobs_by_bench_state ON jobs (bench, state, id);
)";

// Version 2: a job asks for a kind of bench rather than being given one at
// submission; the bench that takes it is written when it starts. A version
// 1 job still queued asks for the bench it was given.
constexpr const char* kVersion2 = R"(
ALTER TABLE jobs ADD COLUMN need_bench TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN need_board TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN need_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN need_tags TEXT NOT NULL DEFAULT '[]';
UPDATE jobs SET need_bench = bench, bench = '' WHERE state IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
)";

constexpr const char* kColumns =
    "id, bench, plan_name, plan_path, plan_text, base_dir, out_dir, state, exit_code, attempts, "
    "message, summary, submitted, started, finished, need_bench, need_board, need_kind, need_tags";

std::string TagsJson(const std::vector<std::string>& tags) { return nlohmann::json(tags).dump(); }

Job JobFrom(const Statement& row) {
  Job job;
  job.id = row.Integer(0);
  job.bench = row.Text(1);
  job.plan_name = row.Text(2);
  job.plan_path = row.Text(3);
  job.plan_text = row.Text(4);
  job.base_dir = row.Text(5);
  job.out_dir = row.Text(6);
  job.state = row.Text(7);
  job.exit_code = static_cast<int>(row.Integer(8));
  job.attempts = static_cast<int>(row.Integer(9));
  job.message = row.Text(10);
  job.summary = row.Text(11);
  job.submitted = row.Text(12);
  job.started = row.Text(13);
  job.finished = row.Text(14);
  job.needs.bench = row.Text(15);
  job.needs.board = row.Text(16);
  job.needs.kind = row.Text(17);
  const nlohmann::json tags = nlohmann::json::parse(row.Text(18), nullptr, false);
  if (tags.is_array()) {
    for (const nlohmann::json& tag : tags)
      if (tag.is_string()) job.needs.tags.push_back(tag.get<std::string>());
  }
  return job;
}

Error StoreError(sqlite3* db, const std::string& what) {
  return InfrastructureError("job queue: " + what + ": " + sqlite3_errmsg(db));
}

// The jobs a bench meets, as SQL on the need_ columns: ?1 its name, ?2 its
// board, ?3 its kind, ?4 its tags as a JSON array.
constexpr const char* kMeets =
    "(need_bench = '' OR need_bench = ?1) AND (need_board = '' OR need_board = ?2) AND "
    "(need_kind = '' OR need_kind = ?3) AND NOT EXISTS (SELECT 1 FROM json_each(need_tags) "
    "AS wanted WHERE wanted.value NOT IN (SELECT value FROM json_each(?4)))";

void BindOffer(Statement& statement, const BenchOffer& bench) {
  statement.Bind(1, bench.name).Bind(2, bench.board).Bind(3, bench.kind);
  statement.Bind(4, TagsJson(bench.tags));
}

Status Exec(sqlite3* db, const char* sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return OkStatus();
  const std::string why = message ? message : "unknown";
  sqlite3_free(message);
  return InfrastructureError("job queue: cannot set up " + path + ": " + why);
}

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return InfrastructureError("job queue: cannot open " + path + ": " + why);
  }
  std::unique_ptr<JobStore> store(new JobStore(db));
  sqlite3_busy_timeout(db, 5000);
  HIL_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL;", path));
  HIL_RETURN_IF_ERROR(store->Migrate(path));
  return store;
}

Status JobStore::Migrate(const std::string& path) {
  HIL_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE;", path));
  Status migrated = [&]() -> Status {
    HIL_RETURN_IF_ERROR(Exec(db_, kVersion1, path));
    int64_t version = 0;
    {
      Statement read(db_, "SELECT version FROM schema_version");
      if (read.Step() == SQLITE_ROW) version = read.Integer(0);
    }
    if (version > kSchemaVersion) {
      return ConfigurationError("job queue: " + path + " has schema version " +
                                std::to_string(version) + "; this hild reads up to version " +
                                std::to_string(kSchemaVersion) + " (a newer hild wrote it)");
    }
    if (version < 2) HIL_RETURN_IF_ERROR(Exec(db_, kVersion2, path));
    HIL_RETURN_IF_ERROR(Exec(db_, "DELETE FROM schema_version;", path));
    Statement write(db_, "INSERT INTO schema_version (version) VALUES (?)");
    write.Bind(1, int64_t{kSchemaVersion});
    if (write.Step() != SQLITE_DONE) return StoreError(db_, "writing the schema version");
    return OkStatus();
  }();
  if (!migrated.ok()) {
    sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    return migrated;
  }
  return Exec(db_, "COMMIT;", path);
}

JobStore::~JobStore() { sqlite3_close(db_); }

Result<int64_t> JobStore::Submit(const Job& job) {
  Statement insert(db_,
                   "INSERT INTO jobs (bench, plan_name, plan_path, plan_text, base_dir, out_dir, "
                   "state, submitted, need_bench, need_board, need_kind, need_tags) VALUES ('', "
                   "?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)");
  insert.Bind(1, job.plan_name).Bind(2, job.plan_path).Bind(3, job.plan_text);
  insert.Bind(4, job.base_dir).Bind(5, job.out_dir).Bind(6, run::NowIso8601(true));
  insert.Bind(7, job.needs.bench).Bind(8, job.needs.board).Bind(9, job.needs.kind);
  insert.Bind(10, TagsJson(job.needs.tags));
  if (insert.Step() != SQLITE_DONE) return StoreError(db_, "adding a job");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Status JobStore::SetOutDir(int64_t id, const std::string& out_dir) {
  Statement update(db_, "UPDATE jobs SET out_dir = ? WHERE id = ?");
  update.Bind(1, out_dir).Bind(2, id);
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "placing job " + std::to_string(id));
  return OkStatus();
}

Result<std::optional<Job>> JobStore::ClaimNext(const BenchOffer& bench) {
  // One statement, so two claims can never take the same job.
  const std::string sql =
      std::string(
          "UPDATE jobs SET state = 'running', attempts = attempts + 1, started = ?5, "
          "bench = ?1 WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND ") +
      kMeets + " ORDER BY id LIMIT 1) RETURNING " + kColumns;
  Statement claim(db_, sql.c_str());
  if (!claim.ok()) return StoreError(db_, "claiming a job");
  BindOffer(claim, bench);
  claim.Bind(5, run::NowIso8601(true));
  const int step = claim.Step();
  if (step == SQLITE_DONE) return std::optional<Job>();
  if (step != SQLITE_ROW) return StoreError(db_, "claiming a job");
  Job job = JobFrom(claim);
  job.host = bench.host;
  claim.Step();  // completes the UPDATE
  return std::optional<Job>(std::move(job));
}

Result<bool> JobStore::Finish(const Job& job, const JobEnd& end) {
  // A run that ends without news keeps the note of an earlier interruption.
  Statement update(db_,
                   "UPDATE jobs SET state = ?, exit_code = ?, message = CASE WHEN ? = '' THEN "
                   "message ELSE ? END, summary = ?, finished = ?, bench = CASE WHEN ? = "
                   "'queued' THEN '' ELSE bench END WHERE id = ? AND attempts = ? AND state = "
                   "'running'");
  update.Bind(1, end.state).Bind(2, int64_t{end.exit_code}).Bind(3, end.message);
  update.Bind(4, end.message).Bind(5, end.summary);
  update.Bind(6, end.state == "queued" ? std::string() : run::NowIso8601(true));
  update.Bind(7, end.state).Bind(8, job.id).Bind(9, int64_t{job.attempts});
  if (update.Step() != SQLITE_DONE)
    return StoreError(db_, "finishing job " + std::to_string(job.id));
  return sqlite3_changes(db_) > 0;
}

Result<bool> JobStore::CancelQueued(int64_t id) {
  Statement update(db_,
                   "UPDATE jobs SET state = 'cancelled', exit_code = 3, message = 'cancelled "
                   "before it started', finished = ? WHERE id = ? AND state = 'queued'");
  update.Bind(1, run::NowIso8601(true)).Bind(2, id);
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "cancelling a job");
  return sqlite3_changes(db_) > 0;
}

Result<RequeueCounts> JobStore::RequeueInterrupted(int max_attempts) {
  RequeueCounts counts;
  Statement fail(db_,
                 "UPDATE jobs SET state = 'failed', exit_code = 3, finished = ?, message = "
                 "'hild stopped during each of its ' || attempts || ' attempts (it died or was "
                 "killed while running this job; limits.max_attempts is ' || ? || '): not "
                 "tried again; the finished cases are kept in its results.db' "
                 "WHERE state = 'running' AND attempts >= ?");
  fail.Bind(1, run::NowIso8601(true)).Bind(2, int64_t{max_attempts}).Bind(3, int64_t{max_attempts});
  if (fail.Step() != SQLITE_DONE) return StoreError(db_, "failing jobs that stopped hild");
  counts.failed = sqlite3_changes(db_);
  Statement update(db_,
                   "UPDATE jobs SET state = 'queued', bench = '', message = 'interrupted when "
                   "hild stopped during attempt ' || attempts || '; queued again (the finished "
                   "cases of that attempt are kept in its results.db)' WHERE state = 'running'");
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "re-queueing interrupted jobs");
  counts.queued = sqlite3_changes(db_);
  return counts;
}

Result<std::vector<Job>> JobStore::List(size_t limit) {
  // The plan's text is left out: a list of many large plans is not a reply.
  const std::string columns = [] {
    std::string c = kColumns;
    return c.replace(c.find("plan_text"), 9, "'' AS plan_text");
  }();
  const std::string sql =
      "SELECT * FROM (SELECT " + columns + " FROM jobs ORDER BY id DESC LIMIT ?) ORDER BY id";
  Statement select(db_, sql.c_str());
  select.Bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<Job> jobs;
  int step = 0;
  while ((step = select.Step()) == SQLITE_ROW) jobs.push_back(JobFrom(select));
  if (step != SQLITE_DONE) return StoreError(db_, "listing jobs");
  return jobs;
}

Result<std::optional<Job>> JobStore::Get(int64_t id) {
  const std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?";
  Statement select(db_, sql.c_str());
  select.Bind(1, id);
  const int step = select.Step();
  if (step == SQLITE_DONE) return std::optional<Job>();
  if (step != SQLITE_ROW) return StoreError(db_, "reading job " + std::to_string(id));
  return std::optional<Job>(JobFrom(select));
}

Result<int> JobStore::QueuedCount(const BenchOffer& bench) {
  const std::string sql =
      std::string("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND ") + kMeets;
  Statement select(db_, sql.c_str());
  BindOffer(select, bench);
  if (select.Step() != SQLITE_ROW) return StoreError(db_, "counting queued jobs");
  return static_cast<int>(select.Integer(0));
}

}  // namespace hil::daemon
