#include "hil/optimize/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "hil/measure/units.h"
#include "hil/model/dataset.h"
#include "hil/model/lowering.h"
#include "hil/run/executor.h"
#include "hil/run/exports.h"
#include "hil/run/results_json.h"
#include "hil/run/results_store.h"

namespace hil::optimize {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using measure::Human;
using measure::Quantity;

// The plan every measurement of a search is a run of, in OUT/results.db.
std::string PlanName(const plan::OptimizeSpec& spec) { return "optimize-" + spec.name; }

// A prediction the search trusts to this much: a deployment predicted
// within it of the front is worth measuring.
constexpr double kPredictionMargin = 0.02;
// Inferences measured for a layer table the spec's runs did not give.
constexpr uint32_t kTableRuns = 12;
// The front has stopped moving after this many measurements in a row
// left it as it was.
constexpr size_t kStillMeasurements = 2;

// The input every measurement checks its outputs on: the spec's, else the
// dataset's first, else random bytes (seed 1) written once into `out_dir`.
std::string InputOf(const plan::OptimizeSpec& spec, const std::string& out_dir) {
  if (!spec.network.input.empty()) return spec.network.input;
  if (!spec.network.dataset.empty()) {
    Result<std::vector<model::LabelledInput>> entries = model::ReadLabels(spec.network.dataset);
    if (entries.ok() && !entries->empty())
      return (fs::path(spec.network.dataset) / entries->front().file).string();
  }
  return (fs::path(out_dir) / "random-input.bin").string();
}

Status WriteRandomInput(const plan::OptimizeSpec& spec, const std::string& path) {
  Result<std::unique_ptr<model::LoweredModel>> lowered =
      model::LowerFile(spec.network.model, spec.network.name);
  if (!lowered.ok()) return lowered.error().WithContext(spec.network.model);
  const std::vector<uint8_t> bytes = model::RandomInputs(1, (*lowered)->input_bytes, 1).front();
  return run::WriteAtomically(path, std::string(bytes.begin(), bytes.end()));
}

// The plan that measures one deployment: the spec's network on its input
// (the dataset's first when it names none), or over its whole dataset.
Result<plan::Plan> PlanFor(const plan::OptimizeSpec& spec, const Deployment& d, bool dataset,
                           const std::string& out_dir, uint32_t runs = 0) {
  plan::Plan p;
  p.path = spec.path;
  p.directory = spec.directory;
  p.name = PlanName(spec) + (dataset ? "-dataset" : "");
  p.description = "hil optimize " + spec.name + ": " + d.Key();
  p.bench = spec.bench;
  plan::Network network = spec.network;
  network.input = InputOf(spec, out_dir);
  if (Pruned(d)) network.model = PrunedModelPath(spec, out_dir, d.pruned_permille);
  if (!dataset) network.dataset.clear();
  p.networks = {network};
  p.configurations = {ConfigurationOf(d)};
  p.boards = {d.board};
  p.measurement = spec.measurement;
  if (runs != 0) p.measurement.runs = runs;
  p.retries = 1;
  return p;
}

// Every measurement a run of a plan into OUT/results.db; the search
// writes its own reports.
run::RunOptions RunOptionsOf(const SearchOptions& options) {
  run::RunOptions run_options;
  run_options.out_dir = options.out_dir;
  run_options.bench = options.bench;
  run_options.firmware_cache = options.firmware_cache;
  run_options.interrupted = options.interrupted;
  run_options.write_exports = false;
  return run_options;
}

Observation ObservationOf(const Candidate& c) {
  const run::CaseResult& r = *c.measured;
  Observation o;
  o.deployment = c.deployment;
  for (const measure::LayerFigures& layer : r.figures.layers) {
    o.layer_ops.push_back(layer.index < r.layer_ops.size() ? r.layer_ops[layer.index] : "");
    o.layer_latency_us.push_back(layer.latency_us.median);
    o.layer_energy_uj.push_back(layer.energy_uj.median);
  }
  o.latency_us = r.figures.latency_us.median;
  o.energy_uj = r.figures.energy_uj.median;
  o.flash_bytes = static_cast<double>(run::FlashBytes(r));
  o.ram_bytes = static_cast<double>(run::RamBytes(r));
  return o;
}

double PredictedObjective(const Prediction& p, plan::Objective objective) {
  return objective == plan::Objective::kEnergy ? p.energy_uj : p.latency_us;
}

bool PredictedWithinLimits(const Prediction& p, const plan::OptimizeLimits& limits) {
  return (!limits.latency_us || p.latency_us <= *limits.latency_us) &&
         (!limits.flash_bytes || p.flash_bytes <= static_cast<double>(*limits.flash_bytes)) &&
         (!limits.ram_bytes || p.ram_bytes <= static_cast<double>(*limits.ram_bytes));
}

std::string ObjectiveText(double value, plan::Objective objective) {
  return Human(value,
               objective == plan::Objective::kEnergy ? Quantity::kEnergyUj : Quantity::kTimeUs);
}

// The ops hil's runtime has specialised (SIMD) kernels for.
bool HasSimdKernel(const std::string& op) {
  return op == "CONV_2D" || op == "DEPTHWISE_CONV_2D" || op == "FULLY_CONNECTED";
}

// A layer's figure of the objective, measured.
std::vector<double> LayerFigures(const run::CaseResult& r, plan::Objective objective) {
  std::vector<double> figures;
  for (const measure::LayerFigures& layer : r.figures.layers)
    figures.push_back(objective == plan::Objective::kEnergy ? layer.energy_uj.median
                                                            : layer.latency_us.median);
  return figures;
}

// Per-layer kernel choice: the best measured deployment of hil's runtime
// with its SIMD set, with the reference kernels on each layer that runs
// cheaper with them (measured where the reference deployment was, else
// predicted), measured to confirm. `found` says what it chose, or why it
// chose nothing; false when the budget stopped it.
template <typename Measure>
Result<bool> ChoosePerLayer(const plan::OptimizeSpec& spec, const CostModel& model,
                            std::vector<Candidate>& candidates, std::string& found,
                            const Measure& measure) {
  Candidate* simd = nullptr;
  for (Candidate& c : candidates) {
    const bool candidate = c.deployment.framework == "hil" && c.deployment.kernels == "simd" &&
                           !PerLayer(c.deployment) && c.excluded.empty() && c.measured &&
                           c.measured->status == run::CaseStatus::kPass;
    if (candidate && (!simd || ObjectiveOf(c, spec.objective) < ObjectiveOf(*simd, spec.objective)))
      simd = &c;
  }
  if (simd == nullptr) {
    found =
        "no measured deployment of hil's runtime with its SIMD kernels to choose from layer "
        "by layer";
    return true;
  }
  Deployment reference = simd->deployment;
  reference.kernels = "reference";
  std::vector<double> with_reference;
  std::string source = "predicted";
  for (const Candidate& c : candidates) {
    if (c.deployment == reference && c.measured && c.measured->status == run::CaseStatus::kPass) {
      with_reference = LayerFigures(*c.measured, spec.objective);
      source = "measured";
    }
  }
  if (with_reference.empty()) {
    const std::optional<Prediction> p = model.Predict(reference);
    if (p) {
      with_reference =
          spec.objective == plan::Objective::kEnergy ? p->layer_energy_uj : p->layer_latency_us;
    }
  }
  if (simd->measured->figures.layers.empty()) {
    // Each inference starts at another phase of the probe's samples, so
    // more of them resolve a layer shorter than a sample.
    Result<bool> again = measure(*simd, simd->reason + "; again for its layer table", kTableRuns);
    if (!again.ok() || !*again) return again;
  }
  const run::CaseResult& r = *simd->measured;
  const std::vector<double> with_simd = LayerFigures(r, spec.objective);
  if (with_simd.empty()) {
    found = "no inference of " + simd->deployment.Key() + " resolved every layer edge in " +
            std::to_string(r.figures.latency_us.n) +
            " runs (a layer shorter than the probe's sample period hides two), so its "
            "layers cannot be compared";
    return true;
  }
  if (with_reference.size() != with_simd.size()) {
    found = "the reference kernels' layer table for " + reference.Key() +
            " is neither measured nor predicted";
    return true;
  }
  Deployment mixed = simd->deployment;
  std::string layers;
  for (size_t i = 0; i < with_simd.size() && i < 64; ++i) {
    const size_t index = r.figures.layers[i].index;
    const std::string op = index < r.layer_ops.size() ? r.layer_ops[index] : "";
    // Cheaper by more than what repeated measurements differ by.
    if (index < 64 && HasSimdKernel(op) && with_reference[i] < 0.99 * with_simd[i]) {
      mixed.reference_layers |= uint64_t{1} << index;
      layers += (layers.empty() ? "" : ", ") + std::to_string(index) + " (" + op + ")";
    }
  }
  if (!PerLayer(mixed)) {
    found = "adds nothing here: on every layer of " + simd->deployment.Key() +
            " the SIMD kernels cost no more than the reference ones (" + source + ")";
    return true;
  }
  found = "reference kernels on layers " + layers + " of " + simd->deployment.Key() + " (" +
          source + " cheaper)";
  Candidate c;
  c.deployment = mixed;
  c.top1 = simd->top1;
  c.predicted = model.Predict(mixed);
  for (Candidate& existing : candidates) {
    if (existing.deployment == mixed)
      return existing.measured ? true : measure(existing, "per-layer kernel choice");
  }
  candidates.push_back(std::move(c));
  return measure(candidates.back(), "per-layer kernel choice");
}

// Model transforms: the pruned network the host search found runs on the
// cheapest int8 deployment measured within the limits, measured to
// confirm. False when the budget stopped it.
template <typename Measure>
Result<bool> TryPruning(const plan::OptimizeSpec& spec, const std::string& out_dir,
                        std::vector<Candidate>& candidates, SearchOutcome& outcome,
                        const Measure& measure,
                        const std::function<void(const std::string&)>& say) {
  Result<PruneSearchResult> found = SearchPruning(spec, out_dir, outcome.baseline_top1, say);
  if (!found.ok()) return found.error();
  outcome.pruning = std::move(*found);
  outcome.pruned = outcome.pruning.found;
  if (outcome.pruning.permille == 0) return true;
  std::optional<size_t> host;
  for (size_t i = 0; i < candidates.size(); ++i) {
    // The pruned network is int8, as the one given.
    const Deployment& d = candidates[i].deployment;
    if (Pruned(d) || d.number_format != model::NumberFormat::kInt8 ||
        !WithinLimits(candidates[i], spec))
      continue;
    if (!host ||
        ObjectiveOf(candidates[i], spec.objective) < ObjectiveOf(candidates[*host], spec.objective))
      host = i;
  }
  if (!host) {
    outcome.pruned += "; no measured int8 deployment within the limits to run it on";
    return true;
  }
  Deployment d = candidates[*host].deployment;
  d.pruned_permille = outcome.pruning.permille;
  outcome.pruned += ", run on " + d.Key();
  for (Candidate& existing : candidates) {
    if (existing.deployment == d) {
      existing.top1 = outcome.pruning.top1;
      return existing.measured ? Result<bool>(true) : measure(existing, "pruned network");
    }
  }
  Candidate c;
  c.deployment = d;
  c.top1 = outcome.pruning.top1;
  candidates.push_back(std::move(c));
  return measure(candidates.back(), "pruned network");
}

}  // namespace

Result<SearchOutcome> Optimize(const plan::OptimizeSpec& spec, const SearchOptions& options) {
  const Clock::time_point start = Clock::now();
  const auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  const auto minutes = [&] {
    return std::chrono::duration<double>(Clock::now() - start).count() / 60;
  };
  const auto interrupted = [&] { return options.interrupted != nullptr && *options.interrupted; };

  std::error_code fs_error;
  fs::create_directories(options.out_dir, fs_error);
  if (fs_error) return ConfigurationError("--out " + options.out_dir + ": " + fs_error.message());
  const std::string db = (fs::path(options.out_dir) / "results.db").string();

  // What a resumed search measured before, by candidate.
  std::map<std::string, run::CaseResult> earlier;
  {
    Result<std::unique_ptr<run::ResultsStore>> store = run::ResultsStore::Open(db);
    if (!store.ok()) return store.error();
    Result<std::vector<run::StoredRun>> runs = (*store)->Runs();
    if (!runs.ok()) return runs.error();
    for (const run::StoredRun& stored : *runs) {
      if (stored.plan != PlanName(spec)) continue;
      if (!options.resume) {
        return ConfigurationError(db + " holds a search of '" + spec.name +
                                  "' already: give --resume to go on with it, or another --out");
      }
      Result<run::RunRecord> record = run::LoadRunRecord(**store, stored.id);
      if (!record.ok()) return record.error();
      for (run::CaseResult& c : record->cases) {
        const std::optional<Deployment> d = DeploymentNamed(c.configuration, c.board);
        if (!d) continue;
        // A deployment measured again for its layer table keeps the table.
        const auto found = earlier.find(d->Key());
        if (found == earlier.end() ||
            found->second.figures.layers.size() <= c.figures.layers.size())
          earlier[d->Key()] = std::move(c);
      }
    }
  }

  SearchOutcome outcome;
  std::map<model::NumberFormat, double> score_of;
  outcome.baseline_top1 = NAN;
  if (spec.network.dataset.empty()) {
    say("no dataset: accuracy is not judged, and only int8 is searched");
    const std::string input = InputOf(spec, options.out_dir);
    if (spec.network.input.empty() && !fs::exists(input)) {
      HIL_RETURN_IF_ERROR(WriteRandomInput(spec, input));
      say("measurements check their outputs on random bytes: " + input);
    }
  } else {
    say("scoring the dataset on the host (" + spec.network.dataset + ")");
    Result<double> int8_score = HostScore(spec, model::NumberFormat::kInt8);
    if (!int8_score.ok()) return int8_score.error();
    outcome.baseline_top1 = *int8_score;
    score_of[model::NumberFormat::kInt8] = *int8_score;
    for (model::NumberFormat format : spec.space.number_formats) {
      if (score_of.count(format)) continue;
      Result<double> score = HostScore(spec, format);
      if (!score.ok()) return score.error();
      score_of[format] = *score;
    }
  }
  const auto score = [&](model::NumberFormat format) {
    const auto found = score_of.find(format);
    return found == score_of.end() ? NAN : found->second;
  };

  const Deployment baseline = BaselineOf(spec);
  for (const Deployment& d : SpaceOf(spec)) {
    Candidate c;
    c.deployment = d;
    c.top1 = score(d.number_format);
    if (c.top1 < outcome.baseline_top1 - spec.limits.top1_drop_pts) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "top-1 %.1f %% is more than %.1f points under the int8 model's %.1f %%", c.top1,
                    spec.limits.top1_drop_pts, outcome.baseline_top1);
      c.excluded = text;
    }
    outcome.candidates.push_back(std::move(c));
  }
  std::vector<Candidate>& candidates = outcome.candidates;
  CostModel model(baseline);
  size_t order = 0;
  // A per-layer choice measured before is a candidate of its own.
  for (const auto& [key, result] : earlier) {
    const std::optional<Deployment> d = DeploymentNamed(result.configuration, result.board);
    if (!d || (!PerLayer(*d) && !Pruned(*d))) continue;
    Candidate c;
    c.deployment = *d;
    c.top1 = score(d->number_format);
    if (Pruned(*d)) {
      // Its own network's score, from the file the search wrote.
      Result<double> pruned = HostScore(spec, model::NumberFormat::kInt8,
                                        PrunedModelPath(spec, options.out_dir, d->pruned_permille));
      if (pruned.ok()) {
        c.top1 = *pruned;
      } else {
        c.excluded = "its pruned network cannot be scored: " + pruned.error().message();
      }
    }
    candidates.push_back(std::move(c));
  }
  for (Candidate& c : candidates) {
    const auto found = earlier.find(c.deployment.Key());
    if (found == earlier.end()) continue;
    c.measured = std::move(found->second);
    c.order = ++order;
    c.reason = "measured before (--resume)";
    if (c.measured->status == run::CaseStatus::kPass) {
      model.Add(ObservationOf(c));
    } else if (c.excluded.empty()) {
      c.excluded = "its measurement did not pass: " + c.measured->error;
    }
  }

  const size_t total = std::min<size_t>(spec.budget.max_measurements, candidates.size());
  std::string last_front;
  size_t still = 0;
  const auto front_text = [&] {
    std::string text;
    for (size_t i : ParetoFront(candidates, spec)) text += candidates[i].deployment.Key() + " ";
    return text;
  };
  // Measures one candidate; false when the search must stop (budget, Ctrl-C).
  // `runs`: measured inferences, when not the spec's.
  const auto measure = [&](Candidate& c, const std::string& why,
                           uint32_t runs = 0) -> Result<bool> {
    if (order >= spec.budget.max_measurements) {
      outcome.stopped =
          "max_measurements (" + std::to_string(spec.budget.max_measurements) + ") reached";
      return false;
    }
    const double per = outcome.measurements ? minutes() / outcome.measurements : 0;
    if (minutes() + per > spec.budget.max_minutes) {
      outcome.stopped = "max_minutes (" + std::to_string(spec.budget.max_minutes) +
                        ") would be passed by another measurement";
      return false;
    }
    if (interrupted()) {
      outcome.stopped = "interrupted";
      outcome.interrupted = true;
      return false;
    }
    say("measuring " + std::to_string(order + 1) + "/" + std::to_string(total) + ": " +
        c.deployment.Key() + " (" + why + ")");
    Result<plan::Plan> p = PlanFor(spec, c.deployment, false, options.out_dir, runs);
    if (!p.ok()) return p.error();
    Result<run::RunOutcome> ran = run::ExecutePlan(*p, RunOptionsOf(options));
    if (!ran.ok()) return ran.error();
    if (ran->record.cases.empty()) {
      outcome.stopped = "interrupted";
      outcome.interrupted = true;
      return false;
    }
    c.measured = std::move(ran->record.cases.front());
    c.order = ++order;
    c.reason = why;
    ++outcome.measurements;
    const run::CaseResult& r = *c.measured;
    if (r.status != run::CaseStatus::kPass) {
      c.excluded = "its measurement did not pass: " + r.error;
      say("  " + std::string(ToText(r.status)) + ": " + r.error);
    } else {
      model.Add(ObservationOf(c));
      std::string line = "  " + Human(r.figures.energy_uj.median, Quantity::kEnergyUj) + ", " +
                         Human(r.figures.latency_us.median, Quantity::kTimeUs) + " per inference";
      if (c.predicted) {
        const double want = PredictedObjective(*c.predicted, spec.objective);
        const double got = ObjectiveOf(c, spec.objective);
        char error[64];
        std::snprintf(error, sizeof error, " (predicted %s, %+.1f %%)",
                      ObjectiveText(want, spec.objective).c_str(), 100 * (want - got) / got);
        line += error;
      }
      say(line);
    }
    const std::string now = front_text();
    still = now == last_front ? still + 1 : 0;
    last_front = now;
    const std::vector<size_t> front = ParetoFront(candidates, spec);
    if (!front.empty()) {
      const Candidate& best = candidates[front.front()];
      say("  front " + std::to_string(front.size()) + ", best " + best.deployment.Key() + " " +
          ObjectiveText(ObjectiveOf(best, spec.objective), spec.objective) + "; " +
          std::to_string(static_cast<int>(spec.budget.max_minutes - minutes())) +
          " min of the budget left");
    }
    return true;
  };

  // The baseline, then one change of each dimension from it.
  std::vector<Candidate*> exploration = {&candidates.front()};
  for (Dimension dimension : kDimensions) {
    for (Candidate& c : candidates) {
      size_t differ = 0;
      for (Dimension other : kDimensions)
        differ += ValueOf(c.deployment, other) != ValueOf(baseline, other);
      if (differ == 1 && ValueOf(c.deployment, dimension) != ValueOf(baseline, dimension) &&
          c.excluded.empty())
        exploration.push_back(&c);
    }
  }
  bool going = true;
  for (Candidate* c : exploration) {
    if (c->measured) continue;
    std::string why = "the baseline";
    for (Dimension dimension : kDimensions) {
      if (ValueOf(c->deployment, dimension) != ValueOf(baseline, dimension)) {
        why = "learning the effect of " + std::string(DimensionName(dimension)) + " " +
              ValueOf(c->deployment, dimension);
      }
    }
    Result<bool> measured = measure(*c, why);
    if (!measured.ok()) return measured.error();
    if (!*measured) {
      going = false;
      break;
    }
    if (c == &candidates.front() && !c->excluded.empty()) {
      return InfrastructureError("the baseline " + c->deployment.Key() +
                                 " could not be measured: " + c->measured->error);
    }
  }

  // Then the deployment predicted best among those that would move the front.
  still = 0;
  while (going) {
    if (still >= kStillMeasurements) {
      outcome.stopped = "the front stopped moving";
      break;
    }
    const std::vector<size_t> front = ParetoFront(candidates, spec);
    Candidate* next = nullptr;
    double next_cost = INFINITY;
    for (Candidate& c : candidates) {
      if (c.measured || !c.excluded.empty()) continue;
      const std::optional<Prediction> p = model.Predict(c.deployment);
      if (!p || !PredictedWithinLimits(*p, spec.limits)) continue;
      const double cost = PredictedObjective(*p, spec.objective);
      // Worth measuring when no point of the front beats it, give or take
      // what a prediction may miss by.
      const bool beaten = std::any_of(front.begin(), front.end(), [&](size_t j) {
        return ObjectiveOf(candidates[j], spec.objective) < cost * (1 - kPredictionMargin) &&
               ComparableTop1(candidates[j]) >= ComparableTop1(c);
      });
      if (!beaten && cost < next_cost) {
        next = &c;
        next_cost = cost;
        c.predicted = p;
      }
    }
    if (next == nullptr) {
      outcome.stopped = "no deployment left that the model predicts would move the front";
      break;
    }
    for (Candidate& c : candidates)
      if (&c != next && !c.measured) c.predicted.reset();
    Result<bool> measured = measure(*next, "predicted best");
    if (!measured.ok()) return measured.error();
    if (!*measured) going = false;
  }
  if (going && spec.space.per_layer_kernels) {
    Result<bool> measured = ChoosePerLayer(spec, model, candidates, outcome.per_layer, measure);
    if (!measured.ok()) return measured.error();
    going = *measured;
  }
  if (going && !spec.space.pruning.empty()) {
    Result<bool> measured = TryPruning(spec, options.out_dir, candidates, outcome, measure, say);
    if (!measured.ok()) return measured.error();
  }
  if (outcome.stopped.empty()) outcome.stopped = "every deployment in the space was measured";

  // The chosen deployment, run over the whole dataset on the DUT.
  const std::vector<size_t> front = ParetoFront(candidates, spec);
  for (size_t i : front) {
    if (!(candidates[i].top1 < outcome.baseline_top1 - spec.limits.top1_drop_pts) &&
        (!outcome.chosen || ObjectiveOf(candidates[i], spec.objective) <
                                ObjectiveOf(candidates[*outcome.chosen], spec.objective)))
      outcome.chosen = i;
  }
  if (outcome.chosen && !outcome.interrupted && !spec.network.dataset.empty()) {
    const Candidate& chosen = candidates[*outcome.chosen];
    say("running the chosen " + chosen.deployment.Key() + " over the dataset on the DUT");
    Result<plan::Plan> p = PlanFor(spec, chosen.deployment, true, options.out_dir);
    if (!p.ok()) return p.error();
    Result<run::RunOutcome> ran = run::ExecutePlan(*p, RunOptionsOf(options));
    if (!ran.ok()) return ran.error();
    if (!ran->record.cases.empty()) outcome.confirmation = std::move(ran->record.cases.front());
  }
  outcome.minutes = minutes();
  return outcome;
}

}  // namespace hil::optimize
