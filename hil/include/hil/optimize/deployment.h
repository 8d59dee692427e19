// One way to deploy a network: the runtime and its kernel set, the number
// format, the FPU, the optimisation level and the board. hil optimize
// searches these; each becomes a plan configuration on a board when it is
// measured.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hil/plan/optimize_spec.h"
#include "hil/plan/plan.h"

namespace hil::optimize {

struct Deployment {
  std::string framework = "hil";
  std::string kernels = "reference";
  model::NumberFormat number_format = model::NumberFormat::kInt8;
  bool fpu = true;
  std::string optimisation = "-O2";
  std::string board;
  // Per-layer kernel choice (hil's runtime with its SIMD set): bit i runs
  // layer i with the reference kernels instead. 0: the set for every layer.
  uint64_t reference_layers = 0;
  // The network with this many thousandths of each prunable chain's
  // channels pruned (hil/model/prune.h); 0: the network as given.
  uint32_t pruned_permille = 0;

  // As a plan configuration's name, the board apart: FRAMEWORK.KERNELS.
  // FORMAT.fpu|softfp.OPT, e.g. tflm.cmsis-nn.int8.fpu.O3; a per-layer
  // choice adds .rMASK (hex), e.g. hil.simd.int8.fpu.O2.r1, and a pruned
  // network .pPERMILLE, e.g. tflm.cmsis-nn.int8.fpu.O2.p250.
  std::string Name() const;
  // Name@board: one candidate of the search.
  std::string Key() const { return Name() + "@" + board; }
  bool operator==(const Deployment&) const = default;
};

// The inverse of Name(), for deployments read back from results.db.
std::optional<Deployment> DeploymentNamed(const std::string& name, const std::string& board);

// The ways deployments differ, as the cost model separates their effects.
// The framework and its kernel set are one dimension: a kernel set belongs
// to its framework.
enum class Dimension { kKernels, kNumberFormat, kFpu, kOptimisation, kBoard };
inline constexpr Dimension kDimensions[] = {Dimension::kKernels, Dimension::kNumberFormat,
                                            Dimension::kFpu, Dimension::kOptimisation,
                                            Dimension::kBoard};
const char* DimensionName(Dimension dimension);
// A deployment's value in a dimension, as text: "tflm/cmsis-nn", "int8", ...
std::string ValueOf(const Deployment& deployment, Dimension dimension);

// What the research compares against: the network as given (int8), the
// first framework's reference kernels, -O2, FPU on, on the first board.
Deployment BaselineOf(const plan::OptimizeSpec& spec);

// Every deployment of the spec's space on its boards that can be built:
// a float32 build has no specialised (int8) kernels, and a board without
// an FPU has no FPU to turn on. The baseline first.
std::vector<Deployment> SpaceOf(const plan::OptimizeSpec& spec);

// Whether the deployment chooses kernels layer by layer.
inline bool PerLayer(const Deployment& d) { return d.reference_layers != 0; }
// Whether it runs a pruned network.
inline bool Pruned(const Deployment& d) { return d.pruned_permille != 0; }

// The plan configuration that measures a deployment (a per-layer choice is
// the define NN_REFERENCE_LAYERS, firmware/nn/README.md).
plan::Configuration ConfigurationOf(const Deployment& deployment);

}  // namespace hil::optimize
