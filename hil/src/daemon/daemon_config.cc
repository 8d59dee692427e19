// hild's configuration from its bench file, and the small rules that
// decide what a client may ask of it: where outputs go, who is authorised.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "hil/daemon/daemon.h"

namespace hil::daemon {
namespace {

namespace fs = std::filesystem;

std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1) + ":" +
         std::to_string(node.Mark().column + 1) + ": ";
}

// A positive whole number no larger than `most`.
template <typename T>
Status ReadLimit(const std::string& path, const YAML::Node& limits, const char* key, T& out,
                 T most) {
  const YAML::Node node = limits[key];
  if (!node) return OkStatus();
  long long value = 0;
  try {
    value = node.as<long long>();
  } catch (const YAML::Exception&) {
    value = -1;
  }
  if (value < 1 || static_cast<unsigned long long>(value) > static_cast<unsigned long long>(most)) {
    return ConfigurationError(Where(path, node) + "limits." + key +
                              " must be a whole number from 1 to " + std::to_string(most));
  }
  out = static_cast<T>(value);
  return OkStatus();
}

Status ReadLimits(const std::string& path, const YAML::Node& node, DaemonLimits& limits) {
  if (!node) return OkStatus();
  const std::set<std::string> known = {"body_bytes",         "event_streams", "plan_bytes",
                                       "max_attempts",       "jobs_listed",   "results_bytes",
                                       "finished_event_logs"};
  if (!node.IsMap()) return ConfigurationError(Where(path, node) + "limits must be a mapping");
  for (const auto& entry : node) {
    if (known.count(entry.first.Scalar()) == 0) {
      std::string names;
      for (const std::string& name : known) names += (names.empty() ? "" : ", ") + name;
      return ConfigurationError(Where(path, entry.first) + "unknown key '" + entry.first.Scalar() +
                                "' in limits (" + names + ")");
    }
  }
  constexpr size_t kGiB = size_t{1} << 30;
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "body_bytes", limits.body_bytes, kGiB));
  // Each stream holds a server thread: the pool is sized from this.
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "event_streams", limits.event_streams, size_t{1024}));
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "plan_bytes", limits.plan_bytes, kGiB));
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "max_attempts", limits.max_attempts, 100));
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "jobs_listed", limits.jobs_listed, size_t{100000}));
  HIL_RETURN_IF_ERROR(ReadLimit(path, node, "results_bytes", limits.results_bytes, kGiB));
  HIL_RETURN_IF_ERROR(
      ReadLimit(path, node, "finished_event_logs", limits.finished_event_logs, size_t{1000000}));
  return OkStatus();
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

bool AuthorizedBearer(const std::string& header, const std::string& token) {
  const size_t space = header.find(' ');
  std::string scheme = header.substr(0, space);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string given = space == std::string::npos ? std::string() : header.substr(space + 1);
  const size_t start = given.find_first_not_of(' ');
  given = start == std::string::npos ? std::string() : given.substr(start);
  // Both checks run whatever the first says.
  const bool bearer = scheme == "bearer";
  const bool same = SameSecret(given, token);
  return bearer && same;
}

Result<std::string> JobOutDir(const std::string& state_dir, const std::string& requested,
                              int64_t id) {
  const fs::path state = fs::path(state_dir).lexically_normal();
  if (requested.empty()) return (state / "jobs" / std::to_string(id)).string();
  const fs::path wanted = requested;
  const fs::path out = (wanted.is_absolute() ? wanted : state / wanted).lexically_normal();
  const fs::path inside = out.lexically_relative(state);
  const bool escapes =
      std::any_of(wanted.begin(), wanted.end(), [](const fs::path& part) { return part == ".."; });
  if (escapes || inside.empty() || inside == "." || *inside.begin() == ".." ||
      requested.find('\0') != std::string::npos) {
    return ConfigurationError(
        "out '" + requested + "': a job's outputs go inside hild's state folder (" +
        state.string() + "); give a folder name relative to it, without '..'");
  }
  const std::string first = inside.begin()->string();
  if (first.rfind("jobs.db", 0) == 0 || first.rfind("hild.", 0) == 0) {
    return ConfigurationError("out '" + requested + "' is one of hild's own files");
  }
  return out.string();
}

Result<Submission> ParseSubmission(const std::string& body, const std::string& state_dir) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  const auto text_field = [&json](const char* key) {
    return json.is_object() && json.contains(key) && !json[key].is_string();
  };
  if (json.is_discarded() || !json.is_object() || !json.contains("plan") ||
      !json["plan"].is_string() || text_field("plan_path") || text_field("base_dir") ||
      text_field("bench") || text_field("out")) {
    return ConfigurationError(
        "expected JSON {\"plan\": YAML text, \"plan_path\": string, \"base_dir\": absolute "
        "folder, \"bench\": string (optional), \"out\": folder inside the state folder "
        "(optional)}");
  }
  Submission submission;
  submission.plan = json["plan"].get<std::string>();
  submission.plan_path = json.value("plan_path", std::string("plan.yaml"));
  submission.base_dir = json.value("base_dir", std::string());
  submission.bench = json.value("bench", std::string());
  submission.out = json.value("out", std::string());
  const auto bad = [](const std::string& text) {
    return text.size() > 4096 || text.find('\0') != std::string::npos;
  };
  if (submission.plan_path.empty() || bad(submission.plan_path)) {
    return ConfigurationError("plan_path must be a file name of 1 to 4096 characters");
  }
  if (submission.base_dir.empty()) submission.base_dir = state_dir;
  if (!fs::path(submission.base_dir).is_absolute() || bad(submission.base_dir)) {
    return ConfigurationError(
        "base_dir must be an absolute folder (where the plan's relative paths start)");
  }
  if (bad(submission.bench) || bad(submission.out)) {
    return ConfigurationError("bench and out are names of at most 4096 characters");
  }
  // Where the outputs would go, checked before anything is stored.
  if (Result<std::string> out = JobOutDir(state_dir, submission.out, 0); !out.ok()) {
    return out.error();
  }
  return submission;
}

Result<DaemonConfig> ReadDaemonConfig(const std::string& path) {
  // The bench part reads and checks the file (and reports a bad one); the
  // daemon's own keys are read from the same, now known good, YAML.
  DaemonConfig config;
  Result<std::vector<BenchSpec>> benches = bench::ReadBenchFile(path);
  if (!benches.ok()) return benches.error();
  config.benches = std::move(*benches);
  std::error_code error;
  const fs::path base = fs::absolute(path, error).parent_path();
  const auto resolve = [&](const std::string& p) { return (base / p).lexically_normal().string(); };
  try {
    const YAML::Node root = YAML::LoadFile(path);
    config.state_dir = resolve(root["state_dir"] ? root["state_dir"].as<std::string>() : "hild");
    config.socket_path = root["socket"] ? resolve(root["socket"].as<std::string>())
                                        : (fs::path(config.state_dir) / "hild.sock").string();
    if (root["firmware_cache"])
      config.firmware_cache = resolve(root["firmware_cache"].as<std::string>());
    if (const YAML::Node roots = root["roots"]) {
      if (!roots.IsSequence()) {
        return ConfigurationError(Where(path, roots) +
                                  "roots must list folders, as in [/srv/models, /srv/plans]");
      }
      for (const YAML::Node& entry : roots) {
        const std::string folder = resolve(entry.as<std::string>());
        std::error_code missing;
        const fs::path real = fs::canonical(folder, missing);
        if (missing || !fs::is_directory(real, missing)) {
          return ConfigurationError(Where(path, entry) + "root " + folder +
                                    " is not a folder here");
        }
        if (real == real.root_path()) {
          return ConfigurationError(Where(path, entry) +
                                    "root / would let plans read every file hild can");
        }
        config.roots.push_back(real.string());
      }
    }
    HIL_RETURN_IF_ERROR(ReadLimits(path, root["limits"], config.limits));
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

}  // namespace hil::daemon
