#include "hil/lab/pg_job_queue.h"

#include <sstream>

#include "hil/lab/lab_schema.h"

namespace hil::lab {
namespace {

// The database's clock, in the format of the single-host queue's times:
// one clock for the whole lab, whichever host's is off.
constexpr const char* kNow =
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

constexpr const char* kColumns =
    "id, bench, plan_name, plan_path, plan_text, base_dir, out_dir, state, exit_code, attempts, "
    "message, summary, submitted, started, finished, need_bench, need_board, need_kind, "
    "array_to_string(need_tags, ','), host, out_request";

// The queued jobs a bench meets: $1 its name, $2 board, $3 kind, $4 tags.
constexpr const char* kMeets =
    "(need_bench = '' OR need_bench = $1) AND (need_board = '' OR need_board = $2) AND "
    "(need_kind = '' OR need_kind = $3) AND need_tags <@ $4::text[]";

std::vector<std::string> SplitTags(const std::string& text) {
  std::vector<std::string> tags;
  std::stringstream in(text);
  for (std::string tag; std::getline(in, tag, ',');)
    if (!tag.empty()) tags.push_back(tag);
  return tags;
}

Job JobFrom(const PgRows& rows, int row) {
  Job job;
  job.id = rows.Integer(row, 0);
  job.bench = rows.Text(row, 1);
  job.plan_name = rows.Text(row, 2);
  job.plan_path = rows.Text(row, 3);
  job.plan_text = rows.Text(row, 4);
  job.base_dir = rows.Text(row, 5);
  job.out_dir = rows.Text(row, 6);
  job.state = rows.Text(row, 7);
  job.exit_code = static_cast<int>(rows.Integer(row, 8));
  job.attempts = static_cast<int>(rows.Integer(row, 9));
  job.message = rows.Text(row, 10);
  job.summary = rows.Text(row, 11);
  job.submitted = rows.Text(row, 12);
  job.started = rows.Text(row, 13);
  job.finished = rows.Text(row, 14);
  job.needs.bench = rows.Text(row, 15);
  job.needs.board = rows.Text(row, 16);
  job.needs.kind = rows.Text(row, 17);
  job.needs.tags = SplitTags(rows.Text(row, 18));
  job.host = rows.Text(row, 19);
  job.out_request = rows.Text(row, 20);
  return job;
}

std::vector<PgParam> OfferParams(const BenchOffer& bench) {
  return {bench.name, bench.board, bench.kind, PgTextArray(bench.tags)};
}

}  // namespace

Result<std::unique_ptr<PgJobQueue>> PgJobQueue::Open(const StoreAddress& address,
                                                     const std::string& host, int lease_s) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Open(address);
  if (!connection.ok()) return connection.error();
  HIL_RETURN_IF_ERROR(EnsureLabSchema(**connection));
  return std::unique_ptr<PgJobQueue>(new PgJobQueue(std::move(*connection), host, lease_s));
}

Result<int64_t> PgJobQueue::Submit(const Job& job) {
  Result<PgRows> rows = db_->Run(
      std::string("INSERT INTO jobs (need_bench, need_board, need_kind, need_tags, plan_name, "
                  "plan_path, plan_text, base_dir, out_request, state, submitted) VALUES ($1, $2, "
                  "$3, $4::text[], $5, $6, $7, $8, $9, 'queued', ") +
          kNow + ") RETURNING id",
      {job.needs.bench, job.needs.board, job.needs.kind, PgTextArray(job.needs.tags), job.plan_name,
       job.plan_path, job.plan_text, job.base_dir, job.out_request},
      "adding a job");
  if (!rows.ok()) return rows.error();
  return rows->Integer(0, 0);
}

Status PgJobQueue::SetOutDir(int64_t id, const std::string& out_dir) {
  Result<PgRows> rows =
      db_->Run("UPDATE jobs SET out_dir = $1 WHERE id = $2::bigint", {out_dir, std::to_string(id)},
               "placing job " + std::to_string(id));
  return rows.ok() ? OkStatus() : Status(rows.error());
}

Result<std::optional<Job>> PgJobQueue::ClaimNext(const BenchOffer& bench) {
  // The row is locked by the claim; a row another host is claiming at the
  // same moment is skipped, not waited for.
  const std::string sql =
      std::string("UPDATE jobs SET state = 'running', attempts = attempts + 1, started = ") + kNow +
      ", started_at = clock_timestamp(), host = $5, bench = $1, cancel_requested = false, "
      "lease_until = clock_timestamp() + make_interval(secs => $6::double precision) "
      "WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND " +
      kMeets + " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " + kColumns;
  std::vector<PgParam> params = OfferParams(bench);
  params.push_back(host_);
  params.push_back(std::to_string(lease_s_));
  Result<PgRows> rows = db_->RunPrepared("claim", sql, params, "claiming a job");
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<Job>();
  return std::optional<Job>(JobFrom(*rows, 0));
}

Result<bool> PgJobQueue::Finish(const Job& job, const JobEnd& end) {
  // Only the attempt this host holds: once its lease ran out the job is the
  // queue's again, and perhaps another host's.
  const std::string sql =
      std::string(
          "UPDATE jobs SET state = $1, exit_code = $2::integer, message = CASE WHEN $3 = '' THEN "
          "message ELSE $3 END, summary = $4, lease_until = NULL, finished = CASE WHEN $1 = "
          "'queued' THEN '' ELSE ") +
      kNow +
      " END, bench = CASE WHEN $1 = 'queued' THEN '' ELSE bench END, out_dir = CASE WHEN $1 = "
      "'queued' THEN '' ELSE out_dir END, host = CASE WHEN $1 = 'queued' THEN '' ELSE host END "
      "WHERE id = $5::bigint AND attempts = $6::integer AND "
      "host = $7 AND state = 'running'";
  Result<PgRows> rows =
      db_->RunPrepared("finish", sql,
                       {end.state, std::to_string(end.exit_code), end.message, end.summary,
                        std::to_string(job.id), std::to_string(job.attempts), host_},
                       "finishing job " + std::to_string(job.id));
  if (!rows.ok()) return rows.error();
  return rows->Affected() > 0;
}

Result<bool> PgJobQueue::CancelQueued(int64_t id) {
  Result<PgRows> rows = db_->Run(
      std::string("UPDATE jobs SET state = 'cancelled', exit_code = 3, message = 'cancelled "
                  "before it started', finished = ") +
          kNow + " WHERE id = $1::bigint AND state = 'queued'",
      {std::to_string(id)}, "cancelling a job");
  if (!rows.ok()) return rows.error();
  return rows->Affected() > 0;
}

Result<bool> PgJobQueue::RequestCancel(int64_t id) {
  Result<PgRows> rows = db_->Run(
      "UPDATE jobs SET cancel_requested = true WHERE id = $1::bigint AND state = 'running'",
      {std::to_string(id)}, "asking for a job's cancellation");
  if (!rows.ok()) return rows.error();
  return rows->Affected() > 0;
}

Result<RequeueCounts> PgJobQueue::Requeue(int max_attempts, bool mine) {
  // At start, this host's own running jobs (their hild is this one's dead
  // predecessor); any time, those of a host not heard of within the lease.
  const std::string which = mine ? "state = 'running' AND host = $1"
                                 : "state = 'running' AND lease_until < clock_timestamp()";
  std::vector<PgParam> params;
  if (mine) params.push_back(host_);
  const std::string gone = mine ? "' stopped'" : "' was not heard of within its lease'";
  RequeueCounts counts;
  PgTransaction transaction(*db_);
  HIL_RETURN_IF_ERROR(transaction.Begin());
  // Asked to stop before its host vanished: it stops here.
  Result<PgRows> cancelled = db_->Run(
      std::string("UPDATE jobs SET state = 'cancelled', exit_code = 3, lease_until = NULL, "
                  "finished = ") +
          kNow + ", message = 'cancelled; its host ' || host || " + gone +
          " || ' before it ended' WHERE cancel_requested AND " + which,
      params, "cancelling jobs of a vanished host");
  if (!cancelled.ok()) return cancelled.error();
  std::vector<PgParam> with_limit = params;
  with_limit.push_back(std::to_string(max_attempts));
  const std::string limit = "$" + std::to_string(with_limit.size()) + "::integer";
  Result<PgRows> failed = db_->Run(
      std::string("UPDATE jobs SET state = 'failed', exit_code = 3, lease_until = NULL, "
                  "finished = ") +
          kNow + ", message = 'its host ' || host || " + gone +
          " || ' during each of its ' || attempts || ' attempts (limits.max_attempts is ' || " +
          limit +
          " || '): not tried again; the finished cases are kept in the lab store' WHERE "
          "attempts >= " +
          limit + " AND " + which,
      with_limit, "failing jobs that stopped their hosts");
  if (!failed.ok()) return failed.error();
  counts.failed = static_cast<int>(failed->Affected());
  Result<PgRows> queued = db_->Run(
      "UPDATE jobs SET state = 'queued', lease_until = NULL, bench = '', out_dir = '', message = "
      "'interrupted: host ' || host || " +
          gone +
          " || ' during attempt ' || attempts || '; queued again (the finished cases of that "
          "attempt are kept in the lab store)', host = '' WHERE " +
          which,
      params, "re-queueing interrupted jobs");
  if (!queued.ok()) return queued.error();
  counts.queued = static_cast<int>(queued->Affected());
  HIL_RETURN_IF_ERROR(transaction.Commit());
  return counts;
}

Result<RequeueCounts> PgJobQueue::RequeueInterrupted(int max_attempts) {
  return Requeue(max_attempts, true);
}

Result<RequeueCounts> PgJobQueue::RequeueExpired(int max_attempts) {
  return Requeue(max_attempts, false);
}

Result<std::vector<Job>> PgJobQueue::List(size_t limit) {
  std::string columns = kColumns;
  columns.replace(columns.find("plan_text"), 9, "'' AS plan_text");
  Result<PgRows> rows =
      db_->Run("SELECT * FROM (SELECT " + columns +
                   " FROM jobs ORDER BY id DESC LIMIT $1::bigint) AS newest ORDER BY id",
               {std::to_string(std::min<size_t>(limit, INT64_MAX))}, "listing jobs");
  if (!rows.ok()) return rows.error();
  std::vector<Job> jobs;
  for (int i = 0; i < rows->size(); ++i) jobs.push_back(JobFrom(*rows, i));
  return jobs;
}

Result<std::optional<Job>> PgJobQueue::Get(int64_t id) {
  Result<PgRows> rows =
      db_->Run(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1::bigint",
               {std::to_string(id)}, "reading job " + std::to_string(id));
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<Job>();
  return std::optional<Job>(JobFrom(*rows, 0));
}

Result<int> PgJobQueue::QueuedCount(const BenchOffer& bench) {
  Result<PgRows> rows =
      db_->Run(std::string("SELECT count(*) FROM jobs WHERE state = 'queued' AND ") + kMeets,
               OfferParams(bench), "counting queued jobs");
  if (!rows.ok()) return rows.error();
  return static_cast<int>(rows->Integer(0, 0));
}

Result<bool> PgJobQueue::AnyBenchMeets(const JobNeeds& needs,
                                       const std::vector<BenchOffer>& local) {
  // This host's benches first: no query when one of them will do.
  Result<bool> here = JobQueue::AnyBenchMeets(needs, local);
  if (!here.ok() || *here) return here;
  Result<PgRows> rows = db_->Run(
      "SELECT EXISTS (SELECT 1 FROM benches WHERE ($1 = '' OR name = $1) AND ($2 = '' OR board = "
      "$2) AND ($3 = '' OR kind = $3) AND tags @> $4::text[])",
      {needs.bench, needs.board, needs.kind, PgTextArray(needs.tags)},
      "looking for a bench the job meets");
  if (!rows.ok()) return rows.error();
  return rows->Flag(0, 0);
}

Result<std::vector<HeldJob>> PgJobQueue::Heartbeat(const std::vector<LabBench>& mine) {
  PgTransaction transaction(*db_);
  HIL_RETURN_IF_ERROR(transaction.Begin());
  for (const LabBench& bench : mine) {
    Result<PgRows> published = db_->RunPrepared(
        "publish",
        "INSERT INTO benches (host, name, kind, board, probe, tags, state, job, seen) VALUES ($1, "
        "$2, $3, $4, $5, $6::text[], $7, $8::bigint, clock_timestamp()) ON CONFLICT (host, name) "
        "DO UPDATE SET kind = $3, board = $4, probe = $5, tags = $6::text[], state = $7, job = "
        "$8::bigint, seen = clock_timestamp()",
        {host_, bench.bench.name, bench.bench.kind, bench.bench.board, bench.bench.probe,
         PgTextArray(bench.bench.tags), bench.state, std::to_string(bench.job)},
        "publishing bench " + bench.bench.name);
    if (!published.ok()) return published.error();
  }
  // Only the jobs its benches are running: a job this host let go of (it
  // stopped it after losing the store) must run out, not be held forever.
  std::string running = "{";
  for (const LabBench& bench : mine) {
    if (bench.job == 0) continue;
    running += (running.size() > 1 ? "," : "") + std::to_string(bench.job);
  }
  running += "}";
  Result<PgRows> rows = db_->RunPrepared(
      "renew",
      "UPDATE jobs SET lease_until = clock_timestamp() + make_interval(secs => $2::double "
      "precision) WHERE host = $1 AND state = 'running' AND id = ANY($3::bigint[]) RETURNING "
      "id, cancel_requested",
      {host_, std::to_string(lease_s_), running}, "renewing leases");
  if (!rows.ok()) return rows.error();
  HIL_RETURN_IF_ERROR(transaction.Commit());
  std::vector<HeldJob> held;
  for (int i = 0; i < rows->size(); ++i) held.push_back({rows->Integer(i, 0), rows->Flag(i, 1)});
  return held;
}

Result<std::vector<LabBench>> PgJobQueue::LabBenches() {
  Result<PgRows> rows = db_->Run(
      "SELECT host, name, kind, board, probe, array_to_string(tags, ','), state, job, "
      "EXTRACT(EPOCH FROM clock_timestamp() - seen) FROM benches ORDER BY host, name",
      {}, "listing the lab's benches");
  if (!rows.ok()) return rows.error();
  std::vector<LabBench> benches;
  for (int i = 0; i < rows->size(); ++i) {
    LabBench bench;
    bench.bench = {rows->Text(i, 0), rows->Text(i, 1), rows->Text(i, 2),
                   rows->Text(i, 3), rows->Text(i, 4), SplitTags(rows->Text(i, 5))};
    bench.state = rows->Text(i, 6);
    bench.job = rows->Integer(i, 7);
    bench.seen_s_ago = rows->Number(i, 8);
    if (bench.seen_s_ago > lease_s_) bench.state = "offline";
    benches.push_back(std::move(bench));
  }
  return benches;
}

}  // namespace hil::lab
