#include "hil/daemon/daemon.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "hil/bench/bench_check.h"
#include "hil/daemon/job_store.h"
#include "hil/lab/pg_job_queue.h"
#include "hil/plan/plan_parser.h"
#include "hil/run/executor.h"
#include "json_reply.h"
#include "result_upload.h"

namespace hil::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

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

  HIL_RETURN_IF_ERROR(OpenQueue());
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
  if (store_->shared()) {
    Beat();  // the lab sees this host's benches at once
    heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  }
  return OkStatus();
}

Status Daemon::OpenQueue() {
  if (!config_.lab.enabled()) {
    Result<std::unique_ptr<JobStore>> store =
        JobStore::Open((fs::path(config_.state_dir) / "jobs.db").string());
    if (!store.ok()) return store.error();
    store_ = std::move(*store);
    return OkStatus();
  }
  const LabConfig& lab = config_.lab;
  Result<std::unique_ptr<lab::PgJobQueue>> queue =
      lab::PgJobQueue::Open(lab.store, lab.host, lab.lease_s);
  if (!queue.ok()) return queue.error();
  store_ = std::move(*queue);
  last_beat_ = std::chrono::steady_clock::now();
  Result<std::unique_ptr<lab::PgResults>> results = lab::PgResults::Open(lab.store);
  if (!results.ok()) return results.error();
  uploader_ = std::make_unique<ResultUploader>(
      std::move(*results), lab.host, (fs::path(config_.state_dir) / "uploads.pending").string());
  std::fprintf(stderr, "hild: host '%s' of the lab at %s (lease %d s)\n", lab.host.c_str(),
               lab::ShownConninfo(lab.store.conninfo).c_str(), lab.lease_s);
  return OkStatus();
}

BenchOffer Daemon::OfferOf(const Bench& bench) const {
  return BenchOffer{config_.lab.host, bench.spec.name,       std::string(ToText(bench.spec.kind)),
                    bench.spec.board, bench.spec.probe.kind, bench.spec.tags};
}

void Daemon::Beat() {
  std::vector<LabBench> mine;
  for (const auto& bench : benches_) {
    const int64_t job = bench->running_job;
    mine.push_back(LabBench{OfferOf(*bench), job ? "busy" : "idle", job, 0});
  }
  Result<std::vector<HeldJob>> held = std::vector<HeldJob>();
  Result<RequeueCounts> requeued = RequeueCounts{};
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    held = store_->Heartbeat(mine);
    if (held.ok()) requeued = store_->RequeueExpired(config_.limits.max_attempts);
  }
  const auto now = std::chrono::steady_clock::now();
  if (!held.ok()) {
    std::fprintf(stderr, "hild: heartbeat: %s (running cases go on; trying again)\n",
                 held.error().ToString().c_str());
    // Silent for a whole lease: the lab has given this host's jobs to
    // others by now. Each stops after its case in progress, so two hosts
    // overlap on a job by one case at most.
    if (now - last_beat_ > std::chrono::seconds(config_.lab.lease_s)) {
      for (auto& bench : benches_) {
        const int64_t job = bench->running_job;
        if (!bench->Stop(job, true)) continue;
        std::fprintf(stderr,
                     "hild: job %lld: no heartbeat for a whole lease; stopping it after the "
                     "case in progress (its results are uploaded once the store is back)\n",
                     static_cast<long long>(job));
      }
    }
    if (uploader_) uploader_->Retry();
    return;
  }
  last_beat_ = now;
  if (requeued.ok() && requeued->queued + requeued->failed > 0) {
    std::fprintf(stderr,
                 "hild: %d job(s) of hosts not heard of within their lease queued again, %d "
                 "failed (limits.max_attempts)\n",
                 requeued->queued, requeued->failed);
    wake_.notify_all();
  }
  // The jobs as they were when the heartbeat was sent: a bench that took a
  // job since was not asked about it.
  for (size_t i = 0; i < benches_.size(); ++i) {
    Bench* bench = benches_[i].get();
    const int64_t job = mine[i].job;
    if (job == 0) continue;
    bool still_mine = false;
    for (const HeldJob& h : *held) {
      if (h.id != job) continue;
      still_mine = true;
      if (h.cancel) bench->Stop(job, false);  // asked through another hild
    }
    // The lease ran out while this host could not reach the database: the
    // job is the queue's again. Stop after the case in progress; its cases
    // so far are uploaded, and the end is not recorded.
    if (!still_mine && bench->Stop(job, true)) {
      std::fprintf(stderr,
                   "hild: job %lld is no longer this host's (its lease ran out); "
                   "stopping it after the case in progress\n",
                   static_cast<long long>(job));
    }
  }
  if (uploader_) uploader_->Retry();
}

void Daemon::BeatSoon() {
  if (!store_->shared()) return;
  std::lock_guard<std::mutex> lock(wake_mutex_);
  beat_now_ = true;
  heartbeat_wake_.notify_all();
}

void Daemon::HeartbeatLoop() {
  // Three beats per lease: one lost beat never costs a lease.
  const auto period = std::chrono::milliseconds(config_.lab.lease_s * 1000 / 3);
  while (!stopping_) {
    {
      std::unique_lock<std::mutex> lock(wake_mutex_);
      heartbeat_wake_.wait_for(lock, period,
                               [this] { return stopping_.load() || beat_now_.exchange(false); });
    }
    if (!stopping_) Beat();
  }
}

void Daemon::Stop() {
  if (stopping_.exchange(true)) return;
  if (unix_server_) unix_server_->stop();
  if (tcp_server_) tcp_server_->stop();
  for (auto& bench : benches_) bench->cancel = true;
  wake_.notify_all();
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    heartbeat_wake_.notify_all();
  }
  for (auto& bench : benches_) {
    if (bench->worker.joinable()) bench->worker.join();
  }
  if (heartbeat_.joinable()) heartbeat_.join();
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
  const BenchOffer offer = OfferOf(bench);
  std::minstd_rand jitter(static_cast<unsigned>(std::hash<std::string>()(bench.spec.name) ^
                                                static_cast<size_t>(::getpid())));
  int failures = 0;  // in a row: the database is away, so wait longer each time
  while (!stopping_) {
    std::optional<Job> job;
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      Result<std::optional<Job>> claimed = store_->ClaimNext(offer);
      if (!claimed.ok()) {
        if (failures++ == 0 || failures % 10 == 0) {
          std::fprintf(stderr, "hild: bench %s cannot take jobs: %s\n", bench.spec.name.c_str(),
                       claimed.error().ToString().c_str());
        }
      } else {
        failures = 0;
        job = std::move(*claimed);
      }
      // Outputs go under this host's state folder: where the client asked,
      // or jobs/ID (a lab job's folder is decided by the host that takes it).
      if (job && job->out_dir.empty()) {
        Result<std::string> out = JobOutDir(config_.state_dir, job->out_request, job->id);
        job->out_dir =
            out.ok() ? *out
                     : (fs::path(config_.state_dir) / "jobs" / std::to_string(job->id)).string();
        const Status placed = store_->SetOutDir(job->id, job->out_dir);
        if (!placed.ok()) std::fprintf(stderr, "hild: %s\n", placed.error().ToString().c_str());
      }
    }
    if (job) {
      RunJob(bench, *job);
      continue;
    }
    // An idle bench looks again within about a second, each at its own
    // moment (750 to 1250 ms): benches started together would otherwise
    // all look at once and leave a lab's job waiting a whole second.
    const auto pause =
        std::chrono::milliseconds(failures == 0 ? 750 + static_cast<int>(jitter() % 501)
                                                : std::min(30000, 1000 << std::min(failures, 5)));
    std::unique_lock<std::mutex> lock(wake_mutex_);
    wake_.wait_for(lock, pause);
  }
}

std::optional<std::string> Daemon::CheckRealBench(Bench& bench, int64_t job_id) {
  if (bench.spec.kind != BenchKind::kReal) return std::nullopt;
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

JobEnd Daemon::ExecuteJob(Bench& bench, const Job& job) {
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
  if (bench.spec.kind == BenchKind::kReal) options.bench = bench.spec;
  options.firmware_cache = config_.firmware_cache;
  options.interrupted = &bench.cancel;
  options.progress = [this, id = job.id, out = job.out_dir](const run::ProgressEvent& event) {
    // Each finished case is in the local results.db: in a lab, it goes to
    // the shared store now, so a host that dies later loses none of it.
    if (event.case_done && uploader_) uploader_->Upload(out, id);
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
  if (outcome->not_run > 0 && bench.lease_lost) {
    end.state = "queued";  // not recorded: the queue took the job back already
    end.message = "stopped: the lease ran out while the lab store was away";
  } else if (outcome->not_run > 0 && stopping_) {
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
  {
    std::lock_guard<std::mutex> lock(bench.job_mutex);
    bench.cancel = stopping_.load();
    bench.lease_lost = false;
    bench.running_job = job.id;
  }
  BeatSoon();
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
  // The results first: a job is done only once what it measured is stored.
  if (uploader_) uploader_->Upload(job.out_dir, job.id);
  const bool recorded = !bench.lease_lost && RecordEnd(job, end);
  {
    std::lock_guard<std::mutex> lock(bench.job_mutex);
    bench.running_job = 0;
  }
  BeatSoon();
  if (!recorded) {
    std::fprintf(stderr,
                 "hild: job %lld attempt %d ended (%s) after the lab took it back; its end is "
                 "not recorded, its results are\n",
                 static_cast<long long>(job.id), job.attempts, end.state.c_str());
    return;
  }
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

bool Daemon::RecordEnd(const Job& job, const JobEnd& end) {
  // Without a heartbeat the lease runs out: after that the job is the
  // queue's, and its end not this host's to record.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(config_.lab.lease_s);
  for (int tries = 0;; ++tries) {
    Result<bool> finished = false;
    {
      std::lock_guard<std::mutex> lock(store_mutex_);
      finished = store_->Finish(job, end);
    }
    if (finished.ok()) return *finished;
    std::fprintf(stderr, "hild: job %lld: %s\n", static_cast<long long>(job.id),
                 finished.error().ToString().c_str());
    // A single host's database does not come back by waiting; a lab's may,
    // for as long as the lease lasts (then the job is the queue's).
    if (!store_->shared() || stopping_ || std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(8000, 250 << std::min(tries, 5))));
  }
}

void Daemon::PublishEndFromQueue(int64_t id, JobEvents& events) {
  {
    std::lock_guard<std::mutex> lock(events.mutex);
    if (events.done) return;
  }
  for (const auto& bench : benches_)
    if (bench->running_job == id) return;  // ours: it publishes its own end
  Result<std::optional<Job>> job = std::optional<Job>();
  {
    std::lock_guard<std::mutex> lock(store_mutex_);
    job = store_->Get(id);
  }
  if (!job.ok() || !*job) return;
  const Job& ended = **job;
  if (ended.state == "queued" || ended.state == "running") return;
  std::lock_guard<std::mutex> lock(events.mutex);
  if (events.done) return;
  events.lines.push_back(Dump(json{{"event", "finished"},
                                   {"state", ended.state},
                                   {"exit_code", ended.exit_code},
                                   {"message", ended.message},
                                   {"host", ended.host}}));
  events.done = true;
  events.changed.notify_all();
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

}  // namespace hil::daemon
