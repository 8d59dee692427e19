#include "submit_command.h"

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "hil/daemon/daemon_client.h"
#include "hil/error.h"
#include "progress_output.h"

namespace hil::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Connection {
  std::string daemon;  // unix:PATH or tcp:HOST:PORT
  std::string token_file;
};

std::string DefaultDaemon() {
  const char* address = std::getenv("HILD_ADDRESS");
  return address != nullptr && *address != '\0' ? address : "unix:/run/hild/hild.sock";
}

// A client for the daemon's address, with the bearer token on TCP.
Result<std::unique_ptr<httplib::Client>> Connect(const Connection& connection) {
  std::unique_ptr<httplib::Client> client = daemon::DaemonClient(connection.daemon);
  if (!client) {
    return ConfigurationError("--daemon " + connection.daemon +
                              ": expected unix:PATH or tcp:HOST:PORT");
  }
  if (connection.daemon.rfind("tcp:", 0) == 0) {
    std::string token;
    if (const char* env = std::getenv("HILD_TOKEN"); env != nullptr) token = env;
    if (!connection.token_file.empty()) {
      std::ifstream in(connection.token_file);
      if (!in || !std::getline(in, token))
        return ConfigurationError("cannot read the token file " + connection.token_file);
    }
    if (token.empty()) {
      return ConfigurationError("TCP needs a token: --token-file FILE or $HILD_TOKEN");
    }
    client->set_bearer_token_auth(token);
  }
  client->set_read_timeout(std::chrono::hours(24));
  return client;
}

// Fields of hild's replies whatever their types: a reply of another version
// (or a proxy's) prints with defaults, it does not abort the command.
std::string TextField(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  if (object[key].is_string()) return object[key].get<std::string>();
  return object[key].is_null() ? "-" : object[key].dump();
}

template <typename Number>
Number NumberField(const json& object, const char* key, Number fallback) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return fallback;
  const double value = object[key].get<double>();
  // A value the type cannot hold is as good as missing.
  if (!(value >= static_cast<double>(std::numeric_limits<Number>::lowest()) &&
        value <= static_cast<double>(std::numeric_limits<Number>::max()))) {
    return fallback;
  }
  return static_cast<Number>(value);
}

bool FlagField(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_boolean() &&
         object[key].get<bool>();
}

// The reply's JSON, or the error the daemon or the transport gave.
Result<json> Call(httplib::Client& client, const Connection& connection,
                  const httplib::Result& result) {
  (void)client;
  if (!result) {
    const std::string why = result.error() == httplib::Error::Connection
                                ? "nothing accepts connections there"
                                : "the connection failed: " + httplib::to_string(result.error());
    return InfrastructureError("cannot reach hild at " + connection.daemon + " (" + why +
                               "); is it running? (hild --config FILE; --daemon or "
                               "$HILD_ADDRESS name where)");
  }
  json body = json::parse(result->body, nullptr, false);
  if (result->status >= 400) {
    std::string message = TextField(body, "error");
    if (message.empty()) message = result->body.substr(0, 500);
    const int code = NumberField(body, "exit_code", 3);
    return Error(code == 2 ? ErrorKind::kConfiguration : ErrorKind::kInfrastructure, message);
  }
  if (body.is_discarded()) return InfrastructureError("hild sent something that is not JSON");
  return body;
}

int Fail(const Error& error, const char* command) {
  // The class of the error too: it is what the exit code says.
  std::fprintf(stderr, "hil %s: %s\n", command, error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

struct SubmitArguments {
  std::string plan, bench, out;
  std::string board;              // routing: a bench with this board
  std::vector<std::string> tags;  // routing: a bench with every one of these tags
  bool wait = false;
};

int Submit(const SubmitArguments& arguments, const Connection& connection) {
  std::ifstream file(arguments.plan);
  if (!file) return Fail(ConfigurationError("cannot read the plan " + arguments.plan), "submit");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Result<std::unique_ptr<httplib::Client>> client = Connect(connection);
  if (!client.ok()) return Fail(client.error(), "submit");
  json request = {{"plan", text},
                  {"plan_path", arguments.plan},
                  {"base_dir", fs::absolute(arguments.plan).parent_path().string()}};
  if (!arguments.bench.empty()) request["bench"] = arguments.bench;
  if (!arguments.board.empty()) request["board"] = arguments.board;
  if (!arguments.tags.empty()) request["tags"] = arguments.tags;
  // A folder inside hild's state folder, as hild resolves it (API.md).
  if (!arguments.out.empty()) request["out"] = arguments.out;
  Result<json> reply =
      Call(**client, connection, (*client)->Post("/jobs", request.dump(), "application/json"));
  if (!reply.ok()) return Fail(reply.error(), "submit");
  if (!reply->is_object() || !(*reply)["id"].is_number_integer()) {
    return Fail(InfrastructureError("hild's reply to the submission has no job id: " +
                                    reply->dump().substr(0, 200)),
                "submit");
  }
  const int64_t id = (*reply)["id"].get<int64_t>();
  // Which bench takes it is decided when one that meets it is free.
  const std::string waits = TextField(*reply, "waits_for");
  const std::string out = TextField(*reply, "out");
  std::printf("job %lld queued for %s%s%s\n", static_cast<long long>(id),
              waits.empty() ? ("bench " + TextField(*reply, "bench")).c_str() : waits.c_str(),
              out.empty() ? "" : " (outputs in ", out.empty() ? "" : (out + ")").c_str());
  std::fflush(stdout);
  if (!arguments.wait) return 0;

  // Follow the event stream until the job ends.
  std::string buffer;
  int exit_code = -1;
  run::ProgressPrinter printer = StderrProgress(false);
  const std::string path = "/jobs/" + std::to_string(id) + "/events";
  httplib::Result streamed = (*client)->Get(path, [&](const char* data, size_t length) {
    buffer.append(data, length);
    size_t end = 0;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      const std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      const json line = json::parse(event.substr(6), nullptr, false);
      if (!line.is_object()) continue;
      const std::string kind = TextField(line, "event");
      if (kind == "progress") {
        run::ProgressEvent progress;
        progress.index = NumberField(line, "case", 0u);
        progress.count = NumberField(line, "cases", 0u);
        progress.case_id = TextField(line, "id"), progress.step = TextField(line, "step");
        progress.elapsed_s = NumberField(line, "elapsed_s", 0.0);
        progress.left_s = NumberField(line, "left_s", -1.0);
        progress.case_done = FlagField(line, "case_done");
        printer.Show(progress);
      } else if (kind == "started") {
        std::fprintf(stderr, "job %lld started on %s (attempt %d)\n", static_cast<long long>(id),
                     TextField(line, "bench").c_str(), NumberField(line, "attempt", 1));
      } else if (kind == "finished") {
        printer.Finish();
        // An exit code outside the documented ones is hild's fault, not the plan's.
        exit_code = NumberField(line, "exit_code", 3);
        if (exit_code < 0 || exit_code > 3) exit_code = 3;
        return false;  // the job ended: stop reading
      }
    }
    return true;
  });
  if (exit_code < 0) {
    return Fail(
        InfrastructureError("the event stream of job " + std::to_string(id) + " ended early (" +
                            (streamed ? "hild is stopping" : httplib::to_string(streamed.error())) +
                            "); 'hil jobs' shows its state"),
        "submit");
  }
  Result<json> job = Call(**client, connection, (*client)->Get("/jobs/" + std::to_string(id)));
  if (!job.ok()) return Fail(job.error(), "submit");
  const std::string summary = TextField(*job, "summary");
  if (!summary.empty()) std::printf("\n%s", summary.c_str());
  if (const std::string message = TextField(*job, "message"); !message.empty()) {
    std::fprintf(stderr, "job %lld: %s\n", static_cast<long long>(id), message.c_str());
  }
  std::printf("\njob %lld %s; results: %s/report.html, results.json, results.csv, junit.xml\n",
              static_cast<long long>(id), TextField(*job, "state").c_str(),
              TextField(*job, "out").c_str());
  return exit_code;
}

int Jobs(const Connection& connection) {
  Result<std::unique_ptr<httplib::Client>> client = Connect(connection);
  if (!client.ok()) return Fail(client.error(), "jobs");
  Result<json> reply = Call(**client, connection, (*client)->Get("/jobs"));
  if (!reply.ok()) return Fail(reply.error(), "jobs");
  std::printf("%-6s %-12s %-16s %-20s %-10s %-5s %-24s %s\n", "job", "host", "bench", "plan",
              "state", "exit", "submitted", "message");
  if (!reply->is_object() || !(*reply)["jobs"].is_array()) {
    return Fail(InfrastructureError("hild's reply has no job list"), "jobs");
  }
  for (const json& job : (*reply)["jobs"]) {
    if (!job.is_object()) continue;
    std::printf("%-6s %-12s %-16s %-20s %-10s %-5s %-24s %s\n", TextField(job, "id").c_str(),
                TextField(job, "host").c_str(), TextField(job, "bench").c_str(),
                TextField(job, "plan").c_str(), TextField(job, "state").c_str(),
                TextField(job, "exit_code").c_str(), TextField(job, "submitted").c_str(),
                TextField(job, "message").c_str());
  }
  return 0;
}

int Cancel(int64_t id, const Connection& connection) {
  Result<std::unique_ptr<httplib::Client>> client = Connect(connection);
  if (!client.ok()) return Fail(client.error(), "cancel");
  Result<json> reply =
      Call(**client, connection, (*client)->Post("/jobs/" + std::to_string(id) + "/cancel"));
  if (!reply.ok()) return Fail(reply.error(), "cancel");
  std::printf("job %lld: %s\n", static_cast<long long>(id), TextField(*reply, "state").c_str());
  return 0;
}

void AddConnection(CLI::App* command, Connection& connection) {
  connection.daemon = DefaultDaemon();
  command->add_option("--daemon", connection.daemon,
                      "hild's address: unix:PATH or tcp:HOST:PORT (default $HILD_ADDRESS, else "
                      "unix:/run/hild/hild.sock)");
  command->add_option("--token-file", connection.token_file,
                      "The bearer token for TCP (default $HILD_TOKEN)");
}

}  // namespace

void AddDaemonCommands(CLI::App& app, int& exit_code) {
  auto connection = std::make_shared<Connection>();
  auto submit = std::make_shared<SubmitArguments>();
  CLI::App* submit_command = app.add_subcommand(
      "submit",
      "Queue a plan on hild, the bench daemon; with --wait, follow its progress and end\n"
      "as 'hil run' would (the summary table and the same exit code). Files the plan\n"
      "names are read by hild on its own host, from the plan's folder.\n\n"
      "Examples:\n"
      "  hil submit testplans/quickstart.yaml --wait\n"
      "  hil submit testplans/nightly.yaml --bench lab-m4 --daemon tcp:127.0.0.1:8470 \\\n"
      "      --token-file ~/.config/hil/token\n\n"
      "Exit codes: without --wait 0 queued, 2 the plan is wrong, 3 hild cannot be\n"
      "reached; with --wait those of 'hil run'.");
  submit_command->add_option("plan", submit->plan, "The plan (YAML)")->required();
  submit_command->add_option("--bench", submit->bench,
                             "The bench to run on (default: the first free one of the plan's "
                             "kind, in a lab on any host)");
  submit_command->add_option("--board", submit->board,
                             "Only a bench with this board profile (see 'hil boards')");
  submit_command->add_option("--tag", submit->tags,
                             "Only a bench with this tag (a bench file's tags:); repeatable");
  submit_command->add_option(
      "--out", submit->out,
      "Output folder inside hild's state folder, relative to it (default: jobs/ID)");
  submit_command->add_flag("--wait", submit->wait, "Follow the job until it ends");
  AddConnection(submit_command, *connection);
  submit_command->callback(
      [submit, connection, &exit_code] { exit_code = Submit(*submit, *connection); });

  auto jobs_connection = std::make_shared<Connection>();
  CLI::App* jobs_command = app.add_subcommand(
      "jobs", "List hild's jobs: bench, plan, state, exit code.\n\nExamples:\n  hil jobs");
  AddConnection(jobs_command, *jobs_connection);
  jobs_command->callback([jobs_connection, &exit_code] { exit_code = Jobs(*jobs_connection); });

  auto cancel_connection = std::make_shared<Connection>();
  auto cancel_id = std::make_shared<int64_t>(0);
  CLI::App* cancel_command = app.add_subcommand(
      "cancel",
      "Cancel a job: a queued one never starts, a running one stops after its current\n"
      "case (finished cases are kept).\n\nExamples:\n  hil cancel 12");
  cancel_command->add_option("job", *cancel_id, "The job's number")->required();
  AddConnection(cancel_command, *cancel_connection);
  cancel_command->callback([cancel_id, cancel_connection, &exit_code] {
    exit_code = Cancel(*cancel_id, *cancel_connection);
  });
}

}  // namespace hil::cli
