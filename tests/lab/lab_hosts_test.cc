// A lab of three hosts on one machine: three hild processes, two virtual
// benches each, one PostgreSQL database. Thirty jobs go in through
// different hilds; one hild is killed with SIGKILL in the middle of a job
// and never comes back. Every job still ends done, exactly once: the dead
// host's job goes back to the queue when its lease runs out and finishes on
// another host, the cases it had finished stay in the store, and no
// completed attempt has a case twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "cli_runner.h"
#include "hil/lab/pg_connection.h"
#include "hild_process.h"
#include "lab_database.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A short lease keeps the tests short; long enough that a busy machine
// (sanitizers, six QEMUs on two cores) never misses one by accident.
void WriteBenchFile(const ScratchFolder& scratch, const std::string& host,
                    const std::string& conninfo, int lease_s = 6) {
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n"
      << "  - {name: " << host << "-1}\n"
      << "  - {name: " << host << "-2, tags: [rack-" << host << "]}\n"
      << "state_dir: state\n"
      << "lab: {store: \"" << conninfo << "\", host: " << host << ", lease_s: " << lease_s << "}\n";
}

// Three cases, one per emulated board: a job long enough to be killed in.
void WritePlan(const std::string& path, const std::string& name) {
  std::ofstream(path) << "plan: " << name
                      << "\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
                         "matrix: {boards: [mps2-an386, mps2-an500, mps3-an547]}\n"
                         "measurement: {warmup: 0, runs: 2}\n";
}

// One row of one column, as text; empty when there is none.
std::string Query(lab::PgConnection& db, const std::string& sql) {
  Result<lab::PgRows> rows = db.Run(sql, {}, "test query");
  EXPECT_TRUE(rows.ok()) << rows.error().ToString();
  return rows.ok() && rows->size() > 0 ? rows->Text(0, 0) : "";
}

TEST(LabHosts, ThirtyJobsOnThreeHostsSurviveOneKilledForGood) {
  const std::string conninfo = FreshDatabase();
  ASSERT_FALSE(conninfo.empty());
  Result<std::unique_ptr<lab::PgConnection>> opened = lab::PgConnection::Open({conninfo, ""});
  ASSERT_TRUE(opened.ok());
  lab::PgConnection& db = **opened;

  const std::vector<std::string> names = {"host-a", "host-b", "host-c"};
  std::vector<std::unique_ptr<ScratchFolder>> folders;
  std::vector<std::unique_ptr<Hild>> hosts;
  for (const std::string& name : names) {
    folders.push_back(std::make_unique<ScratchFolder>(name));
    WriteBenchFile(*folders.back(), name, conninfo);
    hosts.push_back(std::make_unique<Hild>(*folders.back(), folders.back()->File("benches.yaml")));
    ASSERT_NO_FATAL_FAILURE(hosts.back()->Start());
  }
  Hild& a = *hosts[0];
  Hild& b = *hosts[1];

  for (int i = 0; i < 30; ++i) {
    const std::string path = folders[i % 3]->File("plan" + std::to_string(i) + ".yaml");
    WritePlan(path, "nightly" + std::to_string(i));
    ASSERT_GT(hosts[i % 3]->Submit(path), 0) << hosts[i % 3]->Log();
  }

  // Kill host-b once one of its jobs has stored a case but not all three.
  std::string victim;
  const auto deadline = std::chrono::steady_clock::now() + 300s;
  while (victim.empty() && std::chrono::steady_clock::now() < deadline) {
    victim = Query(db,
                   "SELECT r.job FROM runs r JOIN cases c ON c.run_id = r.id WHERE r.host = "
                   "'host-b' AND r.status = 'running' GROUP BY r.job HAVING count(*) BETWEEN 1 "
                   "AND 2 LIMIT 1");
    if (victim.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(victim.empty()) << "host-b never had a job half done\n" << b.Log();
  b.Signal(SIGKILL);
  const std::string kept_cases =
      Query(db,
            "SELECT count(*) FROM cases c JOIN runs r ON c.run_id = r.id WHERE r.host = 'host-b' "
            "AND r.job = " +
                victim + " AND r.status = 'running'");
  ASSERT_FALSE(kept_cases.empty());
  // Both of host-b's benches may have been mid-job.
  std::set<int64_t> interrupted;
  {
    Result<lab::PgRows> rows =
        db.Run("SELECT id FROM jobs WHERE host = 'host-b' AND state = 'running'", {}, "test");
    ASSERT_TRUE(rows.ok());
    for (int i = 0; i < rows->size(); ++i) interrupted.insert(rows->Integer(i, 0));
  }
  ASSERT_TRUE(interrupted.count(std::stoll(victim))) << "the job the kill interrupted";

  const json jobs = a.WaitForAll(420s);
  ASSERT_EQ(jobs.size(), 30u) << jobs.dump(1);
  std::set<std::string> hosts_that_ran;
  for (const json& job : jobs) {
    SCOPED_TRACE(job.dump());
    EXPECT_EQ(job["state"], "done");
    EXPECT_EQ(job["exit_code"], 0);
    hosts_that_ran.insert(job["host"].get<std::string>());
    if (interrupted.count(job["id"].get<int64_t>())) {
      EXPECT_EQ(job["attempts"], 2) << "queued again once host-b's lease ran out";
      EXPECT_NE(job["host"], "host-b");
      EXPECT_NE(
          job["message"].get<std::string>().find("host host-b was not heard of within its lease"),
          std::string::npos);
    }
  }
  EXPECT_TRUE(hosts_that_ran.count("host-a") && hosts_that_ran.count("host-c"));

  // The store: every job has exactly one finished run, of three cases.
  EXPECT_EQ(Query(db, "SELECT count(DISTINCT job) FROM runs WHERE status = 'finished'"), "30");
  EXPECT_EQ(Query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "30");
  EXPECT_EQ(Query(db,
                  "SELECT count(*) FROM (SELECT r.id FROM runs r JOIN cases c ON c.run_id = "
                  "r.id WHERE r.status = 'finished' GROUP BY r.id HAVING count(*) <> 3) odd"),
            "0");
  EXPECT_EQ(Query(db,
                  "SELECT count(*) FROM (SELECT run_id, case_id FROM cases GROUP BY run_id, "
                  "case_id HAVING count(*) > 1) twice"),
            "0");
  // The interrupted attempt's finished cases are still there.
  EXPECT_EQ(Query(db,
                  "SELECT count(*) FROM cases c JOIN runs r ON c.run_id = r.id WHERE r.host "
                  "= 'host-b' AND r.job = " +
                      victim + " AND r.status = 'running'"),
            kept_cases);
  EXPECT_GE(std::stoi(kept_cases), 1);

  // Any hild shows the whole lab; host-b's benches are offline. (Each
  // host publishes a change of state at once; allow for the last one.)
  std::this_thread::sleep_for(500ms);
  const json health = hosts[2]->Get("/health");
  ASSERT_TRUE(health["lab"]["benches"].is_array()) << health.dump();
  EXPECT_EQ(health["lab"]["benches"].size(), 6u);
  for (const json& bench : health["lab"]["benches"]) {
    EXPECT_EQ(bench["state"], bench["host"] == "host-b" ? "offline" : "idle") << bench.dump();
  }
  EXPECT_EQ(health["lab"]["uploads_owed"], 0);
  EXPECT_NE(
      (a.Log() + hosts[2]->Log()).find("of hosts not heard of within their lease queued again"),
      std::string::npos)
      << a.Log();

  // Routing by tag across hosts: submitted to host-a, asking for a tag
  // only host-c's second bench has; --wait follows it to its end.
  WritePlan(folders[0]->File("tagged.yaml"), "tagged");
  const CliRun tagged =
      RunHil("submit " + folders[0]->File("tagged.yaml") +
             " --tag rack-host-c --wait --daemon unix:" + folders[0]->File("state/hild.sock"));
  EXPECT_EQ(tagged.exit_code, 0) << tagged.output;
  EXPECT_NE(tagged.output.find("queued for a virtual bench, tag rack-host-c"), std::string::npos)
      << tagged.output;
  const json newest = a.Get("/jobs")["jobs"].back();
  EXPECT_EQ(newest["plan"], "tagged");
  EXPECT_EQ(newest["host"], "host-c");
  EXPECT_EQ(newest["bench"], "host-c-2");
  const CliRun nowhere =
      RunHil("submit " + folders[0]->File("tagged.yaml") +
             " --tag rack-host-z --daemon unix:" + folders[0]->File("state/hild.sock"));
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.output;
  EXPECT_NE(nowhere.output.find("no bench in the lab is a virtual bench, tag rack-host-z"),
            std::string::npos)
      << nowhere.output;

  // One history: hil report and hil compare read the lab's store, every
  // host's runs in it.
  const std::string store = " --store '" + conninfo + "'";
  const CliRun list = RunHil("report" + store + " --list");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  for (const char* host : {"host-a", "host-b", "host-c"})
    EXPECT_NE(list.output.find(host), std::string::npos) << host << "\n" << list.output;
  const CliRun trends =
      RunHil("report" + store + " --history 10 --plan nightly3 --to " + folders[0]->File("trends"));
  EXPECT_EQ(trends.exit_code, 0) << trends.output;
  std::ifstream page(folders[0]->File("trends/trends.html"));
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("Trends of plan nightly3"), std::string::npos);
  EXPECT_NE(html.find("<h2>conv/"), std::string::npos) << "a chart per case";
  const std::string first = Query(db, "SELECT min(id) FROM runs WHERE status = 'finished'");
  const std::string last = Query(db, "SELECT max(id) FROM runs WHERE status = 'finished'");
  const CliRun compare = RunHil("compare " + first + " " + last + store);
  EXPECT_EQ(compare.exit_code, 2) << compare.output;
  EXPECT_NE(compare.output.find("different plans"), std::string::npos) << compare.output;
}

}  // namespace
}  // namespace hil::testing

namespace hil::testing {
namespace {

// A lab bench file's mistakes are all named at start, with their places;
// a password in the connection string is one of them (it would show in ps
// and logs), and is not repeated in the message.
TEST(LabHosts, ALabBenchFileNamesEveryMistake) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n  - {name: m4, tags: [rack 2]}\nstate_dir: state\n"
      << "lab: {store: \"postgresql://hil:hunter22@db.lab/hil\", lease_s: 1, hots: x}\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Spawn());
  const int status = hild.Wait(30s);
  ASSERT_TRUE(WIFEXITED(status)) << hild.Log();
  EXPECT_EQ(WEXITSTATUS(status), 2) << hild.Log();
  for (const char* says :
       {"benches.yaml:2:22: tag 'rack 2': a tag is 1 to 64 letters, digits",
        "benches.yaml:4:66: unknown key 'hots' in lab; did you mean 'host'?",
        "benches.yaml:4:14: store: the connection string carries a password; put it in a file "
        "named by password_file",
        "benches.yaml:4:63: lab.lease_s must be a whole number from 3 to 3600, not '1'"}) {
    EXPECT_NE(hild.Log().find(says), std::string::npos) << says << " in:\n" << hild.Log();
  }
  EXPECT_EQ(hild.Log().find("hunter22"), std::string::npos) << hild.Log();
}

// The database goes away in the middle of a job and comes back after more
// than a lease. hild keeps running its case, stops the job after it (the
// lab has taken the job back by then), owes the uploads, and once the
// database is back uploads every case it finished and runs the job again.
TEST(LabHosts, TheDatabaseGoingAwayLosesNoFinishedCase) {
  const std::string conninfo = FreshDatabase();
  ASSERT_FALSE(conninfo.empty());
  ScratchFolder scratch;
  WriteBenchFile(scratch, "host-a", conninfo, 3);
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  std::ofstream(scratch.File("long.yaml"))
      << "plan: long\nnetworks:\n  conv: {workload: mb-conv3x3}\n"
         "matrix: {boards: [mps2-an386, mps2-an500, mps3-an547]}\n"
         "measurement: {warmup: 0, runs: 40}\n";
  const int64_t id = hild.Submit(scratch.File("long.yaml"));
  ASSERT_GT(id, 0);
  Result<std::unique_ptr<lab::PgConnection>> opened = lab::PgConnection::Open({conninfo, ""});
  ASSERT_TRUE(opened.ok());
  for (int i = 0; i < 2400 && Query(**opened, "SELECT count(*) FROM cases") != "1"; ++i)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(Query(**opened, "SELECT count(*) FROM cases"), "1") << hild.Log();
  opened->reset();

  // Away: no new connections, and hild's are cut.
  ASSERT_TRUE(SetDatabaseReachable(conninfo, false).ok());
  std::this_thread::sleep_for(8s);  // more than the 3 s lease
  const json away = hild.Get("/health");
  EXPECT_EQ(away["status"], "ok") << "hild answers while the store is away";
  EXPECT_EQ(away["lab"]["reachable"], false) << away.dump();
  ASSERT_TRUE(SetDatabaseReachable(conninfo, true).ok());

  const json jobs = hild.WaitForAll(300s);
  ASSERT_EQ(jobs.size(), 1u) << hild.Log();
  EXPECT_EQ(jobs[0]["state"], "done") << jobs.dump(1) << hild.Log();
  EXPECT_EQ(jobs[0]["attempts"], 2) << "the lab took the job back while its host was cut off";
  EXPECT_NE(hild.Log().find("not uploaded yet"), std::string::npos) << hild.Log();
  // Every case the first attempt finished, cut off or not, is in the store.
  Result<std::unique_ptr<lab::PgConnection>> back = lab::PgConnection::Open({conninfo, ""});
  ASSERT_TRUE(back.ok());
  // The store mirrors the job's results.db: the same runs, as far as each
  // got (attempt 1 may have finished its cases while cut off: its end was
  // still not the job's), and the same cases.
  sqlite3* local = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(scratch.File("state/jobs/" + std::to_string(id) + "/results.db").c_str(),
                      &local, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  const auto local_count = [local](const char* sql) {
    sqlite3_stmt* count = nullptr;
    int n = -1;
    if (sqlite3_prepare_v2(local, sql, -1, &count, nullptr) == SQLITE_OK &&
        sqlite3_step(count) == SQLITE_ROW) {
      n = sqlite3_column_int(count, 0);
    }
    sqlite3_finalize(count);
    return std::to_string(n);
  };
  const std::string local_runs = local_count("SELECT count(*) FROM runs");
  const std::string local_finished =
      local_count("SELECT count(*) FROM runs WHERE status = 'finished'");
  const std::string local_cases = local_count("SELECT count(*) FROM cases");
  sqlite3_close(local);
  EXPECT_EQ(local_runs, "2") << "one run per attempt";
  EXPECT_GT(std::stoi(local_cases), 3) << "both attempts' cases, locally";
  EXPECT_EQ(Query(**back, "SELECT count(*) FROM runs"), local_runs);
  EXPECT_EQ(Query(**back, "SELECT count(*) FROM runs WHERE status = 'finished'"), local_finished);
  EXPECT_EQ(Query(**back, "SELECT count(*) FROM cases"), local_cases);
  EXPECT_EQ(hild.Get("/health")["lab"]["uploads_owed"], 0);
}

// A lab whose database cannot be reached: hild says which and exits 3.
TEST(LabHosts, AnUnreachableStoreStopsHildWithItsName) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n  - {name: m4}\nstate_dir: state\n"
      << "lab: {store: \"host=/nonexistent-hil-db dbname=hil\", host: bench-7}\n";
  Hild hild(scratch, scratch.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Spawn());
  const int status = hild.Wait(60s);
  ASSERT_TRUE(WIFEXITED(status)) << hild.Log();
  EXPECT_EQ(WEXITSTATUS(status), 3) << hild.Log();
  EXPECT_NE(hild.Log().find("cannot reach the lab store host=/nonexistent-hil-db dbname=hil"),
            std::string::npos)
      << hild.Log();
}

}  // namespace
}  // namespace hil::testing
