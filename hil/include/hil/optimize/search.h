// hil optimize's search: measure the baseline deployment, then one change
// of each dimension from it (what the cost model learns each effect from),
// then, while the budget lasts, the deployment the model predicts best
// among those that would move the Pareto front (objective against top-1),
// refitting after each. Every measurement is a run in OUT/results.db, so a
// search that is interrupted keeps what it measured and --resume goes on
// from there.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hil/bench/bench_spec.h"
#include "hil/optimize/cost_model.h"
#include "hil/optimize/prune_search.h"
#include "hil/plan/optimize_spec.h"
#include "hil/run/case_result.h"

namespace hil::optimize {

// One deployment the search considered.
struct Candidate {
  Deployment deployment;
  // Top-1 on the dataset as the host's reference runtime scores it for
  // the deployment's number format: the DUT's outputs equal the host's bit
  // for bit (each measurement checks its input; the chosen deployment is
  // run over the whole dataset), so this is the DUT's top-1 too.
  double top1 = 0;
  // Why it cannot be chosen: a limit it breaks, a failed build or run.
  std::string excluded;
  // What the model predicted when the search chose to measure it; none for
  // the baseline and the exploration, which are measured to learn from.
  std::optional<Prediction> predicted;
  std::optional<run::CaseResult> measured;
  size_t order = 0;    // 1 for the first measured, ...; 0: never measured
  std::string reason;  // why it was measured: baseline, exploring a dimension, predicted best
};

struct SearchOptions {
  std::string out_dir;
  std::optional<bench::BenchSpec> bench;  // from a bench file; empty: the spec's (virtual)
  std::string firmware_cache;
  bool resume = false;  // go on from OUT/results.db's measurements
  const std::atomic<bool>* interrupted = nullptr;
  // A line for a person per step: each measurement, the front, the budget.
  std::function<void(const std::string&)> progress;
};

struct SearchOutcome {
  std::vector<Candidate> candidates;  // the baseline first
  double baseline_top1 = 0;           // the unmodified int8 model's
  std::optional<size_t> chosen;       // the best measured deployment within the limits
  std::string stopped;                // why the search ended
  // The chosen deployment run over the whole dataset on the DUT: its top-1
  // and its outputs against the host's.
  std::optional<run::CaseResult> confirmation;
  // What per-layer kernel choice found: the layers it gave the reference
  // kernels, or why it adds nothing.
  std::string per_layer;
  // What the pruning search found on the host, and what became of it.
  PruneSearchResult pruning;
  std::string pruned;
  size_t measurements = 0;  // this search's own, resumed ones apart
  double minutes = 0;
  bool interrupted = false;
};

// The objective's figure of a measured candidate (median per inference).
double ObjectiveOf(const Candidate& c, plan::Objective objective);
// A candidate's top-1 for comparisons: without a dataset every candidate
// scores alike (int8 only: the same bits).
double ComparableTop1(const Candidate& c);
// Whether a measured candidate meets every limit; if not, `why` says which.
bool WithinLimits(const Candidate& c, const plan::OptimizeSpec& spec, std::string* why = nullptr);
// The best measured candidate within the limits that runs the network as
// given with one kernel set for every layer (what a whole-model sweep
// finds), if any.
std::optional<size_t> BestWholeModel(const std::vector<Candidate>& candidates,
                                     const plan::OptimizeSpec& spec);
// The measured candidates within the limits that no other such candidate
// beats on both the objective and top-1, by objective.
std::vector<size_t> ParetoFront(const std::vector<Candidate>& candidates,
                                const plan::OptimizeSpec& spec);

// Errors: configuration (the dataset, an --out holding another search
// without --resume), infrastructure (the baseline could not be measured).
Result<SearchOutcome> Optimize(const plan::OptimizeSpec& spec, const SearchOptions& options);

}  // namespace hil::optimize
