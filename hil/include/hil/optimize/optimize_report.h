// What hil optimize leaves in its output folder besides results.db:
// optimize.json (every candidate, predicted and measured), report.html (the
// Pareto fronts, the chosen deployment and its saving, where the saving
// comes from layer by layer, how well the model predicted) and
// reproduce.yaml (a plan that measures the chosen deployment and the
// baseline again with hil run).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hil/error.h"
#include "hil/optimize/search.h"

namespace hil::optimize {

nlohmann::ordered_json OptimizeJson(const plan::OptimizeSpec& spec, const SearchOutcome& outcome);

// A plan of the chosen deployment and the baseline, with the spec's network
// (and dataset), bench and measurement; paths absolute. Empty without a
// chosen deployment.
std::string ReproducePlan(const plan::OptimizeSpec& spec, const SearchOutcome& outcome);

std::string OptimizeHtml(const plan::OptimizeSpec& spec, const SearchOutcome& outcome);

// Writes the three files into `folder`, each atomically. Errors:
// infrastructure.
Status WriteOptimizeOutputs(const plan::OptimizeSpec& spec, const SearchOutcome& outcome,
                            const std::string& folder);

// The saving of `value` against `reference`, in percent (positive: cheaper).
double SavingPct(double value, double reference);

}  // namespace hil::optimize
