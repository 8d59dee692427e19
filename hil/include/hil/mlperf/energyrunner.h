// EnergyRunner energy sessions: what MLPerf Tiny's energy mode leaves on
// disk (EEMBC's EnergyRunner, or hil's export in the same layout), read into
// hil's results, and written from a hil trace.
//
// A session folder holds, as the runner names them (some submitters prefix
// each with "energy_"):
//   trace1-energy.bin        0xF1, float32 sample rate (Hz), then one float32
//                            per sample: the sample period's energy in uJ
//   trace1-timestamps.json   [start, w1 begin, w1 end, w2 begin, ...] in s,
//                            the timestamp pin's falling edges
//   log.txt                  the runner's log: model id, `infer N W`
//                            commands, supply voltage
//   results.txt              the runner's figures (optional): window
//                            energies and "Median energy cost is X uJ/inf."
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/run/exports.h"

namespace hil::mlperf {

// Bounds on what is read: a session is data from elsewhere.
inline constexpr uint64_t kMaxTraceBytes = uint64_t{256} << 20;  // 64 M samples
inline constexpr uint64_t kMaxTextBytes = uint64_t{64} << 20;
inline constexpr uint8_t kTraceMagic = 0xF1;

struct EnergyRunnerWindow {
  double begin_s = 0, end_s = 0;
  double energy_uj = 0;     // the trace summed between the edges
  uint32_t inferences = 0;  // the `infer N` that ran inside it
  double duration_s() const { return end_s - begin_s; }
};

struct EnergyRunnerSession {
  std::string folder;
  std::string prefix;  // "" or "energy_"
  double sample_rate_hz = 0;
  std::vector<float> energy_uj;  // per sample
  std::vector<double> timestamps_s;
  std::vector<EnergyRunnerWindow> windows;
  std::string model;       // m-model-[...] or the bm cfg's model key
  std::string session_id;  // m-session-start-id[...]
  double supply_v = 0;     // m-voltage-mv; 0 when the log does not say
  // From results.txt, when present: the runner's own figures.
  std::vector<double> runner_window_energy_uj;
  std::optional<double> runner_median_uj_per_inference;

  double duration_s() const { return energy_uj.size() / sample_rate_hz; }
};

// Reads and checks a session folder. Errors: configuration (a file missing,
// truncated, foreign or inconsistent: the message names the file and what
// is wrong), infrastructure (unreadable).
Result<EnergyRunnerSession> ReadEnergyRunnerSession(const std::string& folder);

// The trace's energy between two instants, samples cut at the edges in
// proportion (sample i covers [i, i+1) / rate).
double EnergyBetween(const EnergyRunnerSession& session, double from_s, double to_s);

// MLPerf's figure: the median over the windows of energy per inference.
double MedianEnergyPerInference(const EnergyRunnerSession& session);

// The session as a hil run of one case (NETWORK/energyrunner/BOARD): energy
// and latency per inference and power as statistics over the windows, the
// runner's median beside hil's, the trace with its windows for the report.
run::RunRecord ImportedRun(const EnergyRunnerSession& session, const std::string& board);

// The other way: a trace of per-sample energies written as a session (the
// energy file, the timestamps, a log the reader understands), so that
// EnergyRunner's tools and hil's import read hil's measurements.
struct SessionToWrite {
  double sample_rate_hz = 0;
  std::vector<float> energy_uj;
  std::vector<double> timestamps_s;  // start, then begin/end per window
  std::vector<uint32_t> inferences;  // per window
  std::string model;
  double supply_v = 0;
};
Status WriteEnergyRunnerSession(const SessionToWrite& session, const std::string& folder);

}  // namespace hil::mlperf
