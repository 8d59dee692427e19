// The lab's results store: a host's results.db uploaded into PostgreSQL,
// again and again as cases finish, without storing a case twice; read back
// by the same code that reads a results.db; and an upload that finds the
// database away is owed, kept on disk, and lands once it is back.
#include "hil/lab/pg_results.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hil/run/case_result.h"
#include "lab_database.h"
#include "result_upload.h"

namespace hil::lab {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct Scratch {
  Scratch() {
    char name[] = "/tmp/hil-lab-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~Scratch() { fs::remove_all(path); }
  std::string File(const std::string& name) const { return (fs::path(path) / name).string(); }
  std::string path;
};

ordered_json CaseJson(const std::string& id, double latency_us) {
  return {{"id", id},
          {"network", "kws"},
          {"configuration", "cmsis"},
          {"board", "mps2-an386"},
          {"status", "pass"},
          {"latency_us", {{"mean", latency_us}}}};
}

std::unique_ptr<PgResults> OpenStore(const std::string& conninfo) {
  Result<std::unique_ptr<PgResults>> store = PgResults::Open({conninfo, ""});
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(LabResults, UploadingAgainAddsNewCasesAndNeverStoresOneTwice) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  std::unique_ptr<PgResults> lab = OpenStore(db);
  ASSERT_TRUE(lab);
  Scratch scratch;
  Result<std::unique_ptr<run::ResultsStore>> local =
      run::ResultsStore::Open(scratch.File("results.db"));
  ASSERT_TRUE(local.ok());
  run::ResultsStore& store = **local;
  const int64_t first = *store.BeginRun("nightly", "/p/nightly.yaml", "2026-12-01T02:00:00Z",
                                        ordered_json{{"name", "m4"}});
  ASSERT_TRUE(store.AddCase(first, "kws/a", "pass", CaseJson("kws/a", 100)).ok());
  ASSERT_TRUE(lab->Upload("host-a", scratch.path, 7, store).ok());
  ASSERT_TRUE(store.AddCase(first, "kws/b", "pass", CaseJson("kws/b", 200)).ok());
  ASSERT_TRUE(store.FinishRun(first, "2026-12-01T02:10:00Z", "finished").ok());
  Result<UploadCounts> counts = lab->Upload("host-a", scratch.path, 7, store);
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(counts->runs, 1);
  EXPECT_EQ(counts->cases, 2);
  ASSERT_TRUE(lab->Upload("host-a", scratch.path, 7, store).ok());

  // Another host's run of the same plan, the next night, with the same
  // local run id: a run of its own.
  Scratch other;
  Result<std::unique_ptr<run::ResultsStore>> b = run::ResultsStore::Open(other.File("results.db"));
  ASSERT_TRUE(b.ok());
  const int64_t second = *(*b)->BeginRun("nightly", "/p/nightly.yaml", "2026-12-02T02:00:00Z",
                                         ordered_json{{"name", "m4-b"}});
  EXPECT_EQ(second, first);
  ASSERT_TRUE((*b)->AddCase(second, "kws/a", "pass", CaseJson("kws/a", 110)).ok());
  ASSERT_TRUE((*b)->FinishRun(second, "2026-12-02T02:05:00Z", "finished").ok());
  ASSERT_TRUE(lab->Upload("host-b", other.path, 8, **b).ok());

  Result<std::vector<run::StoredRun>> runs = lab->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].host, "host-a");
  EXPECT_EQ((*runs)[0].job, 7);
  EXPECT_EQ((*runs)[0].status, "finished");
  EXPECT_EQ((*runs)[1].host, "host-b");
  Result<std::vector<run::StoredCase>> cases = lab->Cases((*runs)[0].id);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 2u) << "uploaded three times, stored once";
  EXPECT_EQ((*cases)[0].case_id, "kws/a");
  EXPECT_EQ((*cases)[1].case_id, "kws/b");

  // Baselines and series read as from a results.db.
  Result<std::optional<run::StoredRun>> latest = lab->LatestRun("nightly", 0);
  ASSERT_TRUE(latest.ok() && *latest);
  EXPECT_EQ((*latest)->host, "host-b");
  Result<std::optional<run::StoredRun>> before = lab->LatestRun("nightly", (*latest)->id);
  ASSERT_TRUE(before.ok() && *before);
  EXPECT_EQ((*before)->host, "host-a");
  Result<run::RunRecord> record = run::LoadRunRecord(*lab, (*latest)->id);
  ASSERT_TRUE(record.ok()) << record.error().ToString();
  ASSERT_EQ(record->cases.size(), 1u);
  EXPECT_EQ(record->cases[0].id, "kws/a");
  EXPECT_EQ(lab->RecentRuns("nightly", 1)->size(), 1u);
  Result<run::RunRecord> missing = run::LoadRunRecord(*lab, 999);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("lab store"), std::string::npos);
}

TEST(LabResults, AnUploadThatFindsTheDatabaseAwayIsOwedUntilItIsBack) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  Scratch scratch;
  const std::string job_dir = scratch.File("jobs/4");
  fs::create_directories(job_dir);
  Result<std::unique_ptr<run::ResultsStore>> local =
      run::ResultsStore::Open((fs::path(job_dir) / "results.db").string());
  ASSERT_TRUE(local.ok());
  const int64_t run_id =
      *(*local)->BeginRun("nightly", "n.yaml", "2026-12-03T02:00:00Z", ordered_json::object());
  ASSERT_TRUE((*local)->AddCase(run_id, "kws/a", "pass", CaseJson("kws/a", 100)).ok());
  {
    daemon::ResultUploader uploader(OpenStore(db), "host-a", scratch.File("uploads.pending"));
    // The database goes away: no new connections, and the uploader's own
    // is cut.
    ASSERT_TRUE(hil::testing::SetDatabaseReachable(db, false).ok());
    EXPECT_FALSE(uploader.Upload(job_dir, 4));
    EXPECT_EQ(uploader.owed(), 1u);
    EXPECT_EQ(uploader.Retry(), 1u) << "still away";
  }
  // hild died while the database was away: what it owed is on disk.
  std::ifstream pending(scratch.File("uploads.pending"));
  std::string line;
  ASSERT_TRUE(std::getline(pending, line));
  EXPECT_EQ(line, "4\t" + job_dir);

  ASSERT_TRUE(hil::testing::SetDatabaseReachable(db, true).ok());
  daemon::ResultUploader restarted(OpenStore(db), "host-a", scratch.File("uploads.pending"));
  EXPECT_EQ(restarted.owed(), 1u);
  EXPECT_EQ(restarted.Retry(), 0u);
  std::unique_ptr<PgResults> lab = OpenStore(db);
  ASSERT_TRUE(lab);
  Result<std::vector<run::StoredRun>> runs = lab->Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().job, 4);
  EXPECT_EQ(lab->Cases(runs->front().id)->size(), 1u);
  std::ifstream emptied(scratch.File("uploads.pending"));
  EXPECT_FALSE(std::getline(emptied, line)) << "nothing owed any more";
}

}  // namespace
}  // namespace hil::lab
