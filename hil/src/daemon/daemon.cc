#include "hil/daemon/daemon.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
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

// Text from plans and devices may hold any bytes: invalid UTF-8 is
// replaced, never a reason to fail the reply.
std::string Dump(const json& body, int indent = -1) {
  return body.dump(indent, ' ', false, json::error_handler_t::replace);
}

void Reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(Dump(body, 2) + "\n", "application/json");
}

// Errors carry one of design.md's classes as the exit code hil would give.
void ReplyError(httplib::Response& response, int status, const std::string& message,
                int exit_code) {
  Reply(response, status, {{"error", message}, {"exit_code", exit_code}});
}

// A job id from the path; none when it does not fit (so: no such job).
std::optional<int64_t> JobId(const httplib::Request& request) {
  const std::string text = request.matches[1];
  int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// Only SO_REUSEADDR (a restart may rebind at once), never cpp-httplib's
// default SO_REUSEPORT, which let a second daemon share the port.
void ExclusiveSocketOptions(int socket) {
  int yes = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

// Whether something answers on a unix socket: a live daemon, not a file
// left behind by a dead one.
bool SomeoneListens(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof(address.sun_path)) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return answered;
}

// A job's results.json, read without following a link at any step below
// the state folder, and no larger than `limit`. Empty when absent.
// STATE/history/PLAN@BENCH.db, the characters of both names that could
// leave the folder or confuse a shell replaced.
std::string HistoryPath(const std::string& state_dir, const std::string& plan,
                        const std::string& bench) {
  std::string name;
  for (char c : plan + "@" + bench) {
    name +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '@' ? c : '_';
  }
  const fs::path folder = fs::path(state_dir) / "history";
  std::error_code error;
  fs::create_directories(folder, error);  // a failure shows when the store opens
  return (folder / (name + ".db")).string();
}

Result<std::optional<std::string>> ReadResultsFile(const std::string& state_dir,
                                                   const std::string& out_dir, size_t limit) {
  std::error_code error;
  const fs::path state = fs::canonical(state_dir, error);
  if (error) return InfrastructureError("the state folder is gone: " + error.message());
  const fs::path inside = fs::path(out_dir).lexically_normal().lexically_relative(state);
  if (inside.empty() || *inside.begin() == "..") {
    return ConfigurationError("the job's outputs are outside the state folder");
  }
  int dir = ::open(state.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return InfrastructureError("cannot open the state folder");
  const auto step = [&dir](const char* name, int flags) {
    const int next = ::openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
    ::close(dir);
    dir = -1;
    return next;
  };
  for (const fs::path& part : inside) {
    if (part == ".") continue;
    dir = step(part.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir < 0) return std::optional<std::string>();
  }
  const int fd = step("results.json", O_RDONLY | O_NONBLOCK);
  if (fd < 0) return std::optional<std::string>();
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return std::optional<std::string>();
  }
  if (static_cast<size_t>(info.st_size) > limit) {
    ::close(fd);
    return InfrastructureError("results.json is " + std::to_string(info.st_size) +
                               " bytes, more than limits.results_bytes (" + std::to_string(limit) +
                               ")");
  }
  std::string text(static_cast<size_t>(info.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  return std::optional<std::string>(std::move(text));
}

// Holds one of the event-stream slots for as long as a stream is open.
class StreamSlot {
 public:
  explicit StreamSlot(std::atomic<size_t>& open) : open_(open) {}
  ~StreamSlot() { --open_; }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;

 private:
  std::atomic<size_t>& open_;
};

}  // namespace

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)) {}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  std::error_code error;
  fs::create_directories(fs::path(config_.state_dir) / "jobs", error);
  if (error) {
    return InfrastructureError("cannot create the state folder " + config_.state_dir + ": " +
                               error.message());
  }
  // Before anything in the folder is touched: a second daemon leaves the
  // first one's jobs, socket and port alone.
  Result<StateLock> lock = StateLock::Acquire(config_.state_dir);
  if (!lock.ok()) return lock.error();
  lock_.emplace(std::move(*lock));
  if (SomeoneListens(config_.socket_path)) {
    return InfrastructureError("something already answers on the unix socket " +
                               config_.socket_path + " (another hild with another state folder?)");
  }

  Result<std::unique_ptr<JobStore>> store =
      JobStore::Open((fs::path(config_.state_dir) / "jobs.db").string());
  if (!store.ok()) return store.error();
  store_ = std::move(*store);
  Result<RequeueCounts> requeued = store_->RequeueInterrupted(config_.limits.max_attempts);
  if (!requeued.ok()) return requeued.error();
  if (requeued->queued > 0) {
    std::fprintf(stderr, "hild: %d interrupted job(s) queued again\n", requeued->queued);
  }
  if (requeued->failed > 0) {
    std::fprintf(stderr,
                 "hild: %d job(s) failed: hild stopped during each of their %d attempts "
                 "(limits.max_attempts)\n",
                 requeued->failed, config_.limits.max_attempts);
  }

  unix_server_ = std::make_unique<httplib::Server>();
  unix_server_->set_address_family(AF_UNIX);
  Configure(*unix_server_);
  Routes(*unix_server_);
  ::unlink(config_.socket_path.c_str());  // a dead daemon's, since nobody answered on it
  // The socket is created under hild's umask (0077 in main): it never
  // exists with a wider mode than the one set below.
  if (!unix_server_->bind_to_port(config_.socket_path, 80)) {
    return InfrastructureError("cannot listen on the unix socket " + config_.socket_path);
  }
  socket_bound_ = true;
  // The owner and its group may talk to the bench; nobody else.
  ::chmod(config_.socket_path.c_str(), 0660);
  if (config_.tcp_port > 0) {
    if (config_.token.empty()) return ConfigurationError("TCP needs a token: no token, no access");
    tcp_server_ = std::make_unique<httplib::Server>();
    const std::string token = config_.token;
    tcp_server_->set_pre_routing_handler([token](const httplib::Request& request,
                                                 httplib::Response& response) {
      if (!AuthorizedBearer(request.get_header_value("Authorization"), token)) {
        response.set_header("WWW-Authenticate", "Bearer");
        ReplyError(response, 401, "a valid 'Authorization: Bearer TOKEN' header is required", 2);
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    Configure(*tcp_server_);
    Routes(*tcp_server_);
    if (!tcp_server_->bind_to_port(config_.tcp_address, config_.tcp_port)) {
      return InfrastructureError("cannot listen on " + config_.tcp_address + ":" +
                                 std::to_string(config_.tcp_port) +
                                 " (another program has that port?)");
    }
  }
  // Threads only once every socket is bound: a server stopped before its
  // listen loop began would never stop.
  unix_thread_ = std::thread([this] { unix_server_->listen_after_bind(); });
  if (tcp_server_) tcp_thread_ = std::thread([this] { tcp_server_->listen_after_bind(); });
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

void Daemon::Configure(httplib::Server& server) {
  const DaemonLimits& limits = config_.limits;
  server.set_socket_options(ExclusiveSocketOptions);
  server.set_payload_max_length(limits.body_bytes);
  // Every open event stream holds a thread, and so does every kept-alive
  // connection while it lasts: the rest of the pool always serves /health
  // and the other requests.
  const size_t threads = limits.event_streams + 64;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // An idle keep-alive connection holds a thread too: let it go soon.
  server.set_keep_alive_timeout(2);
  // ...and a client polling /health keeps its connection for a while
  // rather than reconnecting every few requests.
  server.set_keep_alive_max_count(100);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  // Errors the routes do not answer themselves (404 of an unknown path,
  // 413 of a body over the limit, 400 of a malformed request) as JSON too.
  server.set_error_handler([&limits](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    const int status = response.status;
    std::string message = "HTTP " + std::to_string(status);
    if (status == 404) message = "no such endpoint (hil/daemon/API.md lists them)";
    if (status == 413) {
      message = "the request body is larger than limits.body_bytes (" +
                std::to_string(limits.body_bytes) + " bytes)";
    }
    if (status == 400) message = "malformed HTTP request";
    ReplyError(response, status, message, status >= 500 ? 3 : 2);
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr thrown) {
        std::string what = "unknown exception";
        try {
          if (thrown) std::rethrow_exception(thrown);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        ReplyError(response, 500, "internal error in hild: " + what, 3);
      });
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
  // Only our own socket: never the one of a daemon that holds the folder.
  if (socket_bound_) ::unlink(config_.socket_path.c_str());
  lock_.reset();
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
  Publish(job_id, Dump(json{{"event", "health"}, {"healthy", health.healthy()}, {"parts", parts}}),
          false);
  if (health.healthy()) return std::nullopt;
  return "bench " + bench.spec.name + " is not ready (" + health.MissingParts() + ")" + details;
}

plan::PlanPolicy Daemon::Policy() const {
  plan::PlanPolicy policy;
  policy.roots = config_.roots;
  policy.max_bytes = config_.limits.plan_bytes;
  return policy;
}

Daemon::JobEnd Daemon::ExecuteJob(Bench& bench, const Job& job) {
  JobEnd end;
  Result<plan::Plan> plan =
      plan::ParsePlanText(job.plan_text, job.plan_path, job.base_dir, Policy());
  if (!plan.ok()) {
    // It validated at submission; a file it names changed since.
    end.state = "failed", end.exit_code = ExitCodeFor(plan.error().kind());
    end.message = plan.error().message();
    return end;
  }
  if (std::optional<std::string> unready = CheckRealBench(bench, job.id)) {
    // Not a test failure: the bench is not there. The job says what is missing.
    end.state = "failed", end.exit_code = ExitCodeFor(ErrorKind::kInfrastructure);
    end.message = *unready;
    return end;
  }
  run::RunOptions options;
  options.out_dir = job.out_dir;
  // Each job writes its own folder, but the runs of one plan on one bench
  // share a history: a plan submitted every night compares with the night
  // before.
  options.history_db = HistoryPath(config_.state_dir, plan->name, bench.spec.name);
  if (bench.spec.kind == "real") options.bench = bench.spec;
  options.firmware_cache = config_.firmware_cache;
  options.interrupted = &bench.cancel;
  options.progress = [this, id = job.id](const run::ProgressEvent& event) {
    Publish(id,
            Dump(json{{"event", "progress"},
                      {"case", event.index},
                      {"cases", event.count},
                      {"id", event.case_id},
                      {"step", event.step},
                      {"elapsed_s", event.elapsed_s},
                      {"left_s", event.left_s},
                      {"case_done", event.case_done}}),
            false);
  };
  Result<run::RunOutcome> outcome = run::ExecutePlan(*plan, options);
  if (!outcome.ok()) {
    end.state = "failed", end.exit_code = ExitCodeFor(outcome.error().kind());
    end.message = outcome.error().ToString();
    return end;
  }
  end.exit_code = outcome->exit_code;
  end.summary = run::SummaryTable(outcome->record);
  if (outcome->not_run > 0 && stopping_) {
    end.state = "queued";  // runs again when hild starts; finished cases stay in results.db
    end.message = "hild stopped during attempt " + std::to_string(job.attempts) +
                  "; queued again (the finished cases of that attempt are kept in its "
                  "results.db)";
  } else if (outcome->not_run > 0) {
    end.state = "cancelled", end.message = "cancelled; finished cases kept";
  }
  return end;
}

void Daemon::RunJob(Bench& bench, const Job& job) {
  bench.cancel = stopping_.load();
  bench.running_job = job.id;
  // The log says what hild did with each job, for whoever reads it later.
  std::fprintf(stderr, "hild: job %lld (plan '%s') started on bench %s, attempt %d, into %s\n",
               static_cast<long long>(job.id), job.plan_name.c_str(), bench.spec.name.c_str(),
               job.attempts, job.out_dir.c_str());
  Publish(job.id,
          Dump(json{{"event", "started"}, {"bench", bench.spec.name}, {"attempt", job.attempts}}),
          false);
  JobEnd end;
  // Whatever a job does, it never takes hild (and the other benches' jobs)
  // down with it: an exception is the job's failure, with its cause.
  try {
    end = ExecuteJob(bench, job);
  } catch (const std::exception& e) {
    end = JobEnd{"failed", ExitCodeFor(ErrorKind::kInfrastructure),
                 std::string("internal error while running the job: ") + e.what(), ""};
  } catch (...) {
    end = JobEnd{"failed", ExitCodeFor(ErrorKind::kInfrastructure),
                 "internal error while running the job", ""};
  }
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    const Status finished =
        store_->Finish(job.id, end.state, end.exit_code, end.message, end.summary);
    if (!finished.ok()) std::fprintf(stderr, "hild: %s\n", finished.error().ToString().c_str());
  }
  bench.running_job = 0;
  std::fprintf(stderr, "hild: job %lld %s (exit %d)%s%s\n", static_cast<long long>(job.id),
               end.state.c_str(), end.exit_code, end.message.empty() ? "" : ": ",
               end.message.c_str());
  Publish(job.id,
          Dump(json{{"event", "finished"},
                    {"state", end.state},
                    {"exit_code", end.exit_code},
                    {"message", end.message}}),
          true);
}

size_t Daemon::EventLogCount() {
  std::lock_guard<std::mutex> lock(events_mutex_);
  return events_.size();
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
  {
    std::lock_guard<std::mutex> lock(events->mutex);
    if (events->lines.size() < 100000) events->lines.push_back(json_line);
    events->done = done;
    events->changed.notify_all();
  }
  if (!done) return;
  // A finished job's events stay for its late followers, up to a number;
  // the oldest go first (a stream still open keeps its own copy alive).
  std::lock_guard<std::mutex> lock(events_mutex_);
  finished_events_.push_back(id);
  while (finished_events_.size() > config_.limits.finished_event_logs) {
    events_.erase(finished_events_.front());
    finished_events_.pop_front();
  }
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
    Reply(response, 200,
          {{"status", stopping_ ? "stopping" : "ok"},
           {"benches", benches},
           {"event_streams",
            {{"open", open_streams_.load()},
             {"limit", config_.limits.event_streams},
             {"jobs_in_memory", EventLogCount()}}}});
  });

  server.Post("/jobs", [this](const httplib::Request& request, httplib::Response& response) {
    Result<Submission> submission = ParseSubmission(request.body, config_.state_dir);
    if (!submission.ok()) return ReplyError(response, 400, submission.error().message(), 2);
    Job job;
    job.plan_text = std::move(submission->plan);
    job.plan_path = submission->plan_path;
    job.base_dir = submission->base_dir;
    const std::string out = submission->out;
    Result<plan::Plan> plan =
        plan::ParsePlanText(job.plan_text, job.plan_path, job.base_dir, Policy());
    if (!plan.ok()) {
      ReplyError(response, 400, plan.error().message(), ExitCodeFor(plan.error().kind()));
      return;
    }
    job.plan_name = plan->name;
    const std::string wanted = submission->bench;
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
    // Outputs go under the state folder: where the client asked, or jobs/ID.
    job.out_dir = *JobOutDir(config_.state_dir, out, *id);
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
    Result<std::vector<Job>> jobs = store_->List(config_.limits.jobs_listed);
    if (!jobs.ok()) return ReplyError(response, 500, jobs.error().ToString(), 3);
    json list = json::array();
    for (const Job& job : *jobs) list.push_back(JobJson(job));
    Reply(response, 200, {{"jobs", list}});
  });

  server.Get(R"(/jobs/(\d+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               const std::optional<int64_t> id = JobId(request);
               if (!id) return ReplyError(response, 404, "no such job", 2);
               std::lock_guard<std::mutex> lock(store_mutex_);
               Result<std::optional<Job>> job = store_->Get(*id);
               if (!job.ok()) return ReplyError(response, 500, job.error().ToString(), 3);
               if (!*job) return ReplyError(response, 404, "no such job", 2);
               Reply(response, 200, JobJson(**job));
             });

  server.Post(R"(/jobs/(\d+)/cancel)", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    const std::optional<int64_t> found = JobId(request);
    if (!found) return ReplyError(response, 404, "no such job", 2);
    const int64_t id = *found;
    std::lock_guard<std::mutex> lock(store_mutex_);
    Result<bool> cancelled = store_->CancelQueued(id);
    if (!cancelled.ok()) return ReplyError(response, 500, cancelled.error().ToString(), 3);
    if (*cancelled) {
      Publish(id, Dump(json{{"event", "finished"}, {"state", "cancelled"}, {"exit_code", 3}}),
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

  server.Get(R"(/jobs/(\d+)/results)", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    const std::optional<int64_t> id = JobId(request);
    if (!id) return ReplyError(response, 404, "no such job", 2);
    std::string out;
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      Result<std::optional<Job>> job = store_->Get(*id);
      if (!job.ok()) return ReplyError(response, 500, job.error().ToString(), 3);
      if (!*job) return ReplyError(response, 404, "no such job", 2);
      out = (*job)->out_dir;
    }
    Result<std::optional<std::string>> text =
        ReadResultsFile(config_.state_dir, out, config_.limits.results_bytes);
    if (!text.ok()) {
      return ReplyError(response, 500, text.error().message(), ExitCodeFor(text.error().kind()));
    }
    if (!*text) return ReplyError(response, 404, "no results yet", 2);
    response.set_content(std::move(**text), "application/json");
  });

  // Server-sent events: every progress line of the job, then "finished".
  server.Get(R"(/jobs/(\d+)/events)",
             [this](const httplib::Request& request, httplib::Response& response) {
               const std::optional<int64_t> found = JobId(request);
               if (!found) return ReplyError(response, 404, "no such job", 2);
               const int64_t id = *found;
               std::optional<Job> job;
               {
                 std::lock_guard<std::mutex> lock(store_mutex_);
                 Result<std::optional<Job>> stored = store_->Get(id);
                 if (stored.ok()) job = *stored;
               }
               if (!job) return ReplyError(response, 404, "no such job", 2);
               // Each stream holds a server thread for its whole life: beyond the
               // limit, refuse, so the rest of the API keeps answering.
               if (++open_streams_ > config_.limits.event_streams) {
                 --open_streams_;
                 response.set_header("Retry-After", "5");
                 return ReplyError(response, 503,
                                   "too many event streams open (limits.event_streams = " +
                                       std::to_string(config_.limits.event_streams) +
                                       "); poll GET /jobs/" + std::to_string(id) + " instead",
                                   3);
               }
               auto slot = std::make_shared<StreamSlot>(open_streams_);
               const bool over = job->state != "queued" && job->state != "running";
               // An ended job's events are kept only while they are in memory;
               // following it must not put it back there.
               std::shared_ptr<JobEvents> events = EventsOf(id, !over);
               if (!events) {
                 // Ended before this daemon started, or its events were
                 // pruned: only its end is known.
                 events = std::make_shared<JobEvents>();
                 events->lines.push_back(Dump(json{{"event", "finished"},
                                                   {"state", job->state},
                                                   {"exit_code", job->exit_code},
                                                   {"message", job->message}}));
                 events->done = true;
               }
               response.set_chunked_content_provider(
                   "text/event-stream",
                   [events, slot, sent = size_t{0}, this](size_t, httplib::DataSink& sink) mutable {
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
                   },
                   [slot](bool) {});
             });
}

}  // namespace hil::daemon
