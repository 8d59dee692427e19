#include "hil/daemon/daemon.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hil/bench/bench_check.h"
#include "hil/plan/plan_parser.h"
#include "hil/run/executor.h"

namespace hil::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json JobJson(const Job& job) {
  return {{"id", job.id},
          {"bench", job.bench},
          {"plan", job.plan_name},
          {"plan_path", job.plan_path},
          {"state", job.state},
          {"exit_code", job.exit_code < 0 ? json(nullptr) : json(job.exit_code)},
          {"attempts", job.attempts},
          {"message", job.message},
          {"summary", job.summary},
          {"out", job.out_dir},
          {"submitted", job.submitted},
          {"started", job.started},
          {"finished", job.finished}};
}

void Reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(2) + "\n", "application/json");
}

void ReplyError(httplib::Response& response, int status, const std::string& message,
                int exit_code) {
  Reply(response, status, {{"error", message}, {"exit_code", exit_code}});
}

std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1) + ":" +
         std::to_string(node.Mark().column + 1) + ": ";
}

}  // namespace

bool SameSecret(const std::string& a, const std::string& b) {
  // Looks at every byte of the longer one whatever matches, so the time
  // taken says nothing about where the first difference is.
  const size_t n = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

Result<DaemonConfig> ReadDaemonConfig(const std::string& path) {
  // The bench part reads and checks the file (and reports a bad one); the
  // daemon's own keys are read from the same, now known good, YAML.
  DaemonConfig config;
  Result<std::vector<BenchSpec>> benches = bench::ReadBenchFile(path);
  if (!benches.ok()) return benches.error();
  config.benches = std::move(*benches);
  const fs::path base = fs::absolute(path).parent_path();
  const auto resolve = [&](const std::string& p) { return (base / p).lexically_normal().string(); };
  try {
    const YAML::Node root = YAML::LoadFile(path);
    config.state_dir = resolve(root["state_dir"] ? root["state_dir"].as<std::string>() : "hild");
    config.socket_path = root["socket"] ? resolve(root["socket"].as<std::string>())
                                        : (fs::path(config.state_dir) / "hild.sock").string();
    if (root["firmware_cache"])
      config.firmware_cache = resolve(root["firmware_cache"].as<std::string>());
    if (const YAML::Node tcp = root["tcp"]) {
      config.tcp_port = tcp["port"] ? tcp["port"].as<int>() : 0;
      if (tcp["address"]) config.tcp_address = tcp["address"].as<std::string>();
      if (!tcp["token_file"]) {
        return ConfigurationError(Where(path, tcp) +
                                  "tcp needs token_file: no token, no access over TCP");
      }
      const std::string token_file = resolve(tcp["token_file"].as<std::string>());
      std::ifstream in(token_file);
      if (!in || !std::getline(in, config.token) || config.token.size() < 16) {
        return ConfigurationError(Where(path, tcp["token_file"]) + token_file +
                                  ": needs a token of at least 16 characters on its first line");
      }
    }
  } catch (const YAML::Exception& e) {
    return ConfigurationError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return config;
}

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)) {}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  std::error_code error;
  fs::create_directories(fs::path(config_.state_dir) / "jobs", error);
  if (error) {
    return InfrastructureError("cannot create the state folder " + config_.state_dir + ": " +
                               error.message());
  }
  Result<std::unique_ptr<JobStore>> store =
      JobStore::Open((fs::path(config_.state_dir) / "jobs.db").string());
  if (!store.ok()) return store.error();
  store_ = std::move(*store);
  Result<int> requeued = store_->RequeueInterrupted();
  if (!requeued.ok()) return requeued.error();
  if (*requeued > 0) std::fprintf(stderr, "hild: %d interrupted job(s) queued again\n", *requeued);

  unix_server_ = std::make_unique<httplib::Server>();
  unix_server_->set_address_family(AF_UNIX);
  Routes(*unix_server_);
  ::unlink(config_.socket_path.c_str());
  if (!unix_server_->bind_to_port(config_.socket_path, 80)) {
    return InfrastructureError("cannot listen on the unix socket " + config_.socket_path);
  }
  // The owner and its group may talk to the bench; nobody else.
  ::chmod(config_.socket_path.c_str(), 0660);
  unix_thread_ = std::thread([this] { unix_server_->listen_after_bind(); });
  if (config_.tcp_port > 0) {
    if (config_.token.empty()) return ConfigurationError("TCP needs a token: no token, no access");
    tcp_server_ = std::make_unique<httplib::Server>();
    const std::string token = config_.token;
    tcp_server_->set_pre_routing_handler([token](const httplib::Request& request,
                                                 httplib::Response& response) {
      const std::string given = request.get_header_value("Authorization");
      if (!SameSecret(given, "Bearer " + token)) {
        response.set_header("WWW-Authenticate", "Bearer");
        ReplyError(response, 401, "a valid 'Authorization: Bearer TOKEN' header is required", 2);
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    Routes(*tcp_server_);
    if (!tcp_server_->bind_to_port(config_.tcp_address, config_.tcp_port)) {
      return InfrastructureError("cannot listen on " + config_.tcp_address + ":" +
                                 std::to_string(config_.tcp_port));
    }
    tcp_thread_ = std::thread([this] { tcp_server_->listen_after_bind(); });
  }
  for (const BenchSpec& spec : config_.benches) {
    auto bench = std::make_unique<Bench>();
    bench->spec = spec;
    benches_.push_back(std::move(bench));
  }
  for (auto& bench : benches_) {
    Bench* b = bench.get();
    b->worker = std::thread([this, b] { Work(*b); });
  }
  return OkStatus();
}

void Daemon::Stop() {
  if (stopping_.exchange(true)) return;
  if (unix_server_) unix_server_->stop();
  if (tcp_server_) tcp_server_->stop();
  for (auto& bench : benches_) bench->cancel = true;
  wake_.notify_all();
  for (auto& bench : benches_) {
    if (bench->worker.joinable()) bench->worker.join();
  }
  // Event streams still open end now.
  {
    std::lock_guard<std::mutex> lock(events_mutex_);
    for (auto& [id, events] : events_) {
      std::lock_guard<std::mutex> inner(events->mutex);
      events->done = true;
      events->changed.notify_all();
    }
  }
  if (unix_thread_.joinable()) unix_thread_.join();
  if (tcp_thread_.joinable()) tcp_thread_.join();
  if (!config_.socket_path.empty()) ::unlink(config_.socket_path.c_str());
}

void Daemon::Work(Bench& bench) {
  while (!stopping_) {
    std::optional<Job> job;
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      Result<std::optional<Job>> claimed = store_->ClaimNext(bench.spec.name);
      if (!claimed.ok()) {
        std::fprintf(stderr, "hild: %s\n", claimed.error().ToString().c_str());
      } else {
        job = std::move(*claimed);
      }
    }
    if (job) {
      RunJob(bench, *job);
      continue;
    }
    std::unique_lock<std::mutex> lock(wake_mutex_);
    wake_.wait_for(lock, std::chrono::seconds(1));
  }
}

std::optional<std::string> Daemon::CheckRealBench(Bench& bench, int64_t job_id) {
  if (bench.spec.kind != "real") return std::nullopt;
  const bench::BenchHealth health = bench::CheckBench(bench.spec);
  json parts = json::array();
  std::string details;
  for (const bench::PartHealth& part : health.parts) {
    parts.push_back({{"part", part.part}, {"healthy", part.healthy}, {"detail", part.detail}});
    if (!part.healthy) details += "; " + part.part + ": " + part.detail;
  }
  Publish(job_id, json{{"event", "health"}, {"healthy", health.healthy()}, {"parts", parts}}.dump(),
          false);
  if (health.healthy()) return std::nullopt;
  return "bench " + bench.spec.name + " is not ready (" + health.MissingParts() + ")" + details;
}

void Daemon::RunJob(Bench& bench, const Job& job) {
  bench.cancel = stopping_.load();
  bench.running_job = job.id;
  Publish(job.id,
          json{{"event", "started"}, {"bench", bench.spec.name}, {"attempt", job.attempts}}.dump(),
          false);
  std::string state = "done", message, summary;
  int exit_code = 0;
  Result<plan::Plan> plan = plan::ParsePlanText(job.plan_text, job.plan_path, job.base_dir);
  if (!plan.ok()) {
    // It validated at submission; a file it names changed since.
    state = "failed", exit_code = ExitCodeFor(plan.error().kind()),
    message = plan.error().message();
  } else if (std::optional<std::string> unready = CheckRealBench(bench, job.id)) {
    // Not a test failure: the bench is not there. The job says what is missing.
    state = "failed", exit_code = ExitCodeFor(ErrorKind::kInfrastructure), message = *unready;
  } else {
    run::RunOptions options;
    options.out_dir = job.out_dir;
    if (bench.spec.kind == "real") options.bench = bench.spec;
    options.firmware_cache = config_.firmware_cache;
    options.interrupted = &bench.cancel;
    options.progress = [this, id = job.id](size_t i, size_t n, const std::string& case_id,
                                           const std::string& step, double elapsed, double left) {
      Publish(id,
              json{{"event", "progress"},
                   {"case", i},
                   {"cases", n},
                   {"id", case_id},
                   {"step", step},
                   {"elapsed_s", elapsed},
                   {"left_s", left}}
                  .dump(),
              false);
    };
    Result<run::RunOutcome> outcome = run::ExecutePlan(*plan, options);
    if (!outcome.ok()) {
      state = "failed", exit_code = ExitCodeFor(outcome.error().kind());
      message = outcome.error().ToString();
    } else {
      exit_code = outcome->exit_code;
      summary = run::SummaryTable(outcome->record);
      if (outcome->not_run > 0 && stopping_) {
        state = "queued";  // runs again when hild starts; finished cases stay in results.db
        message = "hild stopped during attempt " + std::to_string(job.attempts) +
                  "; queued again (the finished cases of that attempt are kept in its "
                  "results.db)";
      } else if (outcome->not_run > 0) {
        state = "cancelled", message = "cancelled; finished cases kept";
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    const Status finished = store_->Finish(job.id, state, exit_code, message, summary);
    if (!finished.ok()) std::fprintf(stderr, "hild: %s\n", finished.error().ToString().c_str());
  }
  bench.running_job = 0;
  Publish(
      job.id,
      json{{"event", "finished"}, {"state", state}, {"exit_code", exit_code}, {"message", message}}
          .dump(),
      true);
}

std::shared_ptr<JobEvents> Daemon::EventsOf(int64_t id, bool create) {
  std::lock_guard<std::mutex> lock(events_mutex_);
  auto found = events_.find(id);
  if (found != events_.end()) return found->second;
  if (!create) return nullptr;
  return events_[id] = std::make_shared<JobEvents>();
}

void Daemon::Publish(int64_t id, const std::string& json_line, bool done) {
  std::shared_ptr<JobEvents> events = EventsOf(id, true);
  std::lock_guard<std::mutex> lock(events->mutex);
  if (events->lines.size() < 100000) events->lines.push_back(json_line);
  events->done = done;
  events->changed.notify_all();
}

void Daemon::Routes(httplib::Server& server) {
  server.Get("/health", [this](const httplib::Request&, httplib::Response& response) {
    json benches = json::array();
    std::lock_guard<std::mutex> lock(store_mutex_);
    for (const auto& bench : benches_) {
      const int64_t job = bench->running_job;
      Result<int> queued = store_->QueuedCount(bench->spec.name);
      benches.push_back({{"name", bench->spec.name},
                         {"kind", bench->spec.kind},
                         {"state", job ? "busy" : "idle"},
                         {"job", job ? json(job) : json(nullptr)},
                         {"queued", queued.ok() ? *queued : -1}});
    }
    Reply(response, 200, {{"status", stopping_ ? "stopping" : "ok"}, {"benches", benches}});
  });

  server.Post("/jobs", [this](const httplib::Request& request, httplib::Response& response) {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("plan") ||
        !body["plan"].is_string()) {
      ReplyError(response, 400,
                 "expected JSON {\"plan\": YAML text, \"plan_path\", \"base_dir\", "
                 "\"bench\" (optional), \"out\" (optional)}",
                 2);
      return;
    }
    Job job;
    job.plan_text = body["plan"].get<std::string>();
    job.plan_path = body.value("plan_path", std::string("plan.yaml"));
    job.base_dir = body.value("base_dir", fs::current_path().string());
    Result<plan::Plan> plan = plan::ParsePlanText(job.plan_text, job.plan_path, job.base_dir);
    if (!plan.ok()) {
      ReplyError(response, 400, plan.error().message(), ExitCodeFor(plan.error().kind()));
      return;
    }
    job.plan_name = plan->name;
    const std::string wanted = body.value("bench", std::string());
    std::lock_guard<std::mutex> lock(store_mutex_);
    // The named bench, or the bench of the plan's kind with the shortest queue.
    int best_queue = -1;
    std::string names;
    for (const auto& bench : benches_) {
      names += (names.empty() ? "" : ", ") + bench->spec.name;
      if (!wanted.empty()) {
        if (bench->spec.name == wanted) job.bench = wanted;
        continue;
      }
      if (bench->spec.kind != plan->bench.kind) continue;
      Result<int> queued = store_->QueuedCount(bench->spec.name);
      const int load = (queued.ok() ? *queued : 0) + (bench->running_job ? 1 : 0);
      if (best_queue < 0 || load < best_queue) best_queue = load, job.bench = bench->spec.name;
    }
    if (job.bench.empty()) {
      ReplyError(response, 400,
                 wanted.empty() ? "no " + plan->bench.kind + " bench here (benches: " + names + ")"
                                : "no bench '" + wanted + "' here (benches: " + names + ")",
                 2);
      return;
    }
    Result<int64_t> id = store_->Submit(job);
    if (!id.ok()) {
      ReplyError(response, 500, id.error().ToString(), 3);
      return;
    }
    // Outputs go where the client asked, or under the state folder.
    const std::string out = body.value("out", std::string());
    job.out_dir =
        out.empty() ? (fs::path(config_.state_dir) / "jobs" / std::to_string(*id)).string() : out;
    const Status placed = store_->SetOutDir(*id, job.out_dir);
    if (!placed.ok()) {
      ReplyError(response, 500, placed.error().ToString(), 3);
      return;
    }
    wake_.notify_all();
    Reply(response, 201, {{"id", *id}, {"bench", job.bench}, {"out", job.out_dir}});
  });

  server.Get("/jobs", [this](const httplib::Request&, httplib::Response& response) {
    std::lock_guard<std::mutex> lock(store_mutex_);
    Result<std::vector<Job>> jobs = store_->List();
    if (!jobs.ok()) return ReplyError(response, 500, jobs.error().ToString(), 3);
    json list = json::array();
    for (const Job& job : *jobs) list.push_back(JobJson(job));
    Reply(response, 200, {{"jobs", list}});
  });

  server.Get(R"(/jobs/(\d+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               std::lock_guard<std::mutex> lock(store_mutex_);
               Result<std::optional<Job>> job = store_->Get(std::stoll(request.matches[1]));
               if (!job.ok()) return ReplyError(response, 500, job.error().ToString(), 3);
               if (!*job) return ReplyError(response, 404, "no such job", 2);
               Reply(response, 200, JobJson(**job));
             });

  server.Post(R"(/jobs/(\d+)/cancel)", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    const int64_t id = std::stoll(request.matches[1]);
    std::lock_guard<std::mutex> lock(store_mutex_);
    Result<bool> cancelled = store_->CancelQueued(id);
    if (!cancelled.ok()) return ReplyError(response, 500, cancelled.error().ToString(), 3);
    if (*cancelled) {
      Publish(id, json{{"event", "finished"}, {"state", "cancelled"}, {"exit_code", 3}}.dump(),
              true);
      return Reply(response, 200, {{"id", id}, {"state", "cancelled"}});
    }
    for (auto& bench : benches_) {
      if (bench->running_job == id) {
        bench->cancel = true;  // stops after the case in progress
        return Reply(response, 202, {{"id", id}, {"state", "cancelling"}});
      }
    }
    ReplyError(response, 409, "job " + std::to_string(id) + " is not queued or running", 2);
  });

  server.Get(R"(/jobs/(\d+)/results)",
             [this](const httplib::Request& request, httplib::Response& response) {
               std::string out;
               {
                 std::lock_guard<std::mutex> lock(store_mutex_);
                 Result<std::optional<Job>> job = store_->Get(std::stoll(request.matches[1]));
                 if (!job.ok()) return ReplyError(response, 500, job.error().ToString(), 3);
                 if (!*job) return ReplyError(response, 404, "no such job", 2);
                 out = (*job)->out_dir;
               }
               std::ifstream file(fs::path(out) / "results.json");
               if (!file) return ReplyError(response, 404, "no results yet", 2);
               const std::string text((std::istreambuf_iterator<char>(file)),
                                      std::istreambuf_iterator<char>());
               response.set_content(text, "application/json");
             });

  // Server-sent events: every progress line of the job, then "finished".
  server.Get(R"(/jobs/(\d+)/events)",
             [this](const httplib::Request& request, httplib::Response& response) {
               const int64_t id = std::stoll(request.matches[1]);
               std::optional<Job> job;
               {
                 std::lock_guard<std::mutex> lock(store_mutex_);
                 Result<std::optional<Job>> found = store_->Get(id);
                 if (found.ok()) job = *found;
               }
               if (!job) return ReplyError(response, 404, "no such job", 2);
               std::shared_ptr<JobEvents> events = EventsOf(id, true);
               if (job->state != "queued" && job->state != "running") {
                 // Ended before this daemon started: only its end is known.
                 std::lock_guard<std::mutex> lock(events->mutex);
                 if (!events->done) {
                   events->lines.push_back(json{
                       {"event", "finished"},
                       {"state", job->state},
                       {"exit_code", job->exit_code},
                       {"message",
                        job->message}}.dump());
                   events->done = true;
                 }
               }
               response.set_chunked_content_provider(
                   "text/event-stream",
                   [events, sent = size_t{0}, this](size_t, httplib::DataSink& sink) mutable {
                     // Copy under the lock, write without it: a slow client
                     // must never hold up the job that publishes.
                     std::string chunk;
                     bool ended = false;
                     {
                       std::unique_lock<std::mutex> lock(events->mutex);
                       events->changed.wait_for(lock, std::chrono::seconds(1), [&] {
                         return events->lines.size() > sent || events->done || stopping_;
                       });
                       while (sent < events->lines.size()) {
                         chunk += "data: " + events->lines[sent++] + "\n\n";
                       }
                       ended = events->done || stopping_;
                     }
                     if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
                     if (ended) sink.done();
                     return true;
                   });
             });
}

}  // namespace hil::daemon
