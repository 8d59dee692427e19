#include "optimize_command.h"

#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "hil/bench/bench_spec.h"
#include "hil/optimize/optimize_report.h"
#include "hil/optimize/search.h"

namespace hil::cli {
namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) {
  interrupted = true;
  // A second Ctrl-C ends at once; every finished measurement is in results.db.
  ::signal(SIGINT, SIG_DFL);
}

struct OptimizeArguments {
  std::string spec, out, firmware_cache, bench_file, bench;
  bool resume = false, quiet = false;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil optimize: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int Optimize(const OptimizeArguments& arguments) {
  Result<plan::OptimizeSpec> spec = plan::ReadOptimizeSpec(arguments.spec);
  if (!spec.ok()) {
    std::fprintf(stderr, "%s\n", spec.error().message().c_str());
    return ExitCodeFor(spec.error().kind());
  }
  optimize::SearchOptions options;
  options.out_dir = arguments.out.empty() ? "results/optimize-" + spec->name : arguments.out;
  options.firmware_cache = arguments.firmware_cache;
  options.resume = arguments.resume;
  options.interrupted = &interrupted;
  if (!arguments.bench_file.empty()) {
    Result<bench::BenchSpec> named = bench::ReadNamedBench(arguments.bench_file, arguments.bench);
    if (!named.ok()) return Fail(named.error());
    if (named->kind != spec->bench.kind) {
      spec->bench.kind = named->kind;  // the bench file says what the bench is
    }
    options.bench = std::move(*named);
  } else if (!arguments.bench.empty()) {
    return Fail(ConfigurationError("--bench names a bench of a --bench-file"));
  }
  if (!arguments.quiet) {
    options.progress = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    };
    std::fprintf(stderr, "optimizing '%s' (%s) into %s\n", spec->name.c_str(),
                 arguments.spec.c_str(), options.out_dir.c_str());
  }
  ::signal(SIGINT, OnInterrupt);
  Result<optimize::SearchOutcome> outcome = optimize::Optimize(*spec, options);
  ::signal(SIGINT, SIG_DFL);
  if (!outcome.ok()) return Fail(outcome.error());
  if (Status written = optimize::WriteOptimizeOutputs(*spec, *outcome, options.out_dir);
      !written.ok())
    return Fail(written.error());

  const optimize::Candidate& base = outcome->candidates.front();
  std::printf("\nsearch stopped: %s (%zu measured by this search, %.1f min)\n",
              outcome->stopped.c_str(), outcome->measurements, outcome->minutes);
  int code = kExitOk;
  if (!outcome->chosen || !base.measured) {
    std::printf("no measured deployment meets the limits\n");
    code = ExitCodeFor(ErrorKind::kTestFailure);
  } else {
    const optimize::Candidate& chosen = outcome->candidates[*outcome->chosen];
    const auto energy = [](const optimize::Candidate& c) {
      return c.measured->figures.energy_uj.median;
    };
    const auto latency = [](const optimize::Candidate& c) {
      return c.measured->figures.latency_us.median;
    };
    std::printf("chosen:   %s\n", chosen.deployment.Key().c_str());
    std::printf("baseline: %s\n", base.deployment.Key().c_str());
    std::printf("energy  %12.3f uJ -> %12.3f uJ per inference (%.1f %% saved)\n", energy(base),
                energy(chosen), optimize::SavingPct(energy(chosen), energy(base)));
    std::printf("latency %12.3f us -> %12.3f us per inference (%.1f %% saved)\n", latency(base),
                latency(chosen), optimize::SavingPct(latency(chosen), latency(base)));
    const std::optional<size_t> whole = optimize::BestWholeModel(outcome->candidates, *spec);
    if (whole && &outcome->candidates[*whole] != &chosen) {
      const optimize::Candidate& w = outcome->candidates[*whole];
      std::printf(
          "against the best whole-model configuration %s: %.1f %% less energy, "
          "%.1f %% less time\n",
          w.deployment.Key().c_str(), optimize::SavingPct(energy(chosen), energy(w)),
          optimize::SavingPct(latency(chosen), latency(w)));
    } else if (whole) {
      std::printf("the chosen deployment is the best whole-model configuration\n");
    }
    // Empty when the budget ran out before the search came to it.
    const auto found = [](const std::string& text) {
      return text.empty() ? "not tried: the budget ran out first" : text.c_str();
    };
    if (spec->space.per_layer_kernels) {
      std::printf("per-layer kernel choice: %s\n", found(outcome->per_layer));
    }
    if (!spec->space.pruning.empty()) std::printf("pruning: %s\n", found(outcome->pruned));
    if (std::isnan(chosen.top1)) {
      std::printf("top-1   not judged (the network has no dataset; int8 only)\n");
    } else {
      std::printf("top-1   %.1f %% (the int8 model's %.1f %%)\n", chosen.top1,
                  outcome->baseline_top1);
    }
    if (outcome->confirmation && outcome->confirmation->dataset) {
      const run::DatasetResult& d = *outcome->confirmation->dataset;
      std::printf("on the DUT: top-1 %.1f %% over %zu inputs, %zu outputs equal to the host's\n",
                  100 * d.top1(), d.inputs, d.matched);
      if (d.matched != d.inputs) code = ExitCodeFor(ErrorKind::kTestFailure);
    }
  }
  std::printf("wrote %s: report.html, optimize.json%s; results.db holds every measurement\n",
              options.out_dir.c_str(), outcome->chosen ? ", reproduce.yaml" : "");
  if (outcome->interrupted) return ExitCodeFor(ErrorKind::kInfrastructure);
  return code;
}

}  // namespace

void AddOptimizeCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<OptimizeArguments>();
  CLI::App* command = app.add_subcommand(
      "optimize",
      "Find the cheapest deployment of a network that still meets its limits. The\n"
      "spec (testplans/README.md, 'Optimize specs') names the network with its\n"
      "dataset, the boards, the objective (energy or latency per inference), the\n"
      "limits (top-1 drop against the int8 model, latency, flash, RAM), the search\n"
      "space and a budget. The search measures the baseline and one change of each\n"
      "dimension, fits a per-layer cost model to what it measured, then measures the\n"
      "deployments the model predicts best until the Pareto front stops moving or\n"
      "the budget runs out. Then it tries per-layer kernel choice and channel\n"
      "pruning (scored on the host, the pruned network measured on the best\n"
      "deployment); the chosen one is run over the whole dataset on the DUT.\n"
      "Ctrl-C stops after the measurement in progress and keeps every one;\n"
      "--resume goes on from --out's results.db.\n\n"
      "Examples:\n"
      "  hil optimize testplans/optimize-kws.yaml\n"
      "  hil optimize testplans/optimize-kws.yaml --out results/kws-opt --resume\n"
      "  hil optimize spec.yaml --bench-file lab.yaml --bench l4r5-ppk2   (a real bench)\n\n"
      "Writes report.html, optimize.json, reproduce.yaml (hil run it to measure the\n"
      "chosen deployment again), results.db and a pruned network's .tflite into --out.\n\n"
      "Exit codes: 0 a deployment meets the limits, 1 none does (or the chosen one's\n"
      "outputs differ from the host's), 2 the spec is wrong, 3 the bench failed or the\n"
      "search was interrupted.");
  command->add_option("spec", arguments->spec, "The optimize spec (YAML)")->required();
  command->add_option("--out", arguments->out, "Output folder (default results/optimize-NAME)");
  command->add_option("--firmware-cache", arguments->firmware_cache,
                      "Where firmware built for deployments is kept (default $HIL_CACHE_DIR or "
                      "~/.cache/hil)");
  command
      ->add_option("--bench-file", arguments->bench_file,
                   "Measure on a bench of this bench file (hil/BENCHES.md) instead of the "
                   "virtual bench")
      ->check(CLI::ExistingFile);
  command->add_option("--bench", arguments->bench,
                      "Which bench of --bench-file (needed when it has several)");
  command->add_flag("--resume", arguments->resume,
                    "Go on with the search --out's results.db holds, measuring nothing twice");
  command->add_flag("-q,--quiet", arguments->quiet, "No progress; the outcome only");
  command->callback([arguments, &exit_code] { exit_code = Optimize(*arguments); });
}

}  // namespace hil::cli
