#include "hil/optimize/prune_search.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "hil/model/dataset.h"
#include "hil/model/prune.h"
#include "hil/model/tflite_reader.h"
#include "hil/model/tflite_writer.h"
#include "hil/run/exports.h"

namespace hil::optimize {
namespace {

namespace fs = std::filesystem;

// One labelled input of the dataset, read once for every network scored.
struct Example {
  std::string file;
  std::vector<uint8_t> input;
  size_t label = 0;
};

Result<std::vector<Example>> ReadExamples(const plan::OptimizeSpec& spec,
                                          const model::LoweredModel& lowered) {
  Result<std::vector<model::LabelledInput>> entries =
      model::CheckDataset(spec.network.dataset, lowered);
  if (!entries.ok()) return entries.error();
  std::vector<Example> examples;
  for (const model::LabelledInput& entry : *entries) {
    Result<std::vector<uint8_t>> input =
        model::ReadInput((fs::path(spec.network.dataset) / entry.file).string());
    if (!input.ok()) return input.error();
    examples.push_back({entry.file, std::move(*input), entry.label});
  }
  return examples;
}

Result<double> Score(const model::LoweredModel& lowered, const std::vector<Example>& examples) {
  model::DatasetScorer scorer(lowered);
  for (const Example& example : examples) {
    Result<model::ModelOutput> output = model::RunReference(lowered, example.input);
    if (!output.ok()) return output.error().WithContext(example.file);
    scorer.Add(example.input, output->values, example.label);
  }
  return 100 * (scorer.metric() == model::DatasetMetric::kAuc ? scorer.Auc() : scorer.Top1());
}

Result<double> ScoreModel(const plan::OptimizeSpec& spec, const model::Model& network,
                          const std::vector<Example>& examples) {
  Result<std::unique_ptr<model::LoweredModel>> lowered = model::Lower(network, spec.network.name);
  if (!lowered.ok()) return lowered.error();
  return Score(**lowered, examples);
}

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%", value);
  return text;
}

}  // namespace

Result<double> HostScore(const plan::OptimizeSpec& spec, model::NumberFormat format,
                         const std::string& model_file) {
  const std::string file = model_file.empty() ? spec.network.model : model_file;
  Result<std::unique_ptr<model::LoweredModel>> lowered =
      model::LowerFile(file, spec.network.name, format);
  if (!lowered.ok()) return lowered.error().WithContext(file);
  Result<std::vector<Example>> examples = ReadExamples(spec, **lowered);
  if (!examples.ok()) return examples.error();
  return Score(**lowered, *examples);
}

std::string PrunedModelPath(const plan::OptimizeSpec& spec, const std::string& out_dir,
                            uint32_t permille) {
  return (fs::path(out_dir) /
          (spec.network.name + "-pruned-" + std::to_string(permille) + ".tflite"))
      .string();
}

Result<PruneSearchResult> SearchPruning(const plan::OptimizeSpec& spec, const std::string& out_dir,
                                        double baseline_top1,
                                        const std::function<void(const std::string&)>& say) {
  PruneSearchResult result;
  Result<model::Model> network = model::ReadTfliteFile(spec.network.model);
  if (!network.ok()) return network.error();
  const std::vector<model::PruneChain> chains = model::PruneChains(*network);
  if (chains.empty() || spec.space.pruning.empty()) {
    result.found = chains.empty() ? "the network has no chain of channels to prune (a "
                                    "convolution or fully-connected layer whose channels reach "
                                    "another through channel-wise layers)"
                                  : "off in the spec";
    return result;
  }
  // Pruning keeps the network's input, so the dataset is read once.
  Result<std::unique_ptr<model::LoweredModel>> unpruned = model::Lower(*network, spec.network.name);
  if (!unpruned.ok()) return unpruned.error();
  Result<std::vector<Example>> examples = ReadExamples(spec, **unpruned);
  if (!examples.ok()) return examples.error();
  say("pruning: each channel's mean on the dataset, for the bias compensation (" +
      std::to_string(chains.size()) + " chains)");
  Result<std::vector<std::vector<double>>> means =
      model::ConsumerInputMeans(*network, chains, spec.network.dataset);
  if (!means.ok()) return means.error();
  const double floor = baseline_top1 - spec.limits.top1_drop_pts;
  const std::vector<double>& levels = spec.space.pruning;
  // Per chain, the index of its fraction in `levels` plus one (0: none).
  std::vector<size_t> level(chains.size(), 0);
  const auto fractions_of = [&](const std::vector<size_t>& at) {
    std::vector<double> fractions;
    for (size_t l : at) fractions.push_back(l == 0 ? 0.0 : levels[l - 1]);
    return fractions;
  };
  const auto name_of = [&](size_t c) {
    return std::string(model::OpName(network->operators[chains[c].producer].kind)) + " " +
           std::to_string(chains[c].producer);
  };
  std::optional<model::Model> best_network;
  for (;;) {
    std::optional<size_t> best;
    double best_top1 = 0;
    std::optional<model::Model> best_step;
    for (size_t c = 0; c < chains.size(); ++c) {
      if (level[c] == levels.size()) continue;
      std::vector<size_t> tried = level;
      ++tried[c];
      Result<model::Model> pruned =
          model::PruneChannels(*network, chains, *means, fractions_of(tried));
      if (!pruned.ok()) return pruned.error();
      Result<double> top1 = ScoreModel(spec, *pruned, *examples);
      if (!top1.ok()) return top1.error().WithContext("the network with " + name_of(c) + " pruned");
      // Among equal scores the chain whose producer has more weights.
      const auto weights = [&](size_t i) {
        return network->tensors[network->operators[chains[i].producer].inputs[1]].elements();
      };
      if (*top1 < floor) continue;
      if (!best || *top1 > best_top1 || (*top1 == best_top1 && weights(c) > weights(*best))) {
        best = c;
        best_top1 = *top1;
        best_step = std::move(*pruned);
      }
    }
    if (!best) break;
    ++level[*best];
    PruneStep step;
    step.layer = name_of(*best);
    step.channels = chains[*best].channels;
    step.fraction = levels[level[*best] - 1];
    step.top1 = best_top1;
    say("  pruned " + step.layer + " to " + Percent(100 * step.fraction) + " of its " +
        std::to_string(step.channels) + " channels: top-1 " + Percent(best_top1));
    result.steps.push_back(step);
    best_network = std::move(best_step);
  }
  result.fractions = fractions_of(level);
  if (result.steps.empty()) {
    result.found = "pruning any chain by " + Percent(100 * levels.front()) +
                   " costs more top-1 than the limit allows";
    return result;
  }
  int64_t removed = 0, total = 0;
  for (size_t c = 0; c < chains.size(); ++c) {
    removed += model::PrunedCount(chains[c].channels, result.fractions[c]);
    total += chains[c].channels;
  }
  result.permille = static_cast<uint32_t>(std::lround(1000.0 * removed / total));
  if (result.permille == 0) result.permille = 1;
  result.top1 = result.steps.back().top1;
  result.file = PrunedModelPath(spec, out_dir, result.permille);
  Result<std::vector<uint8_t>> bytes = model::WriteTflite(*best_network);
  if (!bytes.ok()) return bytes.error();
  HIL_RETURN_IF_ERROR(run::WriteAtomically(result.file, std::string(bytes->begin(), bytes->end())));
  result.found = std::to_string(removed) + " of the " + std::to_string(total) + " channels of " +
                 std::to_string(chains.size()) + " chains pruned in " +
                 std::to_string(result.steps.size()) + " steps (top-1 " + Percent(result.top1) +
                 " on the host)";
  return result;
}

}  // namespace hil::optimize
