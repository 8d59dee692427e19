// Load on hild, on loopback: CLIENTS clients for SECONDS seconds, each
// submitting small plans to a virtual bench and following every job's
// event stream while a second thread of the client polls /health. Prints
// /health's latency percentiles with the streams open, and checks that
// every accepted job ends in a final state. It prints figures; it does not
// pass or fail on them (the goal: p99 under 200 ms with 20 streams open).
//   hild_load [SECONDS=60] [CLIENTS=20]
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr char kPlan[] =
    "plan: load\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
    "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 2}\n";

std::unique_ptr<httplib::Client> Client(const std::string& socket) {
  auto client = std::make_unique<httplib::Client>(socket);
  client->set_address_family(AF_UNIX);
  client->set_read_timeout(std::chrono::seconds(120));
  // As a dashboard would: one connection, kept. (cpp-httplib's unix
  // socket listens with a backlog of 5, so a connection per request from
  // 40 threads at once is refused now and then with EAGAIN.)
  client->set_keep_alive(true);
  return client;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const int clients = argc > 2 ? std::atoi(argv[2]) : 20;
  const fs::path dir = fs::temp_directory_path() / ("hild-load-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "benches.yaml") << "benches:\n  - {name: virtual-a}\nstate_dir: state\n"
                                      << "limits: {event_streams: " << clients + 4 << "}\n";
  const pid_t hild = ::fork();
  if (hild == 0) {
    const std::string log = (dir / "hild.log").string();
    std::freopen(log.c_str(), "w", stderr);
    ::execl(HILD_PATH, HILD_PATH, "--config", (dir / "benches.yaml").c_str(), nullptr);
    std::_Exit(127);
  }
  const std::string socket = (dir / "state/hild.sock").string();
  for (int i = 0; i < 200 && !Client(socket)->Get("/health"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  const Clock::time_point end = Clock::now() + std::chrono::seconds(seconds);
  std::mutex mutex;
  std::vector<double> health_ms;
  std::vector<int64_t> accepted;
  std::atomic<int> refused{0}, health_errors{0}, streams_open{0}, most_streams{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    // The client's submitter: one job at a time, followed to its end.
    threads.emplace_back([&] {
      auto client = Client(socket);
      while (Clock::now() < end) {
        const json body = {{"plan", kPlan}, {"plan_path", "load.yaml"}};
        httplib::Result submitted = client->Post("/jobs", body.dump(), "application/json");
        if (!submitted || submitted->status != 201) {
          if (++refused < 4) {
            std::fprintf(stderr, "submit: %s\n",
                         submitted ? submitted->body.c_str()
                                   : httplib::to_string(submitted.error()).c_str());
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        const int64_t id = json::parse(submitted->body)["id"].get<int64_t>();
        {
          std::lock_guard<std::mutex> lock(mutex);
          accepted.push_back(id);
        }
        const int open = ++streams_open;
        for (int seen = most_streams;
             open > seen && !most_streams.compare_exchange_weak(seen, open);) {
        }
        std::string events;
        client->Get("/jobs/" + std::to_string(id) + "/events", [&](const char* data, size_t n) {
          events.append(data, n);
          return events.find("\"finished\"") == std::string::npos;
        });
        --streams_open;
      }
    });
    // The client's dashboard: /health ten times a second.
    threads.emplace_back([&] {
      auto client = Client(socket);
      while (Clock::now() < end) {
        const Clock::time_point start = Clock::now();
        httplib::Result health = client->Get("/health");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (!health || health->status != 200) {
          ++health_errors;
          std::lock_guard<std::mutex> lock(mutex);
          if (health_errors < 4) {
            std::fprintf(stderr, "health: %s\n",
                         health ? std::to_string(health->status).c_str()
                                : httplib::to_string(health.error()).c_str());
          }
        } else {
          std::lock_guard<std::mutex> lock(mutex);
          health_ms.push_back(ms);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  // Every accepted job must reach a final state; the queue drains on its own.
  size_t unfinished = accepted.size();
  const Clock::time_point drain_end = Clock::now() + std::chrono::minutes(15);
  json jobs;
  while (Clock::now() < drain_end) {
    httplib::Result listed = Client(socket)->Get("/jobs");
    if (listed && listed->status == 200) {
      jobs = json::parse(listed->body)["jobs"];
      unfinished = 0;
      for (const json& job : jobs) {
        const std::string state = job["state"];
        if (state == "queued" || state == "running") ++unfinished;
      }
      if (unfinished == 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  size_t done = 0, failed = 0;
  for (const json& job : jobs) {
    if (job["state"] == "done") ++done;
    if (job["state"] == "failed") ++failed;
  }
  ::kill(hild, SIGTERM);
  ::waitpid(hild, nullptr, 0);
  fs::remove_all(dir);

  std::printf("hild under load: %d clients for %d s on loopback (unix socket)\n", clients, seconds);
  std::printf("  /health: %zu answers, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors\n",
              health_ms.size(), Percentile(health_ms, 0.50), Percentile(health_ms, 0.99),
              Percentile(health_ms, 1.0), health_errors.load());
  std::printf("  event streams open at once: up to %d\n", most_streams.load());
  std::printf("  jobs: %zu accepted, %d submissions refused; %zu done, %zu failed, %zu not final\n",
              accepted.size(), refused.load(), done, failed, unfinished);
  std::printf("  every accepted job ended in a final state: %s\n",
              unfinished == 0 && jobs.size() == accepted.size() ? "yes" : "NO");
  return unfinished == 0 ? 0 : 1;
}
