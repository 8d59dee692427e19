// hild against the clients and the states an outside review tried: bodies
// that crash or stall a naive daemon, plans that reach for files outside
// their roots, a symlinked results.json, a second daemon on the same state
// folder, a job hild dies during, and a results.db that is not one. Each
// test is the review's reproduction; each failed on the main of its day.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>

#include "hild_process.h"

namespace hil::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kTinyPlan[] =
    "plan: tiny\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
    "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 2}\n";

httplib::Result Post(const Hild& hild, const json& body) {
  return hild.Client().Post("/jobs", body.dump(), "application/json");
}

// Every error is JSON with an exit code of one of the four classes.
void ExpectJsonError(const httplib::Result& result, int status, int exit_code,
                     const std::string& says) {
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, status) << result->body;
  const json body = json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << "not JSON: '" << result->body << "'";
  EXPECT_EQ(body.value("exit_code", -1), exit_code) << result->body;
  EXPECT_NE(body.value("error", "").find(says), std::string::npos) << result->body;
}

class DaemonSecurity : public ::testing::Test {
 protected:
  void WriteBenchFile(const std::string& extra) {
    std::ofstream(scratch_.File("benches.yaml"))
        << "benches:\n  - {name: virtual-a}\nstate_dir: state\n"
        << extra;
  }
  ScratchFolder scratch_;
};

// The review's crash: "plan_path": "" reached fs::absolute in the job and
// threw, and every restart ran the job again. Now it is refused up front,
// and hild answers the next request.
TEST_F(DaemonSecurity, AnEmptyPlanPathIsRefusedAndHildLivesOn) {
  WriteBenchFile("");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  // What hild creates is its user's alone; the socket is widened to the
  // group only after it exists.
  struct stat info {};
  ASSERT_EQ(::stat(scratch_.File("state/jobs.db").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u) << "jobs.db is readable by others";
  ASSERT_EQ(::stat(scratch_.File("state/hild.lock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);
  ExpectJsonError(Post(hild, {{"plan", kTinyPlan}, {"plan_path", ""}}), 400, 2, "plan_path");
  ExpectJsonError(Post(hild, {{"plan", kTinyPlan}, {"plan_path", 5}}), 400, 2, "expected JSON");
  ExpectJsonError(Post(hild, {{"plan", kTinyPlan}, {"base_dir", "relative/dir"}}), 400, 2,
                  "base_dir must be an absolute folder");
  EXPECT_EQ(hild.Get("/health")["status"], "ok");
  EXPECT_TRUE(hild.Get("/jobs")["jobs"].empty()) << "a refused request stores no job";
}

// A results.db whose schema version is not a number threw std::stoi's
// exception in the job and took hild down; now the job fails, exit 2, and
// hild runs the next one.
TEST_F(DaemonSecurity, AResultsDbThatIsNotOneFailsTheJobNotHild) {
  WriteBenchFile("");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  fs::create_directories(scratch_ / "state/bad");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(scratch_.File("state/bad/results.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                           "INSERT INTO meta VALUES('schema_version', 'not a number');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  httplib::Result bad = Post(hild, {{"plan", kTinyPlan}, {"plan_path", "p.yaml"}, {"out", "bad"}});
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->status, 201) << bad->body;
  httplib::Result good = Post(hild, {{"plan", kTinyPlan}, {"plan_path", "p.yaml"}});
  ASSERT_TRUE(good);
  ASSERT_EQ(good->status, 201) << good->body;
  const json jobs = hild.WaitForAll(300s);
  ASSERT_EQ(jobs.size(), 2u) << jobs.dump(1);
  EXPECT_EQ(jobs[0]["state"], "failed") << jobs.dump(1);
  EXPECT_EQ(jobs[0]["exit_code"], 2);
  EXPECT_NE(jobs[0]["message"].get<std::string>().find("not a hil results database"),
            std::string::npos)
      << jobs.dump(1);
  EXPECT_EQ(jobs[1]["state"], "done") << jobs.dump(1);
  EXPECT_EQ(hild.Signal(SIGTERM), 0) << hild.Log();
}

// A job hild died during is run again at most limits.max_attempts times;
// after that it fails with the cause, and hild starts normally.
TEST_F(DaemonSecurity, AJobHildDiesDuringFailsAfterMaxAttempts) {
  WriteBenchFile("limits: {max_attempts: 1}\n");
  std::ofstream(scratch_.File("three.yaml"))
      << "plan: three\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
         "matrix: {boards: [mps2-an386, mps2-an500, mps3-an547]}\n"
         "measurement: {warmup: 0, runs: 2}\n";
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const int64_t id = hild.Submit(scratch_.File("three.yaml"));
  ASSERT_GT(id, 0);
  for (int i = 0; i < 600 && hild.Get("/jobs/" + std::to_string(id))["state"] != "running"; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  hild.Signal(SIGKILL);  // as if the job had crashed it
  Hild again(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(again.Start());
  const json job = again.Get("/jobs/" + std::to_string(id));
  EXPECT_EQ(job["state"], "failed") << job.dump(1);
  EXPECT_EQ(job["exit_code"], 3);
  EXPECT_EQ(job["attempts"], 1);
  EXPECT_NE(job["message"].get<std::string>().find("hild stopped during each of its 1 attempts"),
            std::string::npos)
      << job.dump(1);
  EXPECT_NE(again.Log().find("1 job(s) failed"), std::string::npos) << again.Log();
}

// Outputs go inside the state folder: anything else is refused before a
// job is stored.
TEST_F(DaemonSecurity, OutputsOutsideTheStateFolderAreRefused) {
  WriteBenchFile("");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  for (const std::string& out :
       {scratch_.File("elsewhere"), std::string("../escape"), std::string("a/../../escape"),
        std::string("/tmp"), std::string("jobs.db")}) {
    SCOPED_TRACE(out);
    ExpectJsonError(Post(hild, {{"plan", kTinyPlan}, {"plan_path", "p.yaml"}, {"out", out}}), 400,
                    2, "out '");
  }
  EXPECT_FALSE(fs::exists(scratch_ / "elsewhere"));
  EXPECT_FALSE(fs::exists(scratch_ / "escape"));
  EXPECT_TRUE(hild.Get("/jobs")["jobs"].empty()) << "nothing stored for a refused request";
  httplib::Result inside =
      Post(hild, {{"plan", kTinyPlan}, {"plan_path", "p.yaml"}, {"out", "nightly/42"}});
  ASSERT_TRUE(inside);
  EXPECT_EQ(inside->status, 201) << inside->body;
  EXPECT_EQ(json::parse(inside->body)["out"], scratch_.File("state/nightly/42"));
}

// Files a plan names must lie inside the bench file's roots, after links
// are resolved; the refusal is the same for a file that exists and one
// that does not.
TEST_F(DaemonSecurity, PlansReadOnlyInsideTheRootsAndTheErrorTellsNothing) {
  fs::create_directories(scratch_ / "root");
  fs::create_directories(scratch_ / "outside");
  fs::copy_file(std::string(HIL_SHARED_DIR) + "/models/ad01_int8.tflite",
                scratch_ / "outside/secret.tflite");
  fs::create_symlink(scratch_ / "outside/secret.tflite", scratch_ / "root/link.tflite");
  fs::copy_file(std::string(HIL_SHARED_DIR) + "/models/ad01_int8.tflite",
                scratch_ / "root/ad.tflite");
  WriteBenchFile("roots: [root]\n");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  const auto plan_with = [](const std::string& model) {
    return "plan: files\nnetworks:\n  ad: {model: '" + model +
           "'}\nmatrix: {boards: [mps2-an386]}\n";
  };
  const auto refusal = [&](const std::string& model, const std::string& base_dir) {
    httplib::Result result =
        Post(hild, {{"plan", plan_with(model)}, {"plan_path", "p.yaml"}, {"base_dir", base_dir}});
    EXPECT_TRUE(result && result->status == 400) << (result ? result->body : "no reply");
    std::string error = result ? json::parse(result->body, nullptr, false).value("error", "") : "";
    // The same words for every case but the file's own name.
    const size_t quote = error.find("' is outside");
    return quote == std::string::npos ? error : error.substr(quote);
  };
  const std::string root = scratch_.File("root");
  const std::string exists = refusal(scratch_.File("outside/secret.tflite"), root);
  EXPECT_NE(exists.find("is outside the folders this daemon reads"), std::string::npos) << exists;
  EXPECT_EQ(refusal(scratch_.File("outside/missing.tflite"), root), exists);
  EXPECT_EQ(refusal("../outside/secret.tflite", root), exists);
  EXPECT_EQ(refusal("link.tflite", root), exists) << "a link inside a root leads outside";
  EXPECT_EQ(refusal("ad.tflite", scratch_.File("outside")), exists) << "base_dir outside the roots";
  EXPECT_EQ(refusal("/etc/passwd", root), exists);
  // Inside the root, the model is read.
  httplib::Result ok =
      Post(hild, {{"plan", plan_with("ad.tflite")}, {"plan_path", "p.yaml"}, {"base_dir", root}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;
}

// GET /jobs answers the newest limits.jobs_listed jobs, oldest first,
// however many a lab has run; hild holds the events of at most
// limits.finished_event_logs finished jobs.
TEST_F(DaemonSecurity, TheJobListIsBounded) {
  WriteBenchFile("limits: {jobs_listed: 2, finished_event_logs: 1}\n");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  for (int i = 0; i < 3; ++i) {
    httplib::Result posted = Post(hild, {{"plan", kTinyPlan}, {"plan_path", "p.yaml"}});
    ASSERT_TRUE(posted && posted->status == 201);
  }
  const json jobs = hild.Get("/jobs")["jobs"];
  ASSERT_EQ(jobs.size(), 2u) << jobs.dump(1);
  // The events of finished jobs are pruned to limits.finished_event_logs.
  hild.WaitForAll(300s);
  EXPECT_LE(hild.Get("/health")["event_streams"]["jobs_in_memory"].get<int>(), 1)
      << hild.Get("/health").dump();
  httplib::Result ended = hild.Client().Get("/jobs/1/events");
  ASSERT_TRUE(ended);
  EXPECT_NE(ended->body.find("\"finished\""), std::string::npos) << "a pruned job still ends";
  EXPECT_LE(hild.Get("/health")["event_streams"]["jobs_in_memory"].get<int>(), 1)
      << "following an ended job keeps nothing";
  EXPECT_EQ(jobs[0]["id"], 2);
  EXPECT_EQ(jobs[1]["id"], 3);
  EXPECT_EQ(hild.Get("/jobs/1")["id"], 1) << "an older job is still there by its id";
}

// hil submit and hil jobs read a reply they did not expect (another
// version's, a proxy's) as an infrastructure error; they aborted on it.
TEST_F(DaemonSecurity, TheCliSurvivesRepliesItDidNotExpect) {
  httplib::Server odd;
  odd.set_address_family(AF_UNIX);
  odd.Post("/jobs", [](const httplib::Request&, httplib::Response& response) {
    response.status = 201;
    response.set_content("{\"job\": \"seven\"}", "application/json");
  });
  odd.Get("/jobs", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{\"jobs\": [{\"id\": \"x\"}, 5]}", "application/json");
  });
  const std::string socket = scratch_.File("odd.sock");
  ASSERT_TRUE(odd.bind_to_port(socket, 80));
  std::thread serving([&odd] { odd.listen_after_bind(); });
  std::ofstream(scratch_.File("tiny.yaml")) << kTinyPlan;
  const CliRun submit = RunHil("submit " + scratch_.File("tiny.yaml") + " --daemon unix:" + socket);
  const CliRun jobs = RunHil("jobs --daemon unix:" + socket);
  odd.stop();
  serving.join();
  EXPECT_EQ(submit.exit_code, 3) << submit.output;
  EXPECT_NE(submit.output.find("has no job id"), std::string::npos) << submit.output;
  EXPECT_EQ(jobs.exit_code, 0) << "odd entries print with defaults: " << jobs.output;
}

// Every field of hild's replies may come with another type: the event
// stream, the job, a cancel and an error reply. Each aborted hil with a
// type_error before; now they print with defaults and exit as documented.
TEST_F(DaemonSecurity, TheCliSurvivesFieldsOfAnotherType) {
  httplib::Server odd;
  odd.set_address_family(AF_UNIX);
  odd.Post("/jobs", [](const httplib::Request&, httplib::Response& response) {
    response.status = 201;
    response.set_content("{\"id\": 7, \"bench\": 5, \"out\": null}", "application/json");
  });
  odd.Get("/jobs/7/events", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(
        "data: {\"event\": \"started\", \"bench\": 3, \"attempt\": \"one\"}\n\n"
        "data: {\"event\": \"progress\", \"case\": \"x\", \"cases\": -1, "
        "\"elapsed_s\": \"z\", \"left_s\": 1e400, \"case_done\": \"yes\"}\n\n"
        "data: {\"event\": 4}\n\n"
        "data: {\"event\": \"finished\", \"exit_code\": \"0\"}\n\n",
        "text/event-stream");
  });
  odd.Get("/jobs/7", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{\"state\": 1, \"summary\": [5], \"message\": {}}", "application/json");
  });
  odd.Post("/jobs/7/cancel", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{\"state\": [\"x\"]}", "application/json");
  });
  odd.Post("/jobs/8/cancel", [](const httplib::Request&, httplib::Response& response) {
    response.status = 409;
    response.set_content("{\"error\": 5, \"exit_code\": \"2\"}", "application/json");
  });
  const std::string socket = scratch_.File("odd.sock");
  ASSERT_TRUE(odd.bind_to_port(socket, 80));
  std::thread serving([&odd] { odd.listen_after_bind(); });
  std::ofstream(scratch_.File("tiny.yaml")) << kTinyPlan;
  const std::string daemon = " --daemon unix:" + socket;
  const CliRun submit = RunHil("submit --wait " + scratch_.File("tiny.yaml") + daemon);
  const CliRun cancelled = RunHil("cancel 7" + daemon);
  const CliRun refused = RunHil("cancel 8" + daemon);
  odd.stop();
  serving.join();
  EXPECT_EQ(submit.exit_code, 3) << "an exit code that is not a number is hild's fault: "
                                 << submit.output;
  EXPECT_NE(submit.output.find("job 7 started"), std::string::npos) << submit.output;
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.output;
  EXPECT_NE(cancelled.output.find("job 7: [\"x\"]"), std::string::npos) << cancelled.output;
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_NE(refused.output.find("5"), std::string::npos)
      << "the error as hild gave it: " << refused.output;
}

// A bench file without roots lets plans name no file at all.
TEST_F(DaemonSecurity, WithoutRootsAPlanMayNameNoFile) {
  WriteBenchFile("");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  ExpectJsonError(
      Post(hild, {{"plan", "plan: f\nnetworks:\n  ad: {model: '" + std::string(HIL_SHARED_DIR) +
                               "/models/ad01_int8.tflite'}\n"
                               "matrix: {boards: [mps2-an386]}\n"},
                  {"plan_path", "p.yaml"}}),
      400, 2, "its bench file names no roots");
}

// results.json is served without following a link: a job's outputs made to
// point at another file return nothing of it.
TEST_F(DaemonSecurity, ResultsAreServedWithoutFollowingLinks) {
  WriteBenchFile("");
  std::ofstream(scratch_.File("secret")) << "the secret contents";
  fs::permissions(scratch_ / "secret", fs::perms::owner_read | fs::perms::owner_write);
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  std::ofstream(scratch_.File("tiny.yaml")) << kTinyPlan;
  const int64_t id = hild.Submit(scratch_.File("tiny.yaml"));
  ASSERT_GT(id, 0);
  hild.WaitForAll(300s);
  const std::string path = "/jobs/" + std::to_string(id) + "/results";
  ASSERT_TRUE(hild.Get(path).contains("cases")) << "the real results are served";
  const fs::path results = scratch_ / ("state/jobs/" + std::to_string(id) + "/results.json");
  fs::remove(results);
  fs::create_symlink(scratch_ / "secret", results);
  httplib::Result linked = hild.Client().Get(path);
  ExpectJsonError(linked, 404, 2, "no results");
  EXPECT_EQ(linked->body.find("secret contents"), std::string::npos);
  // A linked job folder, too.
  const fs::path folder = scratch_ / ("state/jobs/" + std::to_string(id));
  fs::remove_all(folder);
  fs::create_directories(scratch_ / "decoy");
  std::ofstream(scratch_.File("decoy/results.json")) << "decoy contents";
  fs::create_directory_symlink(scratch_ / "decoy", folder);
  httplib::Result through_folder = hild.Client().Get(path);
  ExpectJsonError(through_folder, 404, 2, "no results");
}

// One hild per state folder: the second exits 3 naming the first one's
// pid, and the first keeps its socket, its port and its jobs.
TEST_F(DaemonSecurity, ASecondHildOnTheSameStateFolderExitsAndLeavesTheFirstAlone) {
  const int port = FreeTcpPort();
  std::ofstream(scratch_.File("token")) << "a-token-of-more-than-16-chars\n";
  WriteBenchFile("tcp: {port: " + std::to_string(port) + ", token_file: token}\n");
  Hild first(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(first.Start());
  Hild second(scratch_, scratch_.File("benches.yaml"));
  second.set_log_name("second.log");
  ASSERT_NO_FATAL_FAILURE(second.Spawn());
  const int status = second.Wait(30s);
  ASSERT_TRUE(WIFEXITED(status)) << second.Log();
  EXPECT_EQ(WEXITSTATUS(status), 3) << second.Log();
  EXPECT_NE(second.Log().find("another hild (pid " + std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second.Log();
  EXPECT_TRUE(fs::exists(scratch_ / "state/hild.sock")) << "the first one's socket is kept";
  EXPECT_EQ(first.Get("/health")["status"], "ok");

  // Another state folder, the same TCP port: refused, not shared.
  std::ofstream(scratch_.File("other.yaml"))
      << "benches:\n  - {name: virtual-b}\nstate_dir: other\ntcp: {port: " << port
      << ", token_file: token}\n";
  Hild third(scratch_, scratch_.File("other.yaml"));
  third.set_log_name("third.log");
  ASSERT_NO_FATAL_FAILURE(third.Spawn());
  const int third_status = third.Wait(30s);
  ASSERT_TRUE(WIFEXITED(third_status)) << third.Log();
  EXPECT_EQ(WEXITSTATUS(third_status), 3) << third.Log();
  EXPECT_NE(third.Log().find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << third.Log();
  EXPECT_EQ(first.Get("/health")["status"], "ok");
}

// A bench file with mistakes in the benches and in hild's own keys: hild
// exits 2 naming every one of them with its line, not only the first.
TEST_F(DaemonSecurity, EveryMistakeOfTheBenchFileIsNamedAtStart) {
  std::ofstream(scratch_.File("benches.yaml"))
      << "benches:\n  - {name: virtual-a, kind: virtaul}\nstate_dir: state\n"
      << "limits: {max_attempt: 2, jobs_listed: 0}\ntcp: {port: 70000}\n";
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Spawn());
  const int status = hild.Wait(30s);
  ASSERT_TRUE(WIFEXITED(status)) << hild.Log();
  EXPECT_EQ(WEXITSTATUS(status), 2) << hild.Log();
  for (const char* says :
       {"benches.yaml:2:29: bench virtual-a.kind is 'virtaul'; it must be one of virtual, real "
        "(did you mean 'virtual'?)",
        "benches.yaml:4:10: unknown key 'max_attempt' in limits; did you mean 'max_attempts'?",
        "benches.yaml:4:39: limits.jobs_listed must be a whole number from 1 to 100000, not '0'",
        "benches.yaml:5:13: tcp.port must be a whole number from 0 to 65535, not '70000'",
        "benches.yaml:5:6: tcp needs token_file"}) {
    EXPECT_NE(hild.Log().find(says), std::string::npos) << says << " in:\n" << hild.Log();
  }
}

// A job's message can quote a device's bytes, which need not be UTF-8:
// the reply replaces them instead of failing as an empty 500.
TEST_F(DaemonSecurity, InvalidUtf8InAJobIsRepliedAsJson) {
  WriteBenchFile("");
  {
    Hild hild(scratch_, scratch_.File("benches.yaml"));
    ASSERT_NO_FATAL_FAILURE(hild.Start());
    ASSERT_EQ(hild.Signal(SIGTERM), 0);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(scratch_.File("state/jobs.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO jobs (bench, plan_name, plan_path, plan_text, base_dir, "
                         "out_dir, state, message, submitted) VALUES ('virtual-a', 'p', 'p.yaml', "
                         "'', '/', '/nowhere', 'failed', 'the DUT said ' || X'FFFE41', 'now')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  for (const char* path : {"/jobs", "/jobs/1", "/jobs/1/events"}) {
    httplib::Result reply = hild.Client().Get(path);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 200) << path << ": " << reply->body;
    EXPECT_NE(reply->body.find("the DUT said \xEF\xBF\xBD"), std::string::npos)
        << path << ": " << reply->body;
  }
}

// Limits: a body over limits.body_bytes is 413 in JSON; event streams
// beyond limits.event_streams are 503 while /health answers; the bearer
// scheme is case-insensitive; a cancel with no body is understood.
TEST_F(DaemonSecurity, LimitsAnswerInJsonAndHealthAlwaysAnswers) {
  const int port = FreeTcpPort();
  std::ofstream(scratch_.File("token")) << "a-token-of-more-than-16-chars\n";
  WriteBenchFile("limits: {body_bytes: 4096, event_streams: 2}\ntcp: {port: " +
                 std::to_string(port) + ", token_file: token}\n");
  Hild hild(scratch_, scratch_.File("benches.yaml"));
  ASSERT_NO_FATAL_FAILURE(hild.Start());
  ExpectJsonError(Post(hild, {{"plan", std::string(10000, '#')}}), 413, 2, "limits.body_bytes");
  ExpectJsonError(hild.Client().Get("/no/such/endpoint"), 404, 2, "no such endpoint");
  ExpectJsonError(hild.Client().Get("/jobs/99999999999999999999999"), 404, 2, "no such job");
  // Two streams held open on a queued job fill the slots.
  std::ofstream(scratch_.File("tiny.yaml")) << kTinyPlan;
  const int64_t id = hild.Submit(scratch_.File("tiny.yaml"));
  ASSERT_GT(id, 0);
  const std::string events = "/jobs/" + std::to_string(id) + "/events";
  std::atomic<int> opened{0};
  std::vector<std::thread> streams;
  for (int i = 0; i < 2; ++i) {
    streams.emplace_back([&] {
      hild.Client().Get(events, [&](const char*, size_t) {
        ++opened;
        return true;
      });
    });
  }
  for (int i = 0; i < 200 && hild.Get("/health")["event_streams"]["open"] != 2; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(hild.Get("/health")["event_streams"]["open"], 2);
  ExpectJsonError(hild.Client().Get(events), 503, 3, "too many event streams");
  EXPECT_EQ(hild.Get("/health")["status"], "ok");

  // TCP: "bearer" in lower case is the same scheme.
  httplib::Client tcp("127.0.0.1", port);
  httplib::Headers lower = {{"Authorization", "bearer a-token-of-more-than-16-chars"}};
  httplib::Result health = tcp.Get("/health", lower);
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;

  // A cancel with an empty body, as API.md's example now sends it (curl -d
  // ''): HTTP/1.1 needs the Content-Length of 0 that `curl -X POST` alone
  // leaves out, and without which the server waits for a body.
  const int fd = ConnectUnixSocket(scratch_.File("state/hild.sock"));
  ASSERT_GE(fd, 0);
  const std::string request = "POST /jobs/" + std::to_string(id) +
                              "/cancel HTTP/1.1\r\nHost: hild\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;) reply.append(buffer, n);
  ::close(fd);
  EXPECT_TRUE(reply.rfind("HTTP/1.1 200", 0) == 0 || reply.rfind("HTTP/1.1 202", 0) == 0) << reply;
  for (std::thread& stream : streams) stream.join();
}

}  // namespace
}  // namespace hil::testing
