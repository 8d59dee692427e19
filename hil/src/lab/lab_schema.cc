#include "hil/lab/lab_schema.h"

namespace hil::lab {
namespace {

// Any number will do, as long as it is hil's alone among the database's
// advisory locks: "hil" in ASCII.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(6842732)";

constexpr const char* kVersion1 = R"(
CREATE TABLE IF NOT EXISTS jobs (
  id BIGSERIAL PRIMARY KEY,
  need_bench TEXT NOT NULL DEFAULT '',
  need_board TEXT NOT NULL DEFAULT '',
  need_kind TEXT NOT NULL DEFAULT '',
  need_tags TEXT[] NOT NULL DEFAULT '{}',
  plan_name TEXT NOT NULL,
  plan_path TEXT NOT NULL,
  plan_text TEXT NOT NULL,
  base_dir TEXT NOT NULL,
  out_request TEXT NOT NULL DEFAULT '',
  out_dir TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  exit_code INTEGER NOT NULL DEFAULT -1,
  attempts INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  submitted TEXT NOT NULL,
  started TEXT NOT NULL DEFAULT '',
  finished TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  bench TEXT NOT NULL DEFAULT '',
  submitted_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  started_at TIMESTAMPTZ,
  lease_until TIMESTAMPTZ,
  cancel_requested BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_running ON jobs (host) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS benches (
  host TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  board TEXT NOT NULL,
  probe TEXT NOT NULL,
  tags TEXT[] NOT NULL DEFAULT '{}',
  state TEXT NOT NULL,
  job BIGINT NOT NULL DEFAULT 0,
  seen TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (host, name));
CREATE TABLE IF NOT EXISTS runs (
  id BIGSERIAL PRIMARY KEY,
  host TEXT NOT NULL,
  source TEXT NOT NULL,
  local_run BIGINT NOT NULL,
  job BIGINT NOT NULL DEFAULT 0,
  plan TEXT NOT NULL,
  plan_path TEXT NOT NULL DEFAULT '',
  started TEXT NOT NULL,
  finished TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  bench TEXT NOT NULL DEFAULT '{}',
  UNIQUE (host, source, local_run));
CREATE INDEX IF NOT EXISTS runs_by_plan ON runs (plan, id);
CREATE TABLE IF NOT EXISTS cases (
  run_id BIGINT NOT NULL REFERENCES runs (id),
  case_id TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT NOT NULL,
  seq BIGSERIAL,
  PRIMARY KEY (run_id, case_id));
)";

}  // namespace

Status EnsureLabSchema(PgConnection& connection) {
  PgTransaction transaction(connection);
  HIL_RETURN_IF_ERROR(transaction.Begin());
  HIL_RETURN_IF_ERROR(connection.Execute(kMigrationLock, "waiting for the schema lock"));
  HIL_RETURN_IF_ERROR(connection.Execute(
      "CREATE TABLE IF NOT EXISTS hil_schema (version INTEGER NOT NULL)", "creating hil_schema"));
  Result<PgRows> read = connection.Run("SELECT version FROM hil_schema", {}, "reading the schema");
  if (!read.ok()) return read.error();
  const int64_t version = read->size() > 0 ? read->Integer(0, 0) : 0;
  if (version > kLabSchemaVersion) {
    return ConfigurationError("lab store " + connection.shown() + " has schema version " +
                              std::to_string(version) + "; this hil reads up to version " +
                              std::to_string(kLabSchemaVersion) +
                              ": a newer hil set it up, so update this host's hil");
  }
  if (version < 1) {
    HIL_RETURN_IF_ERROR(connection.Execute(kVersion1, "creating the lab's tables"));
    HIL_RETURN_IF_ERROR(
        connection.Execute("DELETE FROM hil_schema; INSERT INTO hil_schema "
                           "VALUES (1)",
                           "writing the schema version"));
  }
  return transaction.Commit();
}

}  // namespace hil::lab
