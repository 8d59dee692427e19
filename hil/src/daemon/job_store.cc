#include "hil/daemon/job_store.h"

#include "hil/run/results_json.h"
#include "hil/run/sqlite_statement.h"

namespace hil::daemon {
namespace {

using run::Statement;

constexpr const char* kSchema = R"(
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

constexpr const char* kColumns =
    "id, bench, plan_name, plan_path, plan_text, base_dir, out_dir, state, exit_code, attempts, "
    "message, summary, submitted, started, finished";

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
  return job;
}

Error StoreError(sqlite3* db, const std::string& what) {
  return InfrastructureError("job queue: " + what + ": " + sqlite3_errmsg(db));
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
  char* message = nullptr;
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;", nullptr, nullptr, &message) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : "unknown";
    sqlite3_free(message);
    return InfrastructureError("job queue: cannot set up " + path + ": " + why);
  }
  Statement version(db, "SELECT version FROM schema_version");
  if (version.Step() != SQLITE_ROW) {
    Statement insert(db, "INSERT INTO schema_version (version) VALUES (1)");
    if (insert.Step() != SQLITE_DONE) return StoreError(db, "writing the schema version");
  } else if (version.Integer(0) != 1) {
    return InfrastructureError("job queue: " + path + " has schema version " +
                               std::to_string(version.Integer(0)) + "; this hild reads version 1");
  }
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

Result<int64_t> JobStore::Submit(const Job& job) {
  Statement insert(db_,
                   "INSERT INTO jobs (bench, plan_name, plan_path, plan_text, base_dir, out_dir, "
                   "state, submitted) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)");
  insert.Bind(1, job.bench).Bind(2, job.plan_name).Bind(3, job.plan_path).Bind(4, job.plan_text);
  insert.Bind(5, job.base_dir).Bind(6, job.out_dir).Bind(7, run::NowIso8601(true));
  if (insert.Step() != SQLITE_DONE) return StoreError(db_, "adding a job");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Status JobStore::SetOutDir(int64_t id, const std::string& out_dir) {
  Statement update(db_, "UPDATE jobs SET out_dir = ? WHERE id = ?");
  update.Bind(1, out_dir).Bind(2, id);
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "placing job " + std::to_string(id));
  return OkStatus();
}

Result<std::optional<Job>> JobStore::ClaimNext(const std::string& bench) {
  // One statement, so two claims can never take the same job.
  const std::string sql = std::string(
                              "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                              "started = ? WHERE id = (SELECT id FROM jobs WHERE bench = ? "
                              "AND state = 'queued' ORDER BY id LIMIT 1) RETURNING ") +
                          kColumns;
  Statement claim(db_, sql.c_str());
  if (!claim.ok()) return StoreError(db_, "claiming a job");
  claim.Bind(1, run::NowIso8601(true)).Bind(2, bench);
  const int step = claim.Step();
  if (step == SQLITE_DONE) return std::optional<Job>();
  if (step != SQLITE_ROW) return StoreError(db_, "claiming a job");
  Job job = JobFrom(claim);
  claim.Step();  // completes the UPDATE
  return std::optional<Job>(std::move(job));
}

Status JobStore::Finish(int64_t id, const std::string& state, int exit_code,
                        const std::string& message, const std::string& summary) {
  // A run that ends without news keeps the note of an earlier interruption.
  Statement update(db_,
                   "UPDATE jobs SET state = ?, exit_code = ?, message = CASE WHEN ? = '' THEN "
                   "message ELSE ? END, summary = ?, finished = ? WHERE id = ?");
  update.Bind(1, state).Bind(2, int64_t{exit_code}).Bind(3, message).Bind(4, message);
  update.Bind(5, summary)
      .Bind(6, state == "queued" ? std::string() : run::NowIso8601(true))
      .Bind(7, id);
  if (update.Step() != SQLITE_DONE) return StoreError(db_, "finishing job " + std::to_string(id));
  return OkStatus();
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
                   "UPDATE jobs SET state = 'queued', message = 'interrupted when hild stopped "
                   "during attempt ' || attempts || '; queued again (the finished cases of that "
                   "attempt are kept in its results.db)' WHERE state = 'running'");
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

Result<int> JobStore::QueuedCount(const std::string& bench) {
  Statement select(db_, "SELECT COUNT(*) FROM jobs WHERE bench = ? AND state = 'queued'");
  select.Bind(1, bench);
  if (select.Step() != SQLITE_ROW) return StoreError(db_, "counting queued jobs");
  return static_cast<int>(select.Integer(0));
}

}  // namespace hil::daemon
