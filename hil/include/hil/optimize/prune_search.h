// hil optimize's model transforms, on the host: the dataset's score of a
// network (hil's reference runtime), and the search for how much of each
// prunable chain's channels (hil/model/prune.h) the top-1 limit allows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/plan/optimize_spec.h"

namespace hil::optimize {

// The dataset's score of the spec's network (or of `model_file`) on the
// host for one number format, in percent: top-1 for a classifier, 100 x AUC
// for an autoencoder. Errors: configuration (the model, the dataset).
Result<double> HostScore(const plan::OptimizeSpec& spec, model::NumberFormat format,
                         const std::string& model_file = "");

// Where a pruned network is written: OUT/NETWORK-pruned-PERMILLE.tflite,
// PERMILLE the thousandths of the chains' channels it lost.
std::string PrunedModelPath(const plan::OptimizeSpec& spec, const std::string& out_dir,
                            uint32_t permille);

// One step the pruning search took: a chain pruned to its next fraction,
// and the network's top-1 on the host after it.
struct PruneStep {
  std::string layer;     // the chain's producer, e.g. "CONV_2D 2"
  int32_t channels = 0;  // its output channels before pruning
  double fraction = 0;   // of them pruned after this step
  double top1 = 0;
};

struct PruneSearchResult {
  std::vector<PruneStep> steps;   // accepted, in order
  std::vector<double> fractions;  // per chain, in the end
  uint32_t permille = 0;          // of every chain's channels pruned; 0: none
  double top1 = 0;                // the pruned network's, on the host
  std::string file;               // the pruned .tflite (permille > 0)
  std::string found;              // what it found, for a person
};

// Greedy, one chain one level at a time: each step tries every chain at its
// next fraction of spec.space.pruning and keeps the one whose network
// scores best on the host (the larger chain among equals), while the top-1
// stays within spec.limits.top1_drop_pts of `baseline_top1`. The channels
// of a chain go smallest weight norm first; the next layer's bias takes
// their mean contribution on the dataset. Writes the result into
// `out_dir`. Errors: configuration (model, dataset), infrastructure (the
// file).
Result<PruneSearchResult> SearchPruning(const plan::OptimizeSpec& spec, const std::string& out_dir,
                                        double baseline_top1,
                                        const std::function<void(const std::string&)>& say);

}  // namespace hil::optimize
