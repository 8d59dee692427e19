#include "hil/mlperf/energyrunner.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hil/measure/statistics.h"
#include "hil/run/case_result.h"
#include "hil/run/results_json.h"

namespace hil::mlperf {
namespace {

namespace fs = std::filesystem;

// The file named `name` in the folder, as the runner or a submitter's
// "energy_"-prefixed copy names it; empty when neither is there.
std::string SessionFile(const std::string& folder, const std::string& name,
                        const std::string& prefix) {
  for (const std::string& candidate : {prefix + name, std::string("energy_") + name, name}) {
    const fs::path path = fs::path(folder) / candidate;
    std::error_code error;
    if (fs::is_regular_file(path, error)) return path.string();
  }
  return {};
}

Result<std::string> ReadBounded(const std::string& path, uint64_t max_bytes) {
  std::error_code error;
  const uint64_t size = fs::file_size(path, error);
  if (error) return InfrastructureError("cannot read " + path + ": " + error.message());
  if (size > max_bytes) {
    return ConfigurationError(path + " is " + std::to_string(size) + " bytes, over the " +
                              std::to_string(max_bytes >> 20) + " MiB an EnergyRunner file may be");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return InfrastructureError("cannot open " + path);
  std::string bytes(size, '\0');
  file.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(file.gcount()) != size) {
    return InfrastructureError("cannot read " + path + " whole");
  }
  return bytes;
}

float LittleEndianFloat(const char* bytes) {
  uint32_t bits = 0;
  for (int i = 3; i >= 0; --i) bits = bits << 8 | static_cast<uint8_t>(bytes[i]);
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

void PutLittleEndianFloat(std::string& out, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 4; ++i) out += static_cast<char>(bits >> (8 * i) & 0xFF);
}

Status ReadTrace(const std::string& path, EnergyRunnerSession& session) {
  Result<std::string> bytes = ReadBounded(path, kMaxTraceBytes);
  if (!bytes.ok()) return bytes.error();
  const std::string& data = *bytes;
  if (data.size() < 5 || static_cast<uint8_t>(data[0]) != kTraceMagic) {
    return ConfigurationError(path +
                              " is not an EnergyRunner energy trace: it must start with the byte "
                              "0xF1 and a float32 sample rate");
  }
  session.sample_rate_hz = LittleEndianFloat(data.data() + 1);
  if (!std::isfinite(session.sample_rate_hz) || session.sample_rate_hz < 1 ||
      session.sample_rate_hz > 10e6) {
    return ConfigurationError(path + ": a sample rate of " +
                              std::to_string(session.sample_rate_hz) +
                              " Hz is not one a power monitor has (1 Hz to 10 MHz)");
  }
  const size_t body = data.size() - 5;
  if (body % 4 != 0) {
    return ConfigurationError(path + " is truncated: " + std::to_string(body % 4) +
                              " stray bytes after its last whole sample");
  }
  if (body == 0) return ConfigurationError(path + " holds no samples");
  session.energy_uj.resize(body / 4);
  for (size_t i = 0; i < session.energy_uj.size(); ++i) {
    const float value = LittleEndianFloat(data.data() + 5 + 4 * i);
    if (!std::isfinite(value) || std::fabs(value) > 1e9) {
      return ConfigurationError(path + ": sample " + std::to_string(i) + " is " +
                                std::to_string(value) + ", not an energy in uJ");
    }
    session.energy_uj[i] = value;
  }
  return OkStatus();
}

Status ReadTimestamps(const std::string& path, EnergyRunnerSession& session) {
  Result<std::string> text = ReadBounded(path, 1 << 20);
  if (!text.ok()) return text.error();
  const nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_array()) {
    return ConfigurationError(path + " is not a JSON list of timestamps in seconds");
  }
  for (const nlohmann::json& value : json) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return ConfigurationError(path + " holds " + value.dump() + ", not a time in seconds");
    }
    session.timestamps_s.push_back(value.get<double>());
  }
  const size_t n = session.timestamps_s.size();
  if (n < 3 || n % 2 == 0) {
    return ConfigurationError(path + " has " + std::to_string(n) +
                              " timestamps; a session has the start and then a begin and an end "
                              "per window (an odd count, at least 3)");
  }
  for (size_t i = 1; i < n; ++i) {
    if (session.timestamps_s[i] <= session.timestamps_s[i - 1]) {
      return ConfigurationError(path + ": timestamp " + std::to_string(i) + " (" +
                                std::to_string(session.timestamps_s[i]) +
                                " s) does not come after the one before it");
    }
  }
  const double end = session.duration_s() + 1.0 / session.sample_rate_hz;
  if (session.timestamps_s.back() > end || session.timestamps_s.front() < 0) {
    return ConfigurationError(path + ": its last window ends at " +
                              std::to_string(session.timestamps_s.back()) +
                              " s, past the trace's " + std::to_string(session.duration_s()) +
                              " s (the trace is truncated, or belongs to another session)");
  }
  return OkStatus();
}

// The text between `open` and the next `close` after it, from `from`.
std::string Between(const std::string& line, const std::string& open, const std::string& close) {
  const size_t at = line.find(open);
  if (at == std::string::npos) return {};
  const size_t begin = at + open.size();
  const size_t end = line.find(close, begin);
  return end == std::string::npos ? std::string() : line.substr(begin, end - begin);
}

std::optional<uint64_t> Whole(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoull(text);
}

Status ReadLog(const std::string& path, EnergyRunnerSession& session) {
  Result<std::string> text = ReadBounded(path, kMaxTextBytes);
  if (!text.ok()) return text.error();
  std::istringstream lines(*text);
  std::string line, configured_model, dut_model;
  std::vector<uint32_t> infer_counts;
  std::optional<uint64_t> iter_infer;
  while (std::getline(lines, line)) {
    if (std::string id = Between(line, "m-session-start-id[", "]"); !id.empty()) {
      session.session_id = id;
    }
    if (std::string model = Between(line, "m-model-[", "]"); !model.empty()) dut_model = model;
    if (std::string model = Between(line, "key[model]-val[", "]"); !model.empty()) {
      configured_model = model;
    }
    if (std::optional<uint64_t> mv = Whole(Between(line, "m-voltage-mv[", "]"))) {
      session.supply_v = static_cast<double>(*mv) / 1000.0;
    }
    if (std::optional<uint64_t> n = Whole(Between(line, "key[iterInfer]-val[", "]"))) {
      iter_infer = n;
    }
    // The sequencer's command, once per window: Command "io dut infer N W".
    if (std::string command = Between(line, "Command \"io dut infer ", "\""); !command.empty()) {
      if (std::optional<uint64_t> n = Whole(command.substr(0, command.find(' ')))) {
        infer_counts.push_back(static_cast<uint32_t>(*n));
      }
    }
  }
  session.model = !dut_model.empty() ? dut_model : configured_model;
  const size_t windows = session.timestamps_s.size() / 2;
  std::vector<uint32_t> per_window;
  if (infer_counts.size() == windows) {
    per_window = infer_counts;
  } else if (iter_infer && *iter_infer > 0) {
    per_window.assign(windows, static_cast<uint32_t>(*iter_infer));
  } else {
    return ConfigurationError(
        path + " does not say how many inferences each window holds: it has " +
        std::to_string(infer_counts.size()) + " 'io dut infer N' commands for " +
        std::to_string(windows) + " windows, and no iterInfer setting");
  }
  for (size_t w = 0; w < windows; ++w) {
    if (per_window[w] == 0) {
      return ConfigurationError(path + ": window " + std::to_string(w + 1) +
                                " ran 'infer 0'; a window needs at least one inference");
    }
    EnergyRunnerWindow window;
    window.begin_s = session.timestamps_s[1 + 2 * w];
    window.end_s = session.timestamps_s[2 + 2 * w];
    window.inferences = per_window[w];
    window.energy_uj = EnergyBetween(session, window.begin_s, window.end_s);
    session.windows.push_back(window);
  }
  return OkStatus();
}

// The runner's results.txt: its window energies and median, to set beside
// hil's. A number it cannot read is left out, not guessed.
void ReadRunnerResults(const std::string& path, EnergyRunnerSession& session) {
  Result<std::string> text = ReadBounded(path, 1 << 20);
  if (!text.ok()) return;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto number_after = [&line](const std::string& label) -> std::optional<double> {
      const size_t at = line.find(label);
      if (at == std::string::npos) return std::nullopt;
      const char* start = line.c_str() + at + label.size();
      char* end = nullptr;
      const double value = std::strtod(start, &end);
      if (end == start || !std::isfinite(value)) return std::nullopt;
      return value;
    };
    if (std::optional<double> energy = number_after("Energy       :")) {
      session.runner_window_energy_uj.push_back(*energy);
    }
    if (std::optional<double> median = number_after("Median energy cost is")) {
      session.runner_median_uj_per_inference = *median;
    }
  }
}

// At most ~1500 points over the whole trace (min and max of each stretch),
// as current when the supply is known, else as power.
run::TraceSnippet Downsampled(const EnergyRunnerSession& session) {
  run::TraceSnippet trace;
  if (session.supply_v <= 0) return trace;
  const size_t n = session.energy_uj.size();
  const size_t stretch = std::max<size_t>(1, n / 750);
  // uJ per sample period -> uW -> mA at the supply voltage.
  const double to_ma = session.sample_rate_hz / session.supply_v * 1e-3;
  for (size_t begin = 0; begin < n; begin += stretch) {
    const size_t end = std::min(n, begin + stretch);
    const auto [low, high] =
        std::minmax_element(session.energy_uj.begin() + begin, session.energy_uj.begin() + end);
    const double t = begin / session.sample_rate_hz;
    trace.time_s.push_back(t);
    trace.current_ma.push_back(*low * to_ma);
    if (end - begin > 1) {
      trace.time_s.push_back((end - 1) / session.sample_rate_hz);
      trace.current_ma.push_back(*high * to_ma);
    }
  }
  trace.window_start_s = session.windows.front().begin_s;
  trace.window_end_s = session.windows.front().end_s;
  for (const EnergyRunnerWindow& w : session.windows)
    trace.windows_s.push_back({w.begin_s, w.end_s});
  return trace;
}

}  // namespace

double EnergyBetween(const EnergyRunnerSession& session, double from_s, double to_s) {
  const double rate = session.sample_rate_hz;
  const double a = std::max(0.0, from_s * rate);
  const double b = std::min(static_cast<double>(session.energy_uj.size()), to_s * rate);
  if (!(b > a)) return 0;
  const size_t first = static_cast<size_t>(a), last = static_cast<size_t>(b);
  if (first == last) return session.energy_uj[first] * (b - a);
  double sum = session.energy_uj[first] * (first + 1 - a);
  for (size_t i = first + 1; i < last; ++i) sum += session.energy_uj[i];
  if (last < session.energy_uj.size()) sum += session.energy_uj[last] * (b - last);
  return sum;
}

double MedianEnergyPerInference(const EnergyRunnerSession& session) {
  std::vector<double> per;
  for (const EnergyRunnerWindow& w : session.windows) per.push_back(w.energy_uj / w.inferences);
  return measure::Describe(per).median;
}

Result<EnergyRunnerSession> ReadEnergyRunnerSession(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return ConfigurationError(folder +
                              " is not a folder (give the session's folder, the one "
                              "with trace1-energy.bin)");
  }
  EnergyRunnerSession session;
  session.folder = folder;
  const std::string trace = SessionFile(folder, "trace1-energy.bin", "");
  if (trace.empty()) {
    return ConfigurationError(folder +
                              " has no trace1-energy.bin (nor energy_trace1-energy.bin): not an "
                              "EnergyRunner energy session");
  }
  session.prefix = fs::path(trace).filename().string().rfind("energy_", 0) == 0 ? "energy_" : "";
  const std::string timestamps = SessionFile(folder, "trace1-timestamps.json", session.prefix);
  const std::string log = SessionFile(folder, "log.txt", session.prefix);
  if (timestamps.empty()) {
    return ConfigurationError(folder + " has the trace but no " + session.prefix +
                              "trace1-timestamps.json: the windows cannot be found");
  }
  if (log.empty()) {
    return ConfigurationError(folder + " has no " + session.prefix +
                              "log.txt: the inferences per window are not known");
  }
  HIL_RETURN_IF_ERROR(ReadTrace(trace, session));
  HIL_RETURN_IF_ERROR(ReadTimestamps(timestamps, session));
  HIL_RETURN_IF_ERROR(ReadLog(log, session));
  if (const std::string results = SessionFile(folder, "results.txt", session.prefix);
      !results.empty()) {
    ReadRunnerResults(results, session);
  }
  return session;
}

run::RunRecord ImportedRun(const EnergyRunnerSession& session, const std::string& board) {
  run::CaseResult result;
  const std::string network = session.model.empty() ? "unknown" : session.model;
  result.network = network;
  result.configuration = "energyrunner";
  result.board = board;
  result.id = network + "/energyrunner/" + board;
  result.model_id = session.model;
  result.started = run::NowIso8601();
  result.attempts = 1;
  std::vector<double> latency, energy, power;
  for (const EnergyRunnerWindow& w : session.windows) {
    latency.push_back(w.duration_s() / w.inferences * 1e6);
    energy.push_back(w.energy_uj / w.inferences);
    power.push_back(w.energy_uj / w.duration_s() * 1e-3);
  }
  measure::CaseFigures& figures = result.figures;
  figures.latency_us = measure::Describe(latency);
  figures.energy_uj = measure::Describe(energy);
  figures.power_mw = measure::Describe(power);
  figures.windows = figures.used = session.windows.size();
  figures.mlperf_latency_us = figures.latency_us.median;
  figures.mlperf_energy_uj = figures.energy_uj.median;
  // MLPerf Tiny's rules for an energy run: five windows of at least 10 s.
  if (session.windows.size() < 5) {
    figures.problems.push_back("MLPerf's energy mode has 5 windows; this session has " +
                               std::to_string(session.windows.size()));
  }
  for (size_t w = 0; w < session.windows.size(); ++w) {
    if (session.windows[w].duration_s() < 10) {
      char text[120];
      std::snprintf(text, sizeof text, "window %zu lasted %.3f s, under MLPerf's 10 s", w + 1,
                    session.windows[w].duration_s());
      figures.problems.push_back(text);
    }
  }
  result.trace = Downsampled(session);
  result.status = figures.problems.empty() ? run::CaseStatus::kPass : run::CaseStatus::kFail;
  if (!figures.problems.empty()) result.error = figures.problems.front();

  run::RunRecord record;
  record.plan = "energyrunner-import";
  record.plan_path = fs::absolute(session.folder).string();
  record.started = result.started;
  record.finished = run::NowIso8601();
  record.status = ToText(run::RunStatus::kFinished);
  record.bench = {{"kind", "imported"},
                  {"source", "EnergyRunner session"},
                  {"session", session.folder},
                  {"probe", "lpm01a"},  // EnergyRunner measures with an LPM01A
                  {"supply_mV", std::lround(session.supply_v * 1000)}};
  if (!session.session_id.empty()) record.bench["session_id"] = session.session_id;
  run::ImportedSession imported;
  imported.sample_rate_hz = session.sample_rate_hz;
  imported.runner_energy_uj = session.runner_median_uj_per_inference;
  for (const EnergyRunnerWindow& w : session.windows)
    imported.windows.push_back({w.begin_s, w.end_s, w.inferences, w.energy_uj});
  result.imported = std::move(imported);
  record.cases.push_back(std::move(result));
  return record;
}

Status WriteEnergyRunnerSession(const SessionToWrite& session, const std::string& folder) {
  if (session.timestamps_s.size() != 1 + 2 * session.inferences.size()) {
    return ConfigurationError("a session needs a start, then a begin and an end per window");
  }
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return InfrastructureError("cannot create " + folder + ": " + error.message());
  std::string trace;
  trace.reserve(5 + 4 * session.energy_uj.size());
  trace += static_cast<char>(kTraceMagic);
  PutLittleEndianFloat(trace, static_cast<float>(session.sample_rate_hz));
  for (float e : session.energy_uj) PutLittleEndianFloat(trace, e);
  nlohmann::json timestamps = session.timestamps_s;
  // The log holds the lines the runner writes that a reader needs: the
  // model, one infer command per window, the supply.
  std::ostringstream log;
  log << "00000.000 session: m-session-start-id[hil]\n"
      << "00000.000 io: [dut]: m-model-[" << session.model << "]\n";
  for (uint32_t n : session.inferences) {
    log << "00000.000 parser: Command \"io dut infer " << n << " 1\"\n";
  }
  log << "00000.000 emon: m-voltage-mv[" << std::lround(session.supply_v * 1000) << "]\n";
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"trace1-energy.bin", trace},
                                   {"trace1-timestamps.json", timestamps.dump(1, '\t')},
                                   {"log.txt", log.str()}}) {
    HIL_RETURN_IF_ERROR(run::WriteAtomically((fs::path(folder) / name).string(), text));
  }
  return OkStatus();
}

}  // namespace hil::mlperf
