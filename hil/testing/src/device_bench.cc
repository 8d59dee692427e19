#include "hil/testing/device_bench.h"

#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hil/daemon/daemon_client.h"
#include "hil/process.h"

namespace hil::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::unique_ptr<DeviceBench>& TheBench() {
  static std::unique_ptr<DeviceBench> bench;
  return bench;
}

// A plan with this one case, as hil run and hild read them.
std::string PlanYaml(const CaseSpec& spec) {
  const auto quoted = [](const std::string& text) { return json(text).dump(); };
  std::ostringstream plan;
  plan << "plan: device-test\n";
  std::string flasher = spec.flasher;
  if (const char* env = std::getenv("HIL_FLASHER"); flasher.empty() && env != nullptr)
    flasher = env;
  if (!flasher.empty()) plan << "bench: {flasher: " << quoted(flasher) << "}\n";
  plan << "networks:\n  " << spec.network << ":\n";
  if (!spec.model.empty()) plan << "    model: " << quoted(spec.model) << "\n";
  if (!spec.workload.empty()) plan << "    workload: " << quoted(spec.workload) << "\n";
  if (!spec.input.empty()) plan << "    input: " << quoted(spec.input) << "\n";
  if (!spec.dataset.empty()) plan << "    dataset: " << quoted(spec.dataset) << "\n";
  plan << "configurations:\n  config:\n";
  if (!spec.model.empty()) {
    plan << "    kernels: " << spec.kernels << "\n    number_format: " << spec.number_format
         << "\n";
  }
  plan << "    fpu: " << (spec.fpu ? "on" : "off") << "\n    optimisation: " << spec.optimisation
       << "\nmatrix: {boards: [" << spec.board << "]}\nmeasurement: {warmup: " << spec.warmup
       << ", runs: " << spec.runs << "}\n";
  return plan.str();
}

Measured FromCase(const json& c) {
  Measured m;
  m.json = c;
  m.id = c.contains("id") && c["id"].is_string() ? c["id"].get<std::string>() : "";
  // A word hil does not write (a reply from elsewhere) is an error.
  const auto status = c.find("status");
  m.status = status != c.end() && status->is_string()
                 ? FromText<Outcome>(status->get<std::string>()).value_or(Outcome::kError)
                 : Outcome::kError;
  if (c.contains("error") && c["error"].is_string()) m.error = c["error"];
  const auto stat = [&](const char* figure, const char* which) {
    if (!c.contains(figure) || !c[figure].is_object() || !c[figure].contains(which) ||
        !c[figure][which].is_number())
      return 0.0;
    return c[figure][which].get<double>();
  };
  m.latency_median_us = stat("latency_us", "median");
  m.energy_median_uj = stat("energy_uJ", "median");
  m.power_mean_mw = stat("power_mW", "mean");
  if (c.contains("verification") && c["verification"].contains("outputs_match") &&
      c["verification"]["outputs_match"].is_boolean()) {
    m.outputs_match = c["verification"]["outputs_match"].get<bool>();
  }
  if (c.contains("dataset") && c["dataset"].is_object() && c["dataset"].contains("top1_accuracy") &&
      c["dataset"]["top1_accuracy"].is_number()) {
    m.top1_accuracy = c["dataset"]["top1_accuracy"].get<double>();
  }
  return m;
}

Measured Failed(const std::string& why) {
  Measured m;
  m.status = Outcome::kError;
  m.error = why;
  return m;
}

Measured FromResults(const std::string& text, const std::string& where) {
  const json results = json::parse(text, nullptr, false);
  if (!results.is_object() || !results.contains("cases") || results["cases"].empty()) {
    return Failed("no case in the results of " + where);
  }
  return FromCase(results["cases"][0]);
}

// A fresh folder for one case's plan and outputs.
fs::path Scratch() {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("hil-testing-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(++counter));
  fs::create_directories(dir);
  return dir;
}

// The virtual bench: hil run, as a user would.
class LocalBench : public DeviceBench {
 public:
  explicit LocalBench(std::string cli) : cli_(std::move(cli)) {}
  std::string Describe() const override { return "the virtual bench (" + cli_ + " run)"; }
  Measured Measure(const CaseSpec& spec) override {
    const fs::path dir = Scratch();
    std::ofstream(dir / "plan.yaml") << PlanYaml(spec);
    // An hour is far beyond any case; a hung hil is not waited for forever.
    Result<ChildOutcome> ran = RunWithDeadline(
        {cli_, "run", (dir / "plan.yaml").string(), "--out", (dir / "out").string()},
        std::chrono::hours(1));
    if (!ran.ok()) return Failed(ran.error().message());
    std::ifstream results(dir / "out" / "results.json");
    if (!results) {
      return Failed("hil run " +
                    std::string(ran->timed_out ? "ran over an hour"
                                               : "exited with " + std::to_string(ran->status())) +
                    " and wrote no results:\n" + ran->output);
    }
    const std::string text((std::istreambuf_iterator<char>(results)),
                           std::istreambuf_iterator<char>());
    Measured measured = FromResults(text, dir.string());
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return measured;
  }

 private:
  std::string cli_;
};

// hild: the plan is submitted, and its results fetched when the job ends.
class DaemonBench : public DeviceBench {
 public:
  explicit DaemonBench(std::string address) : address_(std::move(address)) {}
  std::string Describe() const override { return "hild at " + address_; }
  Measured Measure(const CaseSpec& spec) override {
    std::unique_ptr<httplib::Client> client = Client();
    if (!client)
      return Failed("HIL_BENCH=daemon:" + address_ + ": expected unix:PATH or tcp:HOST:PORT");
    const fs::path dir = Scratch();
    const json request = {{"plan", PlanYaml(spec)},
                          {"plan_path", (dir / "plan.yaml").string()},
                          {"base_dir", dir.string()}};
    httplib::Result submitted = client->Post("/jobs", request.dump(), "application/json");
    if (!submitted) return Failed("cannot reach hild at " + address_);
    if (submitted->status != 201) return Failed("hild refused the case: " + submitted->body);
    const std::string job =
        "/jobs/" + std::to_string(json::parse(submitted->body)["id"].get<int64_t>());
    for (;;) {
      httplib::Result state = client->Get(job);
      if (!state) return Failed("lost hild at " + address_);
      const json body = json::parse(state->body, nullptr, false);
      const std::string s = body.is_object() ? body.value("state", "") : "";
      if (s != "queued" && s != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    httplib::Result results = client->Get(job + "/results");
    if (!results || results->status != 200) return Failed("hild has no results for " + job);
    return FromResults(results->body, address_ + job);
  }

 private:
  std::unique_ptr<httplib::Client> Client() const {
    std::unique_ptr<httplib::Client> client = daemon::DaemonClient(address_);
    if (!client) return nullptr;
    if (const char* token = std::getenv("HILD_TOKEN");
        token != nullptr && address_.rfind("tcp:", 0) == 0)
      client->set_bearer_token_auth(token);
    client->set_read_timeout(std::chrono::minutes(10));
    return client;
  }
  std::string address_;
};

}  // namespace

std::string CaseSpec::Key() const { return PlanYaml(*this); }

void PrintTo(const Measured& m, std::ostream* out) {
  *out << (m.id.empty() ? "a case" : m.id) << " (" << ToText(m.status);
  if (m.status == Outcome::kError) {
    *out << ": " << m.error << ")";
    return;
  }
  *out << ", median latency " << m.latency_median_us << " us, median energy " << m.energy_median_uj
       << " uJ)";
}

std::unique_ptr<DeviceBench> DeviceBench::FromAddress(const std::string& address) {
  if (address.empty() || address == "virtual") {
    const char* cli = std::getenv("HIL_CLI");
    return std::make_unique<LocalBench>(cli != nullptr && *cli != '\0' ? cli
                                                                       : HIL_TESTING_DEFAULT_CLI);
  }
  if (address.rfind("daemon:", 0) == 0) return std::make_unique<DaemonBench>(address.substr(7));
  return nullptr;
}

BenchEnvironment::BenchEnvironment(std::string address) : address_(std::move(address)) {}

void BenchEnvironment::SetUp() {
  std::string address = address_;
  if (address.empty()) {
    const char* env = std::getenv("HIL_BENCH");
    address = env != nullptr ? env : "virtual";
  }
  TheBench() = DeviceBench::FromAddress(address);
  ASSERT_NE(TheBench(), nullptr) << "HIL_BENCH=" << address
                                 << ": expected virtual, daemon:unix:PATH or daemon:tcp:HOST:PORT";
  std::printf("hil::testing: measuring on %s\n", TheBench()->Describe().c_str());
}

void BenchEnvironment::TearDown() { TheBench().reset(); }

DeviceBench& BenchEnvironment::Bench() {
  if (!TheBench()) TheBench() = DeviceBench::FromAddress("virtual");
  return *TheBench();
}

std::map<std::string, Measured>& DeviceTest::Cache() {
  static std::map<std::string, Measured> cache;
  return cache;
}

const Measured& DeviceTest::Measure(const CaseSpec& spec) {
  const std::string key = spec.Key();
  auto found = Cache().find(key);
  if (found == Cache().end())
    found = Cache().emplace(key, BenchEnvironment::Bench().Measure(spec)).first;
  return found->second;
}

}  // namespace hil::testing
