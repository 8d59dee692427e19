// The lab's queue on a real PostgreSQL: hosts racing for jobs never take
// one twice, benches take only the jobs they meet, a lease that is not
// renewed gives the job back (and its old holder can no longer end it),
// and the schema refuses a newer version than this hil reads.
#include "hil/lab/pg_job_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "lab_database.h"

namespace hil::lab {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<PgJobQueue> OpenQueue(const std::string& conninfo, const std::string& host,
                                      int lease_s = 30) {
  Result<std::unique_ptr<PgJobQueue>> queue = PgJobQueue::Open({conninfo, ""}, host, lease_s);
  EXPECT_TRUE(queue.ok()) << queue.error().ToString();
  return queue.ok() ? std::move(*queue) : nullptr;
}

Job PlanJob(const std::string& name, JobNeeds needs = {}) {
  Job job;
  job.plan_name = name;
  job.plan_path = name + ".yaml";
  job.plan_text = "plan: " + name + "\n";
  job.base_dir = "/srv/plans";
  job.needs = std::move(needs);
  return job;
}

BenchOffer Bench(const std::string& host, const std::string& name, const std::string& board,
                 std::vector<std::string> tags = {}) {
  return BenchOffer{host, name, "virtual", board, "virtual", std::move(tags)};
}

TEST(LabQueue, HostsRacingForJobsNeverTakeOneTwice) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  std::unique_ptr<PgJobQueue> submitter = OpenQueue(db, "submitter");
  ASSERT_TRUE(submitter);
  constexpr int kJobs = 300;
  for (int i = 0; i < kJobs; ++i)
    ASSERT_TRUE(submitter->Submit(PlanJob("p" + std::to_string(i))).ok());
  // Eight benches on four hosts, each with its own connection, all at once.
  std::mutex mutex;
  std::map<int64_t, int> taken;
  std::vector<std::thread> benches;
  for (int b = 0; b < 8; ++b) {
    benches.emplace_back([&, b] {
      const std::string host = "host" + std::to_string(b / 2);
      std::unique_ptr<PgJobQueue> queue = OpenQueue(db, host);
      if (!queue) return;
      const BenchOffer offer = Bench(host, "bench" + std::to_string(b), "mps2-an386");
      for (;;) {
        Result<std::optional<Job>> job = queue->ClaimNext(offer);
        ASSERT_TRUE(job.ok()) << job.error().ToString();
        if (!*job) return;
        EXPECT_EQ((*job)->state, "running");
        EXPECT_EQ((*job)->host, host);
        EXPECT_TRUE(*queue->Finish(**job, JobEnd{}));
        std::lock_guard<std::mutex> lock(mutex);
        ++taken[(*job)->id];
      }
    });
  }
  for (std::thread& t : benches) t.join();
  ASSERT_EQ(taken.size(), static_cast<size_t>(kJobs));
  for (const auto& [id, times] : taken) EXPECT_EQ(times, 1) << "job " << id;
  Result<std::vector<Job>> jobs = submitter->List(1000);
  ASSERT_TRUE(jobs.ok());
  for (const Job& job : *jobs) {
    EXPECT_EQ(job.state, "done");
    EXPECT_EQ(job.attempts, 1);
  }
}

TEST(LabQueue, ABenchTakesOnlyTheJobsItMeets) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  std::unique_ptr<PgJobQueue> a = OpenQueue(db, "host-a");
  std::unique_ptr<PgJobQueue> b = OpenQueue(db, "host-b");
  ASSERT_TRUE(a && b);
  const BenchOffer m4 = Bench("host-a", "m4", "mps2-an386", {"rack1"});
  const BenchOffer m55 = Bench("host-b", "m55", "mps3-an547", {"rack2", "usb3"});
  // Nobody has said what benches it has yet: nothing meets anything.
  EXPECT_FALSE(*a->AnyBenchMeets({"", "mps3-an547", "", {}}, {}));
  ASSERT_TRUE(a->Heartbeat({{m4, "idle", 0, 0}}).ok());
  ASSERT_TRUE(b->Heartbeat({{m55, "idle", 0, 0}}).ok());
  EXPECT_TRUE(*a->AnyBenchMeets({"", "mps3-an547", "", {"rack2"}}, {}));
  EXPECT_FALSE(*a->AnyBenchMeets({"", "mps3-an547", "", {"rack1"}}, {}));
  EXPECT_FALSE(*a->AnyBenchMeets({"", "", "real", {}}, {}));

  const int64_t wants_rack2 = *a->Submit(PlanJob("r2", {"", "", "virtual", {"rack2"}}));
  const int64_t wants_m4 = *a->Submit(PlanJob("named", {"m4", "", "", {}}));
  const int64_t wants_both_tags = *a->Submit(PlanJob("both", {"", "", "", {"rack2", "usb3"}}));
  const int64_t wants_m7 = *a->Submit(PlanJob("m7", {"", "mps2-an500", "", {}}));
  EXPECT_EQ(*a->QueuedCount(m4), 1);
  EXPECT_EQ(*b->QueuedCount(m55), 2);

  Result<std::optional<Job>> first = a->ClaimNext(m4);
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_EQ((*first)->id, wants_m4) << "the older rack2 job is not m4's";
  EXPECT_EQ((*first)->bench, "m4");
  EXPECT_FALSE(a->ClaimNext(m4)->has_value()) << "nothing else is m4's";
  Result<std::optional<Job>> second = b->ClaimNext(m55);
  ASSERT_TRUE(second.ok() && *second);
  EXPECT_EQ((*second)->id, wants_rack2);
  EXPECT_EQ((*second)->needs.tags, std::vector<std::string>{"rack2"});
  Result<std::optional<Job>> third = b->ClaimNext(m55);
  ASSERT_TRUE(third.ok() && *third);
  EXPECT_EQ((*third)->id, wants_both_tags);
  // The an500 job waits for a bench that has that board.
  EXPECT_FALSE(b->ClaimNext(m55)->has_value());
  EXPECT_EQ((*a->Get(wants_m7))->state, "queued");

  Result<std::vector<LabBench>> benches = a->LabBenches();
  ASSERT_TRUE(benches.ok());
  ASSERT_EQ(benches->size(), 2u);
  EXPECT_EQ((*benches)[1].bench.host, "host-b");
  EXPECT_EQ((*benches)[1].bench.tags, (std::vector<std::string>{"rack2", "usb3"}));
  EXPECT_EQ((*benches)[1].state, "idle");
}

TEST(LabQueue, ALeaseNotRenewedGivesTheJobBackAndItsOldHolderCannotEndIt) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  std::unique_ptr<PgJobQueue> gone = OpenQueue(db, "host-gone", 1);
  std::unique_ptr<PgJobQueue> alive = OpenQueue(db, "host-alive", 1);
  ASSERT_TRUE(gone && alive);
  const BenchOffer bench_gone = Bench("host-gone", "g", "mps2-an386");
  const BenchOffer bench_alive = Bench("host-alive", "a", "mps2-an386");
  const int64_t renewed = *alive->Submit(PlanJob("renewed"));
  const int64_t dropped = *alive->Submit(PlanJob("dropped"));
  Result<std::optional<Job>> kept = alive->ClaimNext(bench_alive);
  ASSERT_TRUE(kept.ok() && *kept && (*kept)->id == renewed);
  Result<std::optional<Job>> lost = gone->ClaimNext(bench_gone);
  ASSERT_TRUE(lost.ok() && *lost && (*lost)->id == dropped);
  // A job host-alive took but no bench of it runs any more (it stopped it
  // when it lost the store): its heartbeat does not hold it.
  const int64_t let_go = *alive->Submit(PlanJob("let-go"));
  ASSERT_TRUE(alive->ClaimNext(bench_alive)->has_value());

  // host-alive beats every 300 ms for 2 s; host-gone says nothing.
  for (int i = 0; i < 7; ++i) {
    Result<std::vector<HeldJob>> held = alive->Heartbeat({{bench_alive, "busy", renewed, 0}});
    ASSERT_TRUE(held.ok());
    ASSERT_EQ(held->size(), 1u);
    EXPECT_EQ(held->front().id, renewed);
    std::this_thread::sleep_for(300ms);
  }
  Result<RequeueCounts> requeued = alive->RequeueExpired(3);
  ASSERT_TRUE(requeued.ok()) << requeued.error().ToString();
  EXPECT_EQ(requeued->queued, 2) << "the jobs whose leases ran out";
  EXPECT_EQ((*alive->Get(renewed))->state, "running");
  EXPECT_EQ((*alive->Get(let_go))->state, "queued");
  const Job back = **alive->Get(dropped);
  EXPECT_EQ(back.state, "queued");
  EXPECT_EQ(back.host, "");
  EXPECT_NE(back.message.find("host host-gone was not heard of within its lease"),
            std::string::npos)
      << back.message;

  // The old holder comes back: its attempt is over, it ends nothing.
  Result<bool> late = gone->Finish(**lost, JobEnd{});
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late);
  EXPECT_TRUE((*gone->Heartbeat({{bench_gone, "busy", dropped, 0}})).empty())
      << "it holds no lease any more";
  // Another host takes it again; attempt 2 ends it, once.
  ASSERT_TRUE(alive->CancelQueued(let_go).ok());
  Result<std::optional<Job>> again = alive->ClaimNext(bench_alive);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ((*again)->id, dropped);
  EXPECT_EQ((*again)->attempts, 2);
  EXPECT_TRUE(*alive->Finish(**again, JobEnd{}));
  EXPECT_FALSE(*alive->Finish(**again, JobEnd{})) << "ended once, not twice";
  EXPECT_EQ((*alive->Get(dropped))->state, "done");
}

TEST(LabQueue, AJobThatOutlivesMaxAttemptsFailsAndACancelReachesItsHost) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  std::unique_ptr<PgJobQueue> crashing = OpenQueue(db, "host-crash", 30);
  std::unique_ptr<PgJobQueue> other = OpenQueue(db, "host-other", 30);
  ASSERT_TRUE(crashing && other);
  const BenchOffer bench = Bench("host-crash", "c", "mps2-an386");
  const int64_t id = *crashing->Submit(PlanJob("killer"));
  // Each restart of host-crash finds its job running and queues it again,
  // until the second attempt: then it fails.
  ASSERT_TRUE(crashing->ClaimNext(bench)->has_value());
  EXPECT_EQ(crashing->RequeueInterrupted(2)->queued, 1);
  ASSERT_TRUE(crashing->ClaimNext(bench)->has_value());
  EXPECT_EQ(crashing->RequeueInterrupted(2)->failed, 1);
  const Job failed = **crashing->Get(id);
  EXPECT_EQ(failed.state, "failed");
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_NE(failed.message.find("during each of its 2 attempts"), std::string::npos)
      << failed.message;

  // A cancel asked through another host reaches the running job's host.
  const int64_t running = *other->Submit(PlanJob("long"));
  Result<std::optional<Job>> taken = crashing->ClaimNext(bench);
  ASSERT_TRUE(taken.ok() && *taken && (*taken)->id == running);
  EXPECT_FALSE(*other->CancelQueued(running)) << "it is running, not queued";
  EXPECT_TRUE(*other->RequestCancel(running));
  Result<std::vector<HeldJob>> held = crashing->Heartbeat({{bench, "busy", running, 0}});
  ASSERT_TRUE(held.ok() && held->size() == 1u);
  EXPECT_TRUE(held->front().cancel);
}

TEST(LabQueue, ANewerSchemaIsRefusedAndAPasswordNeverRidesInTheConnectionString) {
  const std::string db = hil::testing::FreshDatabase();
  ASSERT_FALSE(db.empty());
  {
    std::unique_ptr<PgJobQueue> first = OpenQueue(db, "h");
    ASSERT_TRUE(first);
  }
  Result<std::unique_ptr<PgConnection>> admin = PgConnection::Open({db, ""});
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->Execute("UPDATE hil_schema SET version = 99", "bump").ok());
  Result<std::unique_ptr<PgJobQueue>> refused = PgJobQueue::Open({db, ""}, "h", 30);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(refused.error().message().find("schema version 99"), std::string::npos);

  const Status with_password = CheckConninfo("postgresql://hil:secret@db.lab/hil");
  ASSERT_FALSE(with_password.ok());
  EXPECT_NE(with_password.error().message().find("password_file"), std::string::npos);
  EXPECT_EQ(with_password.error().message().find("secret"), std::string::npos);
  EXPECT_EQ(ShownConninfo("host=db.lab dbname=hil password=secret"), "host=db.lab dbname=hil");
  const Status garbled = CheckConninfo("host=db.lab dbname");
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().kind(), ErrorKind::kConfiguration);
  // Unreachable: an infrastructure error naming the store, not a hang.
  Result<std::unique_ptr<PgConnection>> nowhere =
      PgConnection::Open({"host=/nonexistent-hil-socket dbname=hil", ""}, 2);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(nowhere.error().message().find("/nonexistent-hil-socket"), std::string::npos);
}

}  // namespace
}  // namespace hil::lab
