// hild's HTTP side: the server's limits and error replies, and the routes
// of hil/daemon/API.md.
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hil/daemon/daemon.h"
#include "hil/plan/plan_parser.h"
#include "json_reply.h"
#include "result_upload.h"

namespace hil::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json NeedsJson(const JobNeeds& needs) {
  json wanted = json::object();
  if (!needs.bench.empty()) wanted["bench"] = needs.bench;
  if (!needs.board.empty()) wanted["board"] = needs.board;
  if (!needs.kind.empty()) wanted["kind"] = needs.kind;
  if (!needs.tags.empty()) wanted["tags"] = needs.tags;
  return wanted;
}

// What a job asks for, as a person reads it.
std::string NeedsText(const JobNeeds& needs) {
  std::string text = needs.kind.empty() ? "a" : "a " + needs.kind;
  text += needs.bench.empty() ? " bench" : " bench named " + needs.bench;
  if (!needs.board.empty()) text += " with board " + needs.board;
  for (const std::string& tag : needs.tags) text += ", tag " + tag;
  return text;
}

json JobJson(const Job& job) {
  return {{"id", job.id},
          {"bench", job.bench},
          {"host", job.host},
          {"needs", NeedsJson(job.needs)},
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

// A job's results.json, read without following a link at any step below
// the state folder, and no larger than `limit`. Empty when absent.
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

void Daemon::Routes(httplib::Server& server) {
  server.Get("/health", [this](const httplib::Request&, httplib::Response& response) {
    json benches = json::array();
    std::lock_guard<std::mutex> lock(store_mutex_);
    for (const auto& bench : benches_) {
      const int64_t job = bench->running_job;
      Result<int> queued = store_->QueuedCount(OfferOf(*bench));
      benches.push_back({{"name", bench->spec.name},
                         {"kind", ToText(bench->spec.kind)},
                         {"board", bench->spec.board},
                         {"tags", bench->spec.tags},
                         {"state", job ? "busy" : "idle"},
                         {"job", job ? json(job) : json(nullptr)},
                         {"queued", queued.ok() ? *queued : -1}});
    }
    json reply = {{"status", stopping_ ? "stopping" : "ok"},
                  {"benches", benches},
                  {"event_streams",
                   {{"open", open_streams_.load()},
                    {"limit", config_.limits.event_streams},
                    {"jobs_in_memory", EventLogCount()}}}};
    if (store_->shared()) {
      // Every bench of the lab, as each host last said (LAB.md).
      json lab = json::array();
      Result<std::vector<LabBench>> all = store_->LabBenches();
      for (const LabBench& b : all.ok() ? *all : std::vector<LabBench>()) {
        lab.push_back({{"host", b.bench.host},
                       {"name", b.bench.name},
                       {"kind", b.bench.kind},
                       {"board", b.bench.board},
                       {"probe", b.bench.probe},
                       {"tags", b.bench.tags},
                       {"state", b.state},
                       {"job", b.job ? json(b.job) : json(nullptr)},
                       {"seen_s_ago", std::round(b.seen_s_ago * 10) / 10}});
      }
      reply["lab"] = {{"host", config_.lab.host},
                      {"store", lab::ShownConninfo(config_.lab.store.conninfo)},
                      {"reachable", all.ok()},
                      {"benches", lab},
                      {"uploads_owed", uploader_ ? uploader_->owed() : size_t{0}}};
      if (!all.ok()) reply["lab"]["error"] = all.error().ToString();
    }
    Reply(response, 200, reply);
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
    // A job asks for a kind of bench; the first free bench that has it
    // takes it (here, or on any host of the lab).
    job.needs.bench = submission->bench;
    job.needs.board = submission->board;
    job.needs.tags = submission->tags;
    job.needs.kind = ToText(plan->bench.kind);
    job.out_request = out;
    std::vector<BenchOffer> local;
    for (const auto& bench : benches_) local.push_back(OfferOf(*bench));
    std::lock_guard<std::mutex> lock(store_mutex_);
    Result<bool> exists = store_->AnyBenchMeets(job.needs, local);
    if (!exists.ok()) return ReplyError(response, 503, exists.error().ToString(), 3);
    if (!*exists) {
      std::string names;
      for (const BenchOffer& bench : local) {
        names +=
            (names.empty() ? "" : ", ") + bench.name + " (" + bench.kind + ", " + bench.board + ")";
      }
      ReplyError(response, 400,
                 "no bench " + std::string(store_->shared() ? "in the lab" : "here") + " is " +
                     NeedsText(job.needs) + " (benches here: " + names + ")",
                 2);
      return;
    }
    // A single host places the outputs now; in a lab, the host that takes
    // the job does, under its own state folder.
    if (!store_->shared()) job.out_dir = *JobOutDir(config_.state_dir, out, 0);
    Result<int64_t> id = store_->Submit(job);
    if (!id.ok()) {
      ReplyError(response, 500, id.error().ToString(), 3);
      return;
    }
    if (!store_->shared()) {
      // jobs/ID: the id is known only now.
      job.out_dir = *JobOutDir(config_.state_dir, out, *id);
      const Status placed = store_->SetOutDir(*id, job.out_dir);
      if (!placed.ok()) {
        ReplyError(response, 500, placed.error().ToString(), 3);
        return;
      }
    }
    wake_.notify_all();
    Reply(response, 201,
          {{"id", *id},
           {"bench", job.needs.bench},
           {"needs", NeedsJson(job.needs)},
           {"waits_for", NeedsText(job.needs)},
           {"out", job.out_dir}});
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
      if (bench->Stop(id, false)) {  // after the case in progress
        return Reply(response, 202, {{"id", id}, {"state", "cancelling"}});
      }
    }
    // Running on another host of the lab: its hild stops it on its next
    // heartbeat.
    Result<bool> asked = store_->RequestCancel(id);
    if (!asked.ok()) return ReplyError(response, 500, asked.error().ToString(), 3);
    if (*asked) return Reply(response, 202, {{"id", id}, {"state", "cancelling"}});
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
      if (store_->shared() && (*job)->host != config_.lab.host) {
        return ReplyError(
            response, 404,
            "job " + std::to_string(*id) +
                ((*job)->host.empty() ? " has not started" : " ran on host " + (*job)->host) +
                ": ask its hild, or read the lab store with 'hil report --store'",
            2);
      }
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
                   [events, slot, id, sent = size_t{0}, polled = std::chrono::steady_clock::now(),
                    this](size_t, httplib::DataSink& sink) mutable {
                     // In a lab the job may run on another host: its end is
                     // read from the queue every few seconds.
                     if (store_->shared() &&
                         std::chrono::steady_clock::now() - polled > std::chrono::seconds(2)) {
                       polled = std::chrono::steady_clock::now();
                       PublishEndFromQueue(id, *events);
                     }
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
