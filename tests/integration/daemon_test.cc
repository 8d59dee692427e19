// hild as its users meet it: a bench file, plans submitted over the API,
// two virtual benches working in parallel but never two jobs on one, a
// TCP port that refuses requests without the token, and a kill -9 in the
// middle of a job that loses no finished case.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli_runner.h"
#include "hild_process.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

void WritePlan(const std::string& path, const std::string& name, int boards) {
  std::ofstream(path) << "plan: " << name
                      << "\n"
                         "networks:\n"
                         "  conv: {workload: mb-conv1x1}\n"
                         "matrix: {boards: ["
                      << (boards == 1 ? "mps2-an386" : "mps2-an386, mps2-an500, mps3-an547")
                      << "]}\n"
                         "measurement: {warmup: 0, runs: 2}\n";
}

TEST(Daemon, TenJobsOnTwoBenchesNeverShareABenchAndAllComplete) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n"
                                                 "  - {name: virtual-a, kind: virtual}\n"
                                                 "  - {name: virtual-b, kind: virtual}\n"
                                                 "state_dir: state\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  struct stat socket_stat {};
  ASSERT_EQ(::stat(scratch.File("state/hild.sock").c_str(), &socket_stat), 0);
  EXPECT_EQ(socket_stat.st_mode & 0777, 0660u) << "the unix socket's mode";
  EXPECT_TRUE(S_ISSOCK(socket_stat.st_mode));

  for (int i = 0; i < 10; ++i) {
    const std::string plan = scratch.File("plan" + std::to_string(i) + ".yaml");
    WritePlan(plan, "tiny" + std::to_string(i), 1);
    // Half name their bench, half let hild pick the least busy one.
    EXPECT_GT(hild.Submit(plan, i % 4 == 0 ? "virtual-b" : ""), 0);
  }
  const json health = hild.Get("/health");
  ASSERT_EQ(health["benches"].size(), 2u) << health.dump();
  const json jobs = hild.WaitForAll(300s);
  ASSERT_EQ(jobs.size(), 10u);
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> spans;
  for (const json& job : jobs) {
    SCOPED_TRACE(job.dump());
    EXPECT_EQ(job["state"], "done");
    EXPECT_EQ(job["exit_code"], 0);
    EXPECT_EQ(job["attempts"], 1);
    spans[job["bench"]].emplace_back(job["started"], job["finished"]);
    // Every job's results are complete and readable over the API.
    const json results = hild.Get("/jobs/" + std::to_string(job["id"].get<int>()) + "/results");
    ASSERT_TRUE(results.is_object());
    ASSERT_EQ(results["cases"].size(), 1u);
    EXPECT_EQ(results["cases"][0]["status"], "pass");
  }
  EXPECT_EQ(spans.size(), 2u) << "both benches were used";
  for (auto& [bench, list] : spans) {
    // ISO 8601 with milliseconds sorts as time: each job starts after the
    // one before it on the same bench finished.
    std::sort(list.begin(), list.end());
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_GE(list[i].first, list[i - 1].second) << bench << ": two jobs at once";
    }
  }
  // SIGTERM: a graceful stop.
  const int status = hild.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << hild.Log();
}

TEST(Daemon, SubmitWaitEndsAsHilRunWould) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n  - {name: virtual-a}\n"
                                                 "state_dir: state\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const std::string daemon = " --daemon unix:" + scratch.File("state/hild.sock");
  WritePlan(scratch.File("good.yaml"), "good", 1);
  const CliRun good = RunHil("submit " + scratch.File("good.yaml") + " --wait" + daemon);
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("conv/default/mps2-an386"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("[1/1] conv/default/mps2-an386: pass"), std::string::npos)
      << "progress is streamed: " << good.output;
  // hild's log tells what became of each job.
  const std::string log = hild.Log();
  EXPECT_NE(log.find("hild: job 1 (plan 'good') started on bench virtual-a, attempt 1"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("hild: job 1 done (exit 0)"), std::string::npos) << log;
  // An expectation no case can meet: exit 1, as hil run.
  std::ofstream(scratch.File("strict.yaml")) << "plan: strict\nnetworks:\n"
                                                "  conv: {workload: mb-conv1x1}\n"
                                                "matrix: {boards: [mps2-an386]}\n"
                                                "measurement: {warmup: 0, runs: 2}\n"
                                                "expectations: [latency_us.median < 1]\n";
  const CliRun strict = RunHil("submit " + scratch.File("strict.yaml") + " --wait" + daemon);
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  // A malformed plan is refused at submission, at its position, exit 2.
  std::ofstream(scratch.File("bad.yaml")) << "plan: bad\nnetworks:\n"
                                             "  conv: {workload: mb-conv1x1}\n"
                                             "matrix: {boards: [mps2-an386]}\n"
                                             "measurment: {runs: 2}\n";
  const CliRun bad = RunHil("submit " + scratch.File("bad.yaml") + daemon);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("bad.yaml:5:1: unknown key 'measurment'"), std::string::npos)
      << bad.output;
  // Nothing listening: an infrastructure error.
  const CliRun away = RunHil("jobs --daemon unix:" + scratch.File("nowhere.sock"));
  EXPECT_EQ(away.exit_code, 3) << away.output;
  EXPECT_NE(away.output.find("is it running?"), std::string::npos) << away.output;
  EXPECT_NE(away.output.find("hil jobs: infrastructure error: cannot reach hild at unix:"),
            std::string::npos)
      << "the error's class, as the exit code: " << away.output;
  EXPECT_EQ(away.output.find("(Connection)"), std::string::npos) << away.output;
}

// A nightly plan sent to hild night after night: each job has its own
// folder, but the plan's runs on one bench share a history, so the second
// night compares with the first, and the first (no baseline) cannot pass.
TEST(Daemon, JobsOfOnePlanOnOneBenchShareAHistoryForBaselines) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n  - {name: virtual-a}\n"
                                                 "state_dir: state\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  std::ofstream(scratch.File("nightly.yaml"))
      << "plan: nightly\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
         "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 3}\n"
         "expectations: [energy_uJ.median within 5 % of baseline]\n";
  const auto results_of = [&](int64_t id) {
    return hild.Get("/jobs/" + std::to_string(id) + "/results");
  };
  const int64_t first = hild.Submit(scratch.File("nightly.yaml"));
  ASSERT_GT(first, 0);
  hild.WaitForAll(120s);
  const json night1 = results_of(first);
  ASSERT_TRUE(night1.is_object()) << night1;
  EXPECT_TRUE(night1["baseline"].is_null());
  EXPECT_EQ(night1["cases"][0]["status"], "fail");
  EXPECT_NE(night1["cases"][0]["error"].get<std::string>().find("no baseline"), std::string::npos);

  const int64_t second = hild.Submit(scratch.File("nightly.yaml"));
  hild.WaitForAll(120s);
  const json night2 = results_of(second);
  ASSERT_TRUE(night2.is_object()) << night2;
  EXPECT_EQ(night2["cases"][0]["status"], "pass") << night2["cases"][0];
  EXPECT_TRUE(night2["cases"][0]["expectations"][0]["ok"].get<bool>());
  EXPECT_EQ(night2["baseline"]["started"], night1["started"]);
  EXPECT_NE(night2["baseline"]["history"].get<std::string>().find("history/nightly@virtual-a.db"),
            std::string::npos)
      << night2["baseline"];
  // Another plan name has a history of its own.
  std::ofstream(scratch.File("other.yaml"))
      << "plan: other\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
         "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 3}\n"
         "on_missing_baseline: skip\n"
         "expectations: [energy_uJ.median within 5 % of baseline]\n";
  const int64_t other = hild.Submit(scratch.File("other.yaml"));
  hild.WaitForAll(120s);
  const json fresh = results_of(other);
  EXPECT_TRUE(fresh["baseline"].is_null());
  EXPECT_EQ(fresh["cases"][0]["status"], "pass");
  EXPECT_TRUE(fresh["cases"][0]["expectations"][0]["skipped"].get<bool>());
}

TEST(Daemon, CancelStopsAQueuedJobAtOnceAndARunningOneAfterItsCase) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n  - {name: virtual-a}\n"
                                                 "state_dir: state\n";
  WritePlan(scratch.File("three.yaml"), "three", 3);
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const int64_t running = hild.Submit(scratch.File("three.yaml"));
  const int64_t queued = hild.Submit(scratch.File("three.yaml"));
  for (int i = 0; i < 600 && hild.Get("/jobs/" + std::to_string(running))["state"] != "running";
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  const std::string daemon = " --daemon unix:" + scratch.File("state/hild.sock");
  const CliRun cancel_queued = RunHil("cancel " + std::to_string(queued) + daemon);
  EXPECT_EQ(cancel_queued.exit_code, 0) << cancel_queued.output;
  EXPECT_NE(cancel_queued.output.find("cancelled"), std::string::npos) << cancel_queued.output;
  const CliRun cancel_running = RunHil("cancel " + std::to_string(running) + daemon);
  EXPECT_EQ(cancel_running.exit_code, 0) << cancel_running.output;
  EXPECT_NE(cancel_running.output.find("cancelling"), std::string::npos) << cancel_running.output;
  const json jobs = hild.WaitForAll(120s);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]["state"], "cancelled") << jobs.dump(1);
  EXPECT_EQ(jobs[0]["exit_code"], 3) << "interrupted, as hil run after Ctrl-C";
  EXPECT_EQ(jobs[1]["state"], "cancelled");
  EXPECT_EQ(jobs[1]["attempts"], 0) << "the queued job never started";
  // The running job's finished cases are kept; it stopped before the third.
  const json results = hild.Get("/jobs/" + std::to_string(running) + "/results");
  ASSERT_TRUE(results.is_object()) << results.dump();
  EXPECT_GE(results["cases"].size(), 1u);
  EXPECT_LT(results["cases"].size(), 3u);
  const CliRun again = RunHil("cancel " + std::to_string(queued) + daemon);
  EXPECT_EQ(again.exit_code, 2) << "nothing left to cancel: " << again.output;
}

TEST(Daemon, TcpRefusesRequestsWithoutTheRightToken) {
  ScratchFolder scratch;
  const int port = FreeTcpPort();
  ASSERT_GT(port, 0);
  std::ofstream(scratch.File("token")) << "s3cret-token-of-32-characters-xx\n";
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n  - {name: virtual-a}\nstate_dir: state\ntcp: {port: " << port
      << ", token_file: token}\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  httplib::Client client("127.0.0.1", port);
  httplib::Result none = client.Get("/health");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  client.set_bearer_token_auth("s3cret-token-of-32-characters-xy");
  httplib::Result wrong = client.Get("/jobs");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  client.set_bearer_token_auth("s3cret-token-of-32-characters-xx");
  httplib::Result right = client.Get("/health");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  // The CLI with and without the token file.
  const std::string daemon = "--daemon tcp:127.0.0.1:" + std::to_string(port);
  const CliRun refused = RunHil("jobs " + daemon + " --token-file /dev/null");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  const CliRun listed = RunHil("jobs " + daemon + " --token-file " + scratch.File("token"));
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
}

TEST(Daemon, KillNineDuringAJobLosesNoFinishedCaseAndTheJobRunsAgain) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n  - {name: virtual-a}\n"
                                                 "state_dir: state\n";
  WritePlan(scratch.File("three.yaml"), "three", 3);
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const int64_t id = hild.Submit(scratch.File("three.yaml"));
  ASSERT_GT(id, 0);
  // Kill hild once the first case is stored.
  const std::string db = scratch.File("state/jobs/" + std::to_string(id) + "/results.db");
  const auto stored_cases = [&db] {
    sqlite3* handle = nullptr;
    int count = -1;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* statement = nullptr;
      if (sqlite3_prepare_v2(handle, "SELECT COUNT(*) FROM cases", -1, &statement, nullptr) ==
              SQLITE_OK &&
          sqlite3_step(statement) == SQLITE_ROW) {
        count = sqlite3_column_int(statement, 0);
      }
      sqlite3_finalize(statement);
    }
    sqlite3_close(handle);
    return count;
  };
  for (int i = 0; i < 1200 && stored_cases() < 1; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_GE(stored_cases(), 1) << hild.Log();
  hild.Signal(SIGKILL);
  const int before = stored_cases();
  ASSERT_LT(before, 3) << "killed too late to test anything";

  Hild again(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(again.Start());
  const json jobs = again.WaitForAll(300s);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["state"], "done") << jobs.dump(1);
  EXPECT_EQ(jobs[0]["attempts"], 2) << "queued again after the restart";
  EXPECT_NE(jobs[0]["message"].get<std::string>().find("interrupted"), std::string::npos)
      << jobs.dump(1);
  // The first attempt's finished cases are still there, next to the second
  // attempt's complete run.
  EXPECT_EQ(stored_cases(), before + 3);
  EXPECT_NE(again.Log().find("1 interrupted job(s) queued again"), std::string::npos)
      << again.Log();
}

// A jobs.db of schema version 1 (before jobs asked for a kind of bench)
// is migrated at start: its queued job still goes to the bench it was
// given, and runs.
TEST(Daemon, AVersionOneQueueIsMigratedAndItsQueuedJobRuns) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml")) << "benches:\n  - {name: virtual-a}\n"
                                                 "  - {name: virtual-b}\nstate_dir: state\n";
  std::filesystem::create_directories(scratch.File("state"));
  WritePlan(scratch.File("old.yaml"), "old", 1);
  std::ifstream in(scratch.File("old.yaml"));
  const std::string plan((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(scratch.File("state/jobs.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                         "INSERT INTO schema_version VALUES (1);"
                         "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, bench TEXT NOT "
                         "NULL, plan_name TEXT NOT NULL, plan_path TEXT NOT NULL, plan_text TEXT "
                         "NOT NULL, base_dir TEXT NOT NULL, out_dir TEXT NOT NULL, state TEXT NOT "
                         "NULL, exit_code INTEGER NOT NULL DEFAULT -1, attempts INTEGER NOT NULL "
                         "DEFAULT 0, message TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL "
                         "DEFAULT '', submitted TEXT NOT NULL, started TEXT NOT NULL DEFAULT '', "
                         "finished TEXT NOT NULL DEFAULT '');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO jobs (bench, plan_name, plan_path, plan_text, "
                               "base_dir, out_dir, state, submitted) VALUES ('virtual-b', 'old', "
                               "?, ?, ?, ?, 'queued', '2026-11-01T00:00:00.000Z')",
                               -1, &insert, nullptr),
            SQLITE_OK);
  const std::string path = scratch.File("old.yaml"), base = scratch.File("");
  const std::string out = scratch.File("state/jobs/1");
  sqlite3_bind_text(insert, 1, path.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert, 2, plan.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert, 3, base.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert, 4, out.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
  sqlite3_finalize(insert);
  sqlite3_close(db);

  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const json jobs = hild.WaitForAll(120s);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["state"], "done") << jobs.dump(1);
  EXPECT_EQ(jobs[0]["bench"], "virtual-b") << "the bench it was given before the migration";
  EXPECT_EQ(jobs[0]["needs"]["bench"], "virtual-b");
}

// A real bench is checked before each job; a missing part fails the job,
// exit 3, saying which part and why.
TEST(Daemon, RealBenchCheckedBeforeEachJob) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n"
         "  - name: lab\n    kind: real\n    board: nucleo-l496zg\n"
         "    uart: serial:/dev/ttyACM7@115200\n"
         "    debug: {serial: HIL0000NOSUCHPROBE}\n"
         "    probe: {kind: ppk2, connect: 'serial:/dev/ttyACM8'}\n"
         "state_dir: state\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  std::ofstream(scratch.File("lab.yaml"))
      << "plan: lab\nbench: {kind: real}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
         "matrix: {boards: [nucleo-l496zg]}\n";
  const CliRun run = RunHil("submit " + scratch.File("lab.yaml") +
                            " --wait --daemon unix:" + scratch.File("state/hild.sock"));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("bench lab is not ready (debug probe, DUT UART, power monitor)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("is the probe with serial HIL0000NOSUCHPROBE plugged in?"),
            std::string::npos)
      << run.output;
}

}  // namespace
}  // namespace hil::testing
