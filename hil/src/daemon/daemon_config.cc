// hild's configuration from its bench file, and the small rules that
// decide what a client may ask of it: where outputs go, who is authorised.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "hil/daemon/daemon.h"
#include "hil/yaml_reader.h"

namespace hil::daemon {
namespace {

namespace fs = std::filesystem;

void ReadLimits(YamlReader& reader, const YAML::Node& node, DaemonLimits& limits) {
  if (!node || !reader.Mapping(node, "limits",
                               {"body_bytes", "event_streams", "plan_bytes", "max_attempts",
                                "jobs_listed", "results_bytes", "finished_event_logs"}))
    return;
  constexpr size_t kGiB = size_t{1} << 30;
  reader.Count<size_t>(node, "body_bytes", "limits", limits.body_bytes, 1, kGiB);
  // Each stream holds a server thread: the pool is sized from this.
  reader.Count<size_t>(node, "event_streams", "limits", limits.event_streams, 1, 1024);
  reader.Count<size_t>(node, "plan_bytes", "limits", limits.plan_bytes, 1, kGiB);
  reader.Count<int>(node, "max_attempts", "limits", limits.max_attempts, 1, 100);
  reader.Count<size_t>(node, "jobs_listed", "limits", limits.jobs_listed, 1, 100000);
  reader.Count<size_t>(node, "results_bytes", "limits", limits.results_bytes, 1, kGiB);
  reader.Count<size_t>(node, "finished_event_logs", "limits", limits.finished_event_logs, 1,
                       1000000);
}

void ReadRoots(YamlReader& reader, const YAML::Node& roots,
               const std::function<std::string(const std::string&)>& resolve,
               std::vector<std::string>& out) {
  if (!roots.IsSequence()) {
    reader.Problem(roots, "roots must list folders, as in [/srv/models, /srv/plans]");
    return;
  }
  for (const YAML::Node& entry : roots) {
    std::string text;
    if (!reader.Scalar(entry, "a root", text)) continue;
    const std::string folder = resolve(text);
    std::error_code missing;
    const fs::path real = fs::canonical(folder, missing);
    if (missing || !fs::is_directory(real, missing)) {
      reader.Problem(entry, "root " + folder + " is not a folder here");
    } else if (real == real.root_path()) {
      reader.Problem(entry, "root / would let plans read every file hild can");
    } else {
      out.push_back(real.string());
    }
  }
}

void ReadTcp(YamlReader& reader, const YAML::Node& tcp,
             const std::function<std::string(const std::string&)>& resolve, DaemonConfig& config) {
  if (!reader.Mapping(tcp, "tcp", {"port", "address", "token_file"})) return;
  reader.Count<int>(tcp, "port", "tcp", config.tcp_port, 0, 65535);
  reader.String(tcp, "address", "tcp", config.tcp_address);
  std::string token_file;
  if (!tcp["token_file"]) {
    reader.Problem(tcp, "tcp needs token_file: no token, no access over TCP");
    return;
  }
  if (!reader.Scalar(tcp["token_file"], "tcp.token_file", token_file)) return;
  token_file = resolve(token_file);
  std::ifstream in(token_file);
  if (!in || !std::getline(in, config.token) || config.token.size() < 16) {
    reader.Problem(tcp["token_file"],
                   token_file + ": needs a token of at least 16 characters on its first line");
  }
}

void ReadLab(YamlReader& reader, const YAML::Node& lab,
             const std::function<std::string(const std::string&)>& resolve, LabConfig& config) {
  if (!reader.Mapping(lab, "lab", {"store", "password_file", "host", "lease_s"})) return;
  if (!lab["store"]) {
    reader.Problem(lab, "lab needs store: a PostgreSQL connection string or postgresql:// URI");
    return;
  }
  reader.String(lab, "store", "lab", config.store.conninfo);
  if (const Status checked = lab::CheckConninfo(config.store.conninfo); !checked.ok()) {
    reader.Problem(lab["store"], checked.error().message());
  }
  std::string password_file;
  reader.String(lab, "password_file", "lab", password_file);
  if (!password_file.empty()) {
    password_file = resolve(password_file);
    std::ifstream in(password_file);
    if (!in || !std::getline(in, config.store.password) || config.store.password.empty()) {
      reader.Problem(lab["password_file"],
                     password_file + ": needs the database password on its first line");
    }
  }
  reader.String(lab, "host", "lab", config.host);
  if (config.host.empty()) {
    char name[256] = {};
    ::gethostname(name, sizeof(name) - 1);
    config.host = name;
  }
  if (!bench::ValidTag(config.host)) {
    reader.Problem(lab["host"] ? lab["host"] : lab,
                   "host '" + config.host.substr(0, 64) +
                       "': a host name is 1 to 64 letters, digits, '.', '_' or '-'");
  }
  // Below 3 s a heartbeat every second leaves no slack for a busy database.
  reader.Count<int>(lab, "lease_s", "lab", config.lease_s, 3, 3600);
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
      text_field("bench") || text_field("out") || text_field("board") ||
      (json.contains("tags") && !json["tags"].is_array())) {
    return ConfigurationError(
        "expected JSON {\"plan\": YAML text, \"plan_path\": string, \"base_dir\": absolute "
        "folder, \"bench\": string (optional), \"board\": string (optional), \"tags\": "
        "[strings] (optional), \"out\": folder inside the state folder (optional)}");
  }
  Submission submission;
  submission.plan = json["plan"].get<std::string>();
  submission.plan_path = json.value("plan_path", std::string("plan.yaml"));
  submission.base_dir = json.value("base_dir", std::string());
  submission.bench = json.value("bench", std::string());
  submission.out = json.value("out", std::string());
  submission.board = json.value("board", std::string());
  if (json.contains("tags")) {
    for (const nlohmann::json& tag : json["tags"]) {
      if (!tag.is_string() || !bench::ValidTag(tag.get<std::string>()) ||
          submission.tags.size() >= 32) {
        return ConfigurationError(
            "tags: at most 32 tags, each 1 to 64 letters, digits, '.', '_' or '-'");
      }
      submission.tags.push_back(tag.get<std::string>());
    }
  }
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
  if (bad(submission.bench) || bad(submission.out) || bad(submission.board)) {
    return ConfigurationError("bench, board and out are names of at most 4096 characters");
  }
  // Where the outputs would go, checked before anything is stored.
  if (Result<std::string> out = JobOutDir(state_dir, submission.out, 0); !out.ok()) {
    return out.error();
  }
  return submission;
}

Result<DaemonConfig> ReadDaemonConfig(const std::string& path) {
  Result<std::string> text = YamlReader::ReadFile(path, bench::kMaxBenchFileBytes, "bench file");
  if (!text.ok()) return text.error();
  YamlReader reader(path);
  YAML::Node root;
  if (!reader.Load(*text, root)) return reader.ToError();
  // The benches and hild's own keys, read by one reader: every problem of
  // the file is reported at once.
  DaemonConfig config;
  config.benches = bench::ReadBenches(reader, root);
  if (!root.IsMap()) return reader.ToError();
  std::error_code error;
  const fs::path base = fs::absolute(path, error).parent_path();
  const std::function<std::string(const std::string&)> resolve = [&](const std::string& p) {
    return (base / p).lexically_normal().string();
  };
  std::string state_dir = "hild", socket, firmware_cache;
  reader.String(root, "state_dir", "the bench file", state_dir);
  reader.String(root, "socket", "the bench file", socket);
  reader.String(root, "firmware_cache", "the bench file", firmware_cache);
  config.state_dir = resolve(state_dir);
  config.socket_path =
      socket.empty() ? (fs::path(config.state_dir) / "hild.sock").string() : resolve(socket);
  if (!firmware_cache.empty()) config.firmware_cache = resolve(firmware_cache);
  if (const YAML::Node roots = root["roots"]) ReadRoots(reader, roots, resolve, config.roots);
  ReadLimits(reader, root["limits"], config.limits);
  if (const YAML::Node tcp = root["tcp"]) ReadTcp(reader, tcp, resolve, config);
  if (const YAML::Node lab = root["lab"]) ReadLab(reader, lab, resolve, config.lab);
  if (!reader.ok()) return reader.ToError();
  return config;
}

}  // namespace hil::daemon
