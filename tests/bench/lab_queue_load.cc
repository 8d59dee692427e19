// The lab's queue under load (hil/daemon/LAB.md): 10,000 jobs taken by 50
// benches in 3 processes (as 3 hilds would), each bench with its own
// connection, on a real PostgreSQL. Prints figures; passes or fails on none.
//
//   lab_queue_load CONNINFO [JOBS] [BENCHES] [PROCESSES]
//
// CONNINFO is a cluster's (tests/lab/postgres_cluster.sh); the benchmark
// makes a database of its own there. Two phases:
//  1. drain: JOBS queued up front, every bench takes and ends jobs as fast
//     as it can: jobs per second, and what one take costs (p50, p99);
//  2. trickle: jobs arrive at 200 per second while every idle bench polls,
//     once every second as an idle hild's bench does, then every 20 ms (50
//     times as often, a stress): how long a job waits from queued to
//     started when a bench is free (p50, p99), and what a take costs with
//     all the benches polling. The goal: under 10 ms at p99.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hil/lab/pg_job_queue.h"

namespace {

using Clock = std::chrono::steady_clock;
using hil::lab::PgJobQueue;

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * (values.size() - 1) + 0.5))];
}

hil::daemon::Job TrivialJob(int i) {
  hil::daemon::Job job;
  job.plan_name = "load" + std::to_string(i);
  job.plan_path = "load.yaml";
  job.plan_text = "plan: load\n";
  job.base_dir = "/";
  return job;
}

// One process: `benches` threads, each a bench with its own connection,
// taking jobs until `stop_file` exists (trickle) or the queue is empty
// (drain). Each take's cost in ms goes to `out`, one per line.
int RunBenches(const std::string& db, int process, int benches, bool drain, int poll_ms,
               const std::string& stop_file, const std::string& out) {
  std::vector<std::vector<double>> costs(benches);
  std::vector<std::thread> threads;
  for (int b = 0; b < benches; ++b) {
    threads.emplace_back([&, b] {
      const std::string host = "host" + std::to_string(process);
      auto queue = PgJobQueue::Open({db, ""}, host, 30);
      if (!queue.ok()) {
        std::fprintf(stderr, "%s\n", queue.error().ToString().c_str());
        return;
      }
      const hil::daemon::BenchOffer offer{
          host, "bench" + std::to_string(b), "virtual", "mps2-an386", "ppk2", {}};
      // A connection's first take prepares the statement on a cold server
      // process: once per hild start, not per take. Untimed.
      if (auto first = (*queue)->ClaimNext(offer); first.ok() && *first) {
        (void)(*queue)->Finish(**first, hil::daemon::JobEnd{});
      }
      std::minstd_rand jitter(static_cast<unsigned>(process * 1000 + b + 1));
      for (int idle = 0;;) {
        const Clock::time_point start = Clock::now();
        auto job = (*queue)->ClaimNext(offer);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (!job.ok()) break;
        costs[b].push_back(ms);
        if (*job) {
          (void)(*queue)->Finish(**job, hil::daemon::JobEnd{});
          continue;
        }
        if (drain && ++idle >= 3) break;
        if (!drain && ::access(stop_file.c_str(), F_OK) == 0) break;
        // As hild's benches do: each at its own moment, 75 to 125 % of the poll.
        std::this_thread::sleep_for(std::chrono::milliseconds(
            poll_ms * 3 / 4 + static_cast<int>(jitter() % static_cast<unsigned>(poll_ms / 2 + 1))));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::ofstream file(out);
  for (const auto& list : costs)
    for (double ms : list) file << ms << '\n';
  return 0;
}

std::vector<double> ReadCosts(const std::string& path) {
  std::vector<double> values;
  std::ifstream in(path);
  for (double v; in >> v;) values.push_back(v);
  return values;
}

// Forks `processes` children running RunBenches; waits for them.
std::vector<double> Phase(const std::string& db, int processes, int benches, bool drain,
                          int poll_ms, const std::string& folder,
                          const std::function<void()>& meanwhile) {
  const std::string stop_file = folder + "/stop";
  ::unlink(stop_file.c_str());
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const int mine = benches / processes + (p < benches % processes ? 1 : 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::_Exit(RunBenches(db, p, mine, drain, poll_ms, stop_file,
                            folder + "/costs" + std::to_string(p)));
    }
    children.push_back(pid);
  }
  meanwhile();
  if (!drain) std::ofstream{stop_file};
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  std::vector<double> all;
  for (int p = 0; p < processes; ++p) {
    std::vector<double> some = ReadCosts(folder + "/costs" + std::to_string(p));
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: lab_queue_load CONNINFO [JOBS] [BENCHES] [PROCESSES]\n");
    return 2;
  }
  const std::string cluster = argv[1];
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int benches = argc > 3 ? std::atoi(argv[3]) : 50;
  const int processes = argc > 4 ? std::atoi(argv[4]) : 3;
  {
    auto admin = hil::lab::PgConnection::Open({cluster, ""});
    if (!admin.ok()) {
      std::fprintf(stderr, "%s\n", admin.error().ToString().c_str());
      return 3;
    }
    (void)(*admin)->Execute("DROP DATABASE IF EXISTS lab_queue_load WITH (FORCE)", "drop");
    if (!(*admin)->Execute("CREATE DATABASE lab_queue_load", "create").ok()) return 3;
  }
  const std::string db = cluster + " dbname=lab_queue_load";
  auto submitter = PgJobQueue::Open({db, ""}, "submitter", 30);
  if (!submitter.ok()) {
    std::fprintf(stderr, "%s\n", submitter.error().ToString().c_str());
    return 3;
  }
  char folder_template[] = "/tmp/hil-lab-load-XXXXXX";
  const std::string folder = ::mkdtemp(folder_template);

  // 1. drain
  const Clock::time_point queued = Clock::now();
  for (int i = 0; i < jobs; ++i) (void)(*submitter)->Submit(TrivialJob(i));
  const double submit_s = std::chrono::duration<double>(Clock::now() - queued).count();
  const Clock::time_point start = Clock::now();
  const std::vector<double> drain = Phase(db, processes, benches, true, 20, folder, [] {});
  const double drain_s = std::chrono::duration<double>(Clock::now() - start).count();
  auto done = (*submitter)->List(static_cast<size_t>(jobs) + 10);
  size_t finished = 0;
  if (done.ok()) {
    for (const auto& job : *done) finished += job.state == "done" && job.attempts == 1;
  }
  std::printf("lab queue, %d benches in %d processes, one connection each\n", benches, processes);
  std::printf("  submit:  %d jobs in %.2f s (%.0f jobs/s, one connection)\n", jobs, submit_s,
              jobs / submit_s);
  std::printf("  drain:   %zu of %d jobs taken and ended once in %.2f s: %.0f jobs/s\n", finished,
              jobs, drain_s, finished / drain_s);
  std::printf("           a take costs p50 %.2f ms, p99 %.2f ms (%zu takes, empty ones too)\n",
              Percentile(drain, 0.5), Percentile(drain, 0.99), drain.size());

  // 2. trickle: 1000 jobs at 200 per second while every bench polls.
  auto db_direct = hil::lab::PgConnection::Open({db, ""});
  if (!db_direct.ok()) return 3;
  for (const int poll_ms : {1000, 20}) {
    (void)(*db_direct)->Execute("DELETE FROM jobs", "clear");
    const std::vector<double> trickle = Phase(db, processes, benches, false, poll_ms, folder, [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // every bench polling
      for (int i = 0; i < 1000; ++i) {
        (void)(*submitter)->Submit(TrivialJob(i));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    });
    auto waits = (*db_direct)
                     ->Run(
                         "SELECT EXTRACT(EPOCH FROM started_at - submitted_at) * 1000 FROM "
                         "jobs WHERE started_at IS NOT NULL",
                         {}, "waits");
    std::vector<double> waited;
    if (waits.ok()) {
      for (int i = 0; i < waits->size(); ++i) waited.push_back(waits->Number(i, 0));
    }
    std::printf("  trickle: %zu jobs at 200/s, idle benches polling every %d ms%s\n", waited.size(),
                poll_ms, poll_ms == 1000 ? " (as hild's do)" : " (a stress)");
    std::printf("           queued to started p50 %.1f ms, p99 %.1f ms\n", Percentile(waited, 0.5),
                Percentile(waited, 0.99));
    std::printf("           a take costs p50 %.2f ms, p99 %.2f ms (goal: under 10 ms at p99)\n",
                Percentile(trickle, 0.5), Percentile(trickle, 0.99));
  }
  std::filesystem::remove_all(folder);
  return 0;
}
