// A test plan: the bench, the networks, the framework configurations, the
// boards, how to measure, what to verify and expect. testplans/README.md
// documents every key; plan_parser.h reads and validates one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/bench/bench_spec.h"
#include "hil/bench_kinds.h"
#include "hil/measure/windows.h"
#include "hil/model/to_float.h"
#include "hil/position.h"

namespace hil::plan {

using hil::Position;

// A plan's `bench:` is the same description a bench file gives, read from
// the plan's own keys (testplans/README.md).
using Bench = bench::BenchSpec;
using Trigger = bench::Trigger;

struct Network {
  std::string name;
  std::string workload;  // a harness workload built into the firmware; "model" for a .tflite
  std::string model;     // a .tflite file (absolute), compiled for the DUT
  std::string input;     // input tensor file (absolute after parsing)
  std::string dataset;   // a folder of inputs with y_labels.csv: accuracy and bit-exactness
  // The MLPerf Tiny benchmark the network is (kws01, ad01, ic01, vww01,
  // sww01): the harness reports it to profile% as m-model-[ID], which the
  // official runner picks its scripts by. Empty: the model file's stem.
  std::string mlperf;
  Position at;
};

// The benchmark ids the MLPerf Tiny runner and submission checker know.
inline constexpr const char* kMlperfBenchmarks[] = {"kws01", "ad01", "ic01", "vww01", "sww01"};

// The NN runtimes a model network runs on, and the kernel sets each offers
// (firmware/nn/README.md, firmware/tflm/README.md).
inline const std::vector<std::string>& Frameworks() {
  static const std::vector<std::string> kFrameworks = {"hil", "tflm"};
  return kFrameworks;
}
inline std::vector<std::string> KernelSetsOf(const std::string& framework) {
  if (framework == "tflm") return {"reference", "cmsis-nn"};
  return {"reference", "simd"};
}

struct Configuration {
  std::string name;
  std::string framework = "hil";      // NN runtime for model networks: hil | tflm
  std::string optimisation = "-O2";   // the firmware's optimisation flags
  std::string kernels = "reference";  // hil: reference | simd; tflm: reference | cmsis-nn
  model::NumberFormat number_format = model::NumberFormat::kInt8;  // float32: the float twin
  bool fpu = true;                   // off: every board built with -mfloat-abi=soft
  std::vector<std::string> defines;  // extra -D definitions
  std::string firmware;              // a prebuilt ELF (absolute), instead of building
  Position at;
};

struct Exclusion {
  std::string network, configuration, board;  // empty: any
  Position at;
};

// Per-inference windows a case may have: the harness times each of them.
inline constexpr uint32_t kMaxInferenceWindows = 256;

struct Measurement {
  uint32_t warmup = 1;   // inferences before the measured ones (per window)
  uint32_t runs = 10;    // measured inferences per case, or per timestamp window
  uint32_t windows = 1;  // timestamp windows: one `infer runs warmup` each
  measure::WindowKind window = measure::WindowKind::kInference;
  double min_window_s = 0;
  bool mlperf = false;  // MLPerf's energy mode: 5 windows of >= 10 s, the median
  double guard_us = 100;
  double min_pulse_us = 0;
};

struct Verification {
  double ground_truth_energy_pct = 0.5;
  double ground_truth_latency_pct = 0.1;
  double firmware_timer_pct = 1.0;
  double layer_sum_pct = 0.01;
};

// "metric op value", e.g. latency_us.median < 30000, or relative to the
// same case in a baseline run: energy_uJ.median within 5 % of baseline.
struct Expectation {
  std::string metric;  // FIGURE.STAT, e.g. latency_us.median
  std::string op;      // "<", "<=", ">", ">=", "within"
  double value = 0;    // threshold, or percent for "within"
  bool baseline = false;
  std::string text;  // as written, for reports
  Position at;
};

struct Plan {
  std::string path;       // the plan file
  std::string directory;  // relative paths in the plan are from here
  std::string name;
  std::string description;
  Bench bench;
  std::vector<Network> networks;
  std::vector<Configuration> configurations;
  // The matrix: names from the above (all when the plan lists none), the
  // boards, and cells left out.
  std::vector<std::string> matrix_networks, matrix_configurations;
  std::vector<std::string> boards;
  std::vector<Exclusion> exclude;
  Position matrix_at;
  Measurement measurement;
  Verification verification;
  std::vector<Expectation> expectations;
  // What a "within N % of baseline" expectation is when the case has no
  // baseline: "fail" (the case fails, saying so) or "skip" (the case passes
  // and reports the expectation skipped; JUnit <skipped>).
  std::string on_missing_baseline = "fail";
  uint32_t retries = 2;  // per case, for infrastructure errors
};

// One cell of the matrix.
struct Case {
  std::string id;  // NETWORK/CONFIGURATION/BOARD
  const Network* network = nullptr;
  const Configuration* configuration = nullptr;
  std::string board;
};

// Every network x configuration x board, less the exclusions, in plan order.
std::vector<Case> ExpandMatrix(const Plan& plan);

}  // namespace hil::plan
