#include "hil/lab/pg_results.h"

#include "hil/lab/lab_schema.h"

namespace hil::lab {
namespace {

constexpr const char* kRunColumns =
    "id, plan, plan_path, started, finished, status, bench, host, job";

run::StoredRun RunFrom(const PgRows& rows, int row) {
  run::StoredRun stored;
  stored.id = rows.Integer(row, 0);
  stored.plan = rows.Text(row, 1);
  stored.plan_path = rows.Text(row, 2);
  stored.started = rows.Text(row, 3);
  stored.finished = rows.Text(row, 4);
  stored.status = rows.Text(row, 5);
  stored.bench = nlohmann::ordered_json::parse(rows.Text(row, 6), nullptr, false);
  stored.host = rows.Text(row, 7);
  stored.job = rows.Integer(row, 8);
  return stored;
}

}  // namespace

Result<std::unique_ptr<PgResults>> PgResults::Open(const StoreAddress& address) {
  Result<std::unique_ptr<PgConnection>> connection = PgConnection::Open(address);
  if (!connection.ok()) return connection.error();
  HIL_RETURN_IF_ERROR(EnsureLabSchema(**connection));
  return std::unique_ptr<PgResults>(new PgResults(std::move(*connection)));
}

Result<UploadCounts> PgResults::Upload(const std::string& host, const std::string& source,
                                       int64_t job, run::ResultsStore& local) {
  Result<std::vector<run::StoredRun>> runs = local.Runs();
  if (!runs.ok()) return runs.error();
  UploadCounts counts;
  for (const run::StoredRun& stored : *runs) {
    Result<std::vector<run::StoredCase>> cases = local.Cases(stored.id);
    if (!cases.ok()) return cases.error();
    PgTransaction transaction(*db_);
    HIL_RETURN_IF_ERROR(transaction.Begin());
    Result<PgRows> row = db_->Run(
        "INSERT INTO runs (host, source, local_run, job, plan, plan_path, started, finished, "
        "status, bench) VALUES ($1, $2, $3::bigint, $4::bigint, $5, $6, $7, $8, $9, $10) ON "
        "CONFLICT (host, source, local_run) DO UPDATE SET finished = EXCLUDED.finished, status = "
        "EXCLUDED.status RETURNING id",
        {host, source, std::to_string(stored.id), std::to_string(job), stored.plan,
         stored.plan_path, stored.started, stored.finished, stored.status, stored.bench.dump()},
        "uploading run " + std::to_string(stored.id) + " of " + local.Name());
    if (!row.ok()) return row.error();
    const std::string id = row->Text(0, 0);
    // Uploaded again at every case: a case already stored as it is is not
    // rewritten (no new row version for each of them, every time).
    for (const run::StoredCase& c : *cases) {
      Result<PgRows> added = db_->RunPrepared(
          "upload_case",
          "INSERT INTO cases (run_id, case_id, status, result) VALUES ($1::bigint, $2, $3, $4) ON "
          "CONFLICT (run_id, case_id) DO UPDATE SET status = EXCLUDED.status, result = "
          "EXCLUDED.result WHERE cases.status IS DISTINCT FROM EXCLUDED.status OR cases.result "
          "IS DISTINCT FROM EXCLUDED.result",
          {id, c.case_id, c.status, c.result.dump()}, "uploading case " + c.case_id);
      if (!added.ok()) return added.error();
    }
    HIL_RETURN_IF_ERROR(transaction.Commit());
    ++counts.runs;
    counts.cases += static_cast<int>(cases->size());
  }
  return counts;
}

Result<std::vector<run::StoredRun>> PgResults::Select(const std::string& where_order,
                                                      const std::vector<PgParam>& params) {
  Result<PgRows> rows = db_->Run(std::string("SELECT ") + kRunColumns + " FROM runs " + where_order,
                                 params, "reading runs");
  if (!rows.ok()) return rows.error();
  std::vector<run::StoredRun> runs;
  for (int i = 0; i < rows->size(); ++i) runs.push_back(RunFrom(*rows, i));
  return runs;
}

Result<std::vector<run::StoredRun>> PgResults::Runs() { return Select("ORDER BY started, id", {}); }

Result<std::optional<run::StoredRun>> PgResults::FindRun(int64_t id) {
  Result<std::vector<run::StoredRun>> runs = Select("WHERE id = $1::bigint", {std::to_string(id)});
  if (!runs.ok()) return runs.error();
  if (runs->empty()) return std::optional<run::StoredRun>();
  return std::optional<run::StoredRun>(std::move(runs->front()));
}

Result<std::optional<run::StoredRun>> PgResults::LatestRun(const std::string& plan,
                                                           int64_t before) {
  // Hosts upload when they can: the order is the runs' start, not the ids'.
  Result<std::vector<run::StoredRun>> runs = Select(
      "WHERE plan = $1 AND status = 'finished' AND ($2::bigint = 0 OR (started, id) < (SELECT "
      "started, id FROM runs WHERE id = $2::bigint)) ORDER BY started DESC, id DESC LIMIT 1",
      {plan, std::to_string(before)});
  if (!runs.ok()) return runs.error();
  if (runs->empty()) return std::optional<run::StoredRun>();
  return std::optional<run::StoredRun>(std::move(runs->front()));
}

Result<std::vector<run::StoredRun>> PgResults::RecentRuns(const std::string& plan, size_t count) {
  return Select(
      "WHERE id IN (SELECT id FROM runs WHERE plan = $1 ORDER BY started DESC, id DESC LIMIT "
      "$2::bigint) ORDER BY started, id",
      {plan, std::to_string(std::min<size_t>(count, INT64_MAX))});
}

Result<std::vector<run::StoredCase>> PgResults::Cases(int64_t run) {
  Result<PgRows> rows =
      db_->Run("SELECT case_id, status, result FROM cases WHERE run_id = $1::bigint ORDER BY seq",
               {std::to_string(run)}, "reading cases");
  if (!rows.ok()) return rows.error();
  std::vector<run::StoredCase> cases;
  for (int i = 0; i < rows->size(); ++i) {
    cases.push_back(
        run::StoredCase{rows->Text(i, 0), rows->Text(i, 1),
                        nlohmann::ordered_json::parse(rows->Text(i, 2), nullptr, false)});
  }
  return cases;
}

}  // namespace hil::lab
