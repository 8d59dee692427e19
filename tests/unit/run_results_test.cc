// The results layer without a bench: the store's schema and transactions,
// the exports' escaping, and the comparison of two runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "hil/run/compare.h"
#include "hil/run/device_tests.h"
#include "hil/run/exports.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

measure::Stats Figure(double mean, double std, size_t n) {
  measure::Stats stats;
  stats.n = n;
  stats.mean = stats.median = mean;
  stats.std = std;
  return stats;
}

CaseResult Case(const std::string& id, double latency_mean, double latency_std, size_t n = 10) {
  CaseResult c;
  c.id = id;
  c.status = CaseStatus::kPass;
  c.figures.latency_us = Figure(latency_mean, latency_std, n);
  c.figures.energy_uj = Figure(100, 0.1, n);
  c.figures.power_mw = Figure(5, 0.01, n);
  return c;
}

std::string Text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(RunCompare, ARegressionIsWorseBeyondTheThresholdAndClearOfNoise) {
  RunRecord before, after;
  before.cases = {Case("a", 1000, 5), Case("b", 1000, 5), Case("c", 1000, 300), Case("d", 1000, 5)};
  after.cases = {Case("a", 1100, 5),    // +10 %, tight: a regression
                 Case("b", 1020, 5),    // +2 %, significant but within 5 %
                 Case("c", 1100, 300),  // +10 % but lost in the noise
                 Case("e", 900, 5)};    // new
  const std::vector<CaseChange> changes = CompareRuns(before, after, 5);
  ASSERT_EQ(changes.size(), 4u);
  const FigureChange& a = changes[0].figures[0];
  EXPECT_EQ(a.figure, "latency_us");
  EXPECT_NEAR(a.percent, 10, 1e-9);
  EXPECT_TRUE(a.significant);
  EXPECT_TRUE(a.regression);
  // Welch with equal n and std: t(18) * sqrt(2 * 25 / 10).
  EXPECT_NEAR(a.high - a.difference, 2.1009 * std::sqrt(5.0), 1e-3);
  EXPECT_TRUE(changes[1].figures[0].significant);
  EXPECT_FALSE(changes[1].figures[0].regression);
  EXPECT_FALSE(changes[2].figures[0].significant);
  EXPECT_FALSE(changes[2].figures[0].regression);
  EXPECT_EQ(changes[3].note, "not in the earlier run");
}

TEST(RunStore, CasesSurviveReopeningAndANewerSchemaIsRefused) {
  const std::string path = ::testing::TempDir() + "/store-test.db";
  std::filesystem::remove(path);
  {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    Result<int64_t> run =
        (*store)->BeginRun("p", "/p.yaml", "2026-01-01T00:00:00Z", Json::object());
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE((*store)->AddCase(*run, "x/y/z", "pass", CaseJson(Case("x/y/z", 10, 1))).ok());
  }
  {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
    ASSERT_TRUE(store.ok());
    Result<RunRecord> record = LoadRunRecord(**store, 1);
    ASSERT_TRUE(record.ok()) << record.error().ToString();
    EXPECT_EQ(record->status, "running");
    ASSERT_EQ(record->cases.size(), 1u);
    EXPECT_EQ(record->cases[0].figures.latency_us.mean, 10);
    EXPECT_FALSE(LoadRunRecord(**store, 7).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr,
               nullptr);
  sqlite3_close(db);
  Result<std::unique_ptr<ResultsStore>> newer = ResultsStore::Open(path);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(newer.error().message().find("schema version 99"), std::string::npos);
}

TEST(RunCompare, DifferentPlansOrBenchesAndChangedFirmwareAreNamed) {
  RunRecord before, after;
  before.plan = after.plan = "nightly";
  before.bench = after.bench = {{"kind", "virtual"}, {"probe", "ppk2"}};
  EXPECT_TRUE(Incomparabilities(before, after).empty());
  after.plan = "quickstart";
  after.bench["probe"] = "lpm01a";
  const std::vector<std::string> apart = Incomparabilities(before, after);
  ASSERT_EQ(apart.size(), 2u);
  EXPECT_NE(apart[0].find("different plans ('nightly' and 'quickstart')"), std::string::npos);
  EXPECT_NE(apart[1].find("differ in probe ('ppk2' and 'lpm01a')"), std::string::npos);

  CaseResult a = Case("a", 1000, 5), b = Case("a", 1000, 5);
  a.firmware.sha256 = std::string(64, '1');
  b.firmware.sha256 = std::string(64, '2');
  before.cases = {a};
  after.cases = {b};
  std::vector<CaseChange> changes = CompareRuns(before, after, 5);
  EXPECT_EQ(changes[0].firmware_changed, "firmware changed: 11111111... -> 22222222...");
  after.cases = {a};
  changes = CompareRuns(before, after, 5);
  EXPECT_EQ(changes[0].firmware_changed, "");
}

TEST(RunExports, TheSummaryShowsEveryFailureAndTheCsvFullPrecision) {
  RunRecord run;
  run.bench = {{"kind", "virtual"}};
  CaseResult c = Case("kws/ref/m4", 1216424.25, 10);
  c.status = CaseStatus::kFail;
  c.failures = {"expectation not met: latency_us.median < 1000000 (measured 1216424.25)",
                "expectation not met: energy_uJ.median within 5 % of baseline (+97 %)"};
  c.dataset.emplace();
  c.dataset->inputs = 100, c.dataset->correct = 94;
  c.firmware.text_bytes = 100000, c.firmware.data_bytes = 1000, c.firmware.bss_bytes = 52000;
  c.figures.used = 5, c.figures.layers_unresolved = 2;
  run.cases = {c};
  const std::string summary = SummaryTable(run);
  EXPECT_NE(summary.find("1.216 s"), std::string::npos) << summary;
  EXPECT_NE(summary.find("94.0 %"), std::string::npos) << summary;
  EXPECT_NE(summary.find("98.63 KiB"), std::string::npos) << "flash: text + data\n" << summary;
  EXPECT_NE(summary.find("51.76 KiB"), std::string::npos) << "RAM: data + bss\n" << summary;
  EXPECT_NE(summary.find("median"), std::string::npos);
  for (const std::string& reason : c.failures)
    EXPECT_NE(summary.find("    " + reason), std::string::npos) << summary;
  EXPECT_NE(summary.find("per-layer figures from 3 of 5 inferences"), std::string::npos);
  EXPECT_NE(summary.find("emulated time"), std::string::npos);
  EXPECT_EQ(summary.find("e+06"), std::string::npos) << summary;
  const std::string dir = ::testing::TempDir();
  ASSERT_TRUE(WriteResultsCsv(run, dir + "/precision.csv").ok());
  const std::string csv = Text(dir + "/precision.csv");
  EXPECT_NE(csv.find(",1216424.25,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",101000,53000,"), std::string::npos) << csv;
}

TEST(RunExports, JUnitAndCsvEscapeWhatTheyCarry) {
  RunRecord run;
  run.plan = "p<&>";
  run.started = "2026-01-01T00:00:00Z";
  CaseResult failed = Case("net/cfg/board", 10, 1);
  failed.status = CaseStatus::kFail;
  failed.error = "expectation not met: latency_us.median < 5 (measured \"10\", a, b)";
  CaseResult broken = Case("net/cfg2/board", 10, 1);
  broken.status = CaseStatus::kError;
  broken.error = "infrastructure error: QEMU <exited>";
  run.cases = {Case("ok/cfg/board", 10, 1), failed, broken};
  const std::string dir = ::testing::TempDir();
  ASSERT_TRUE(WriteJUnit(run, dir + "/j.xml").ok());
  ASSERT_TRUE(WriteResultsCsv(run, dir + "/r.csv").ok());
  const std::string junit = Text(dir + "/j.xml");
  EXPECT_NE(junit.find("failures=\"1\" errors=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<failure message=\"expectation not met: latency_us.median &lt; 5 "
                       "(measured &quot;10&quot;, a, b)\""),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<error message=\"infrastructure error: QEMU &lt;exited&gt;\""),
            std::string::npos);
  EXPECT_NE(junit.find("name=\"p&lt;&amp;&gt;\""), std::string::npos);
  const std::string csv = Text(dir + "/r.csv");
  EXPECT_NE(
      csv.find(",\"expectation not met: latency_us.median < 5 (measured \"\"10\"\", a, b)\"\n"),
      std::string::npos)
      << csv;
}

}  // namespace
}  // namespace hil::run

namespace hil::run {
namespace {

TEST(DeviceTestFilter, FollowsGoogletestsPatterns) {
  EXPECT_TRUE(MatchesFilter("Float.Exp", ""));
  EXPECT_TRUE(MatchesFilter("Float.Exp", "Float.*"));
  EXPECT_FALSE(MatchesFilter("Int8.Add", "Float.*"));
  EXPECT_TRUE(MatchesFilter("Int8.Add", "Float.*:Int8.*"));
  EXPECT_TRUE(MatchesFilter("Int8.Add", "Int?.A*d"));
  EXPECT_FALSE(MatchesFilter("Float.Exp", "*-Float.*"));
  EXPECT_TRUE(MatchesFilter("Int8.Add", "*-Float.*"));
  EXPECT_FALSE(MatchesFilter("Int8.Add", "-Int8.Add"));
}

}  // namespace
}  // namespace hil::run

namespace hil::run {
namespace {

// A results.db from elsewhere whose schema version is not a number threw
// std::stoi's exception (and crashed hild); now it is a configuration
// error naming the file.
TEST(RunStoreHostile, ASchemaVersionThatIsNotANumberIsAConfigurationError) {
  const std::string path = ::testing::TempDir() + "/store-bad-version.db";
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db,
               "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
               "INSERT INTO meta VALUES('schema_version', '99999999999999999999x');",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(store.error().message().find("is not a hil results database"), std::string::npos)
      << store.error().message();
}

// After a crash or Ctrl-C, the interrupted run must not become the next
// night's baseline: the baseline is the newest finished run.
TEST(RunStoreHostile, AnInterruptedOrDeadRunIsNeverTheBaseline) {
  const std::string path = ::testing::TempDir() + "/store-baseline.db";
  std::filesystem::remove(path);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path);
  ASSERT_TRUE(store.ok());
  ResultsStore& s = **store;
  const int64_t good = *s.BeginRun("nightly", "/n.yaml", "2026-01-01T00:00:00Z", Json::object());
  ASSERT_TRUE(s.FinishRun(good, "2026-01-01T01:00:00Z", "finished").ok());
  const int64_t interrupted =
      *s.BeginRun("nightly", "/n.yaml", "2026-01-02T00:00:00Z", Json::object());
  ASSERT_TRUE(s.FinishRun(interrupted, "2026-01-02T00:10:00Z", "interrupted").ok());
  const int64_t died = *s.BeginRun("nightly", "/n.yaml", "2026-01-03T00:00:00Z", Json::object());
  (void)died;  // left "running", as after a SIGKILL
  const int64_t tonight = *s.BeginRun("nightly", "/n.yaml", "2026-01-04T00:00:00Z", Json::object());
  Result<std::optional<StoredRun>> baseline = s.LatestRun("nightly", tonight);
  ASSERT_TRUE(baseline.ok());
  ASSERT_TRUE(baseline->has_value());
  EXPECT_EQ((*baseline)->id, good);
}

// A full disk (here: a file-size limit, which fails writes the same way)
// while results are written: an infrastructure error, and the results
// written before are left whole.
TEST(RunStoreHostile, AFullDiskLeavesTheEarlierResultsWhole) {
  const std::string path = ::testing::TempDir() + "/full-disk-results.json";
  RunRecord small;
  small.plan = "nightly";
  small.cases.push_back(Case("a/b/c", 10, 1));
  ASSERT_TRUE(WriteResultsJson(small, path).ok());
  const std::string before = Text(path);
  RunRecord large = small;
  for (int i = 0; i < 2000; ++i) large.cases.push_back(Case("case/" + std::to_string(i), 10, 1));
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit tight = old;
  tight.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tight), 0);
  const Status written = WriteResultsJson(large, path);
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(written.error().message().find("is unchanged"), std::string::npos)
      << written.error().message();
  EXPECT_EQ(Text(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

}  // namespace
}  // namespace hil::run
