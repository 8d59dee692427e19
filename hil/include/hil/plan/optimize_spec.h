// What `hil optimize` searches: a network with its dataset, the boards to
// consider, the objective, the limits a deployment must meet, the search
// space and the budget. Read and validated as plans are (every problem at
// once, FILE:LINE:COL, did-you-mean); testplans/README.md documents it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/enum_text.h"
#include "hil/error.h"
#include "hil/plan/plan.h"
#include "hil/plan/plan_parser.h"

namespace hil::plan {

// What a deployment is made cheaper in, per inference.
enum class Objective { kEnergy, kLatency };

}  // namespace hil::plan

template <>
struct hil::EnumText<hil::plan::Objective> {
  using Objective = hil::plan::Objective;
  static constexpr std::pair<Objective, std::string_view> kWords[] = {
      {Objective::kEnergy, "energy"}, {Objective::kLatency, "latency"}};
};

namespace hil::plan {

struct OptimizeLimits {
  // Top-1 may fall at most this many percentage points under the unmodified
  // int8 model's on the dataset.
  double top1_drop_pts = 1.0;
  std::optional<double> latency_us;     // median per inference
  std::optional<uint64_t> flash_bytes;  // text + data of the linked image
  std::optional<uint64_t> ram_bytes;    // data + bss (the arena lies in bss)
};

// Each dimension lists the values to try; the spec may narrow any of them.
struct SearchSpace {
  std::vector<std::string> frameworks = Frameworks();
  // Kernel sets to try; each framework takes those it offers.
  std::vector<std::string> kernels = {"reference", "simd", "cmsis-nn"};
  std::vector<model::NumberFormat> number_formats = {model::NumberFormat::kInt8,
                                                     model::NumberFormat::kFloat32};
  std::vector<bool> fpu = {true, false};
  std::vector<std::string> optimisations = {"-Os", "-O2", "-O3"};
  // hil's runtime: run each layer with its SIMD or its reference kernels,
  // whichever the layer tables say is cheaper for that layer.
  bool per_layer_kernels = true;
  // Model transforms without retraining: structured channel pruning of
  // these fractions of each prunable chain's channels (hil/model/prune.h),
  // judged on the dataset; empty: none. Needs a dataset.
  std::vector<double> pruning = {0.0625, 0.125, 0.25, 0.375, 0.5};
};

struct OptimizeBudget {
  uint32_t max_measurements = 24;  // candidates measured on the bench, the baseline included
  double max_minutes = 30;
};

struct OptimizeSpec {
  std::string path, directory;
  std::string name, description;
  Bench bench;
  // A .tflite model, with the labelled dataset its accuracy is judged on.
  // Without one, only int8 (the same bits in every deployment) is searched.
  Network network;
  std::vector<std::string> boards;
  Objective objective = Objective::kEnergy;
  OptimizeLimits limits;
  SearchSpace space;
  OptimizeBudget budget;
  Measurement measurement;  // per candidate; fewer runs than a plan's by default
};

// Errors: configuration, with one line per problem found.
Result<OptimizeSpec> ReadOptimizeSpec(const std::string& path, const PlanPolicy& policy = {});

}  // namespace hil::plan
