#include "hil/optimize/optimize_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "hil/measure/figures_json.h"
#include "hil/measure/units.h"
#include "hil/model/prune.h"
#include "hil/run/exports.h"
#include "hil/run/results_json.h"
#include "hil/run/svg_plot.h"

namespace hil::optimize {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using measure::Human;
using measure::Quantity;
using run::Html;

const Candidate* Chosen(const SearchOutcome& o) {
  return o.chosen ? &o.candidates[*o.chosen] : nullptr;
}

double Energy(const Candidate& c) { return c.measured->figures.energy_uj.median; }
double Latency(const Candidate& c) { return c.measured->figures.latency_us.median; }

// How far a prediction was from the measurement, in percent of it.
double ErrorPct(double predicted, double measured) {
  return 100 * (predicted - measured) / measured;
}

std::string Pct(double value, const char* format = "%+.1f %%") {
  if (!std::isfinite(value)) return "-";
  if (std::abs(value) < 0.05) value = 0;  // never "-0.0"
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// A YAML scalar in double quotes: any path or name reads back as written.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ConfigurationYaml(const Deployment& d) {
  const plan::Configuration c = ConfigurationOf(d);
  std::string defines;
  for (const std::string& define : c.defines) defines += (defines.empty() ? "" : ", ") + define;
  return "{framework: " + c.framework + ", kernels: " + c.kernels +
         ", number_format: " + std::string(ToText(c.number_format)) +
         ", fpu: " + (c.fpu ? "on" : "off") + ", optimisation: " + c.optimisation +
         (defines.empty() ? "" : ", defines: [" + defines + "]") + "}";
}

enum class Axis { kEnergy, kLatency, kTop1 };

double On(const Candidate& c, Axis axis) {
  return axis == Axis::kEnergy ? Energy(c) : axis == Axis::kLatency ? Latency(c) : c.top1;
}

// One scatter of the measured candidates (x against y), the front of the
// objective joined when it is on x, the baseline and the chosen deployment
// ringed.
std::string FrontPlot(const plan::OptimizeSpec& spec, const SearchOutcome& o, Axis x_axis,
                      Axis y_axis) {
  std::vector<const Candidate*> points;
  for (const Candidate& c : o.candidates)
    if (c.measured && c.measured->status == run::CaseStatus::kPass) points.push_back(&c);
  if (points.empty()) return {};
  const auto unit_of = [&](Axis axis, double largest) {
    if (axis == Axis::kTop1) return measure::DisplayUnit{"%", 1};
    return measure::UnitForMagnitude(
        largest, axis == Axis::kEnergy ? Quantity::kEnergyUj : Quantity::kTimeUs);
  };
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Candidate* c : points) {
    x0 = std::min(x0, On(*c, x_axis)), x1 = std::max(x1, On(*c, x_axis));
    y0 = std::min(y0, On(*c, y_axis)), y1 = std::max(y1, On(*c, y_axis));
  }
  const measure::DisplayUnit xu = unit_of(x_axis, x1), yu = unit_of(y_axis, y1);
  x0 /= xu.scale, x1 /= xu.scale, y0 /= yu.scale, y1 /= yu.scale;
  const double px = (x1 - x0) * 0.08 + std::abs(x1) * 0.02;
  const double py = y_axis == Axis::kTop1 ? std::max(1.0, (y1 - y0) * 0.2)
                                          : (y1 - y0) * 0.08 + std::abs(y1) * 0.02;
  run::Plot plot(run::kPlotWidth, 320, x_axis == Axis::kTop1 ? x0 - px : std::max(0.0, x0 - px),
                 x1 + px, y_axis == Axis::kTop1 ? y0 - py : std::max(0.0, y0 - py), y1 + py);
  const auto label = [](Axis axis, const measure::DisplayUnit& unit) {
    return axis == Axis::kTop1 ? std::string("top-1 on the dataset (%)")
                               : std::string(axis == Axis::kEnergy ? "energy" : "latency") +
                                     " per inference (" + unit.name + ", median)";
  };
  plot.Axes(label(x_axis, xu), label(y_axis, yu));
  const Axis objective =
      spec.objective == plan::Objective::kEnergy ? Axis::kEnergy : Axis::kLatency;
  const std::vector<size_t> front = ParetoFront(o.candidates, spec);
  if (x_axis == objective && y_axis == Axis::kTop1 && front.size() > 1) {
    plot.raw() << "<polyline class=\"front\" fill=\"none\" stroke=\"#111\" stroke-width=\"2\" "
                  "points=\"";
    for (size_t i : front) {
      plot.raw() << plot.X(On(o.candidates[i], x_axis) / xu.scale) << ","
                 << plot.Y(On(o.candidates[i], y_axis) / yu.scale) << " ";
    }
    plot.raw() << "\"/>";
  }
  for (const Candidate* c : points) {
    const bool within = WithinLimits(*c, spec);
    const bool chosen = c == Chosen(o), baseline = c == &o.candidates.front();
    const double x = plot.X(On(*c, x_axis) / xu.scale), y = plot.Y(On(*c, y_axis) / yu.scale);
    plot.raw() << "<circle class=\"candidate\" cx=\"" << x << "\" cy=\"" << y << "\" r=\""
               << (chosen || baseline ? 7 : 4.5) << "\" fill=\""
               << (within ? run::kPalette[0] : "#d1d5db") << "\" stroke=\""
               << (chosen     ? run::kPalette[2]
                   : baseline ? run::kPalette[1]
                              : "none")
               << "\" stroke-width=\"3\"><title>" << Html(c->deployment.Key()) << ": "
               << Html(Human(Energy(*c), Quantity::kEnergyUj)) << ", "
               << Html(Human(Latency(*c), Quantity::kTimeUs)) << "</title></circle>";
    if (chosen || baseline) {
      plot.raw() << "<text x=\"" << x + 10 << "\" y=\"" << y - 8 << "\" font-size=\"11\">"
                 << (chosen ? "chosen" : "baseline") << "</text>";
    }
  }
  return plot.Finish();
}

// Baseline and chosen deployment layer by layer.
// Layer by layer, `from` against `to` (named so in the headings).
std::string LayerTable(const Candidate& baseline, const Candidate& chosen,
                       const std::string& from = "baseline", const std::string& to = "chosen") {
  const run::CaseResult& a = *baseline.measured;
  const run::CaseResult& b = *chosen.measured;
  if (a.figures.layers.size() != b.figures.layers.size() || a.layer_ops != b.layer_ops) {
    return "<p class=\"note\">The " + from + " and the " + to +
           " deployment run different layer lists "
           "(" +
           std::to_string(a.figures.layers.size()) + " and " +
           std::to_string(b.figures.layers.size()) +
           " layers), so they are compared as whole inferences only.</p>";
  }
  std::ostringstream html;
  const Deployment& d = chosen.deployment;
  const auto kernels_of = [&](size_t index) {
    const bool reference = index < 64 && ((d.reference_layers >> index) & 1u) != 0;
    return d.framework + "/" + (reference ? std::string("reference") : d.kernels);
  };
  html << "<table><tr><th>layer</th><th>op</th><th>" << to << " kernels</th><th>latency <small>"
       << from << " &rarr; " << to << "</small></th><th>saving</th><th>energy <small>" << from
       << " &rarr; " << to << "</small></th><th>saving</th><th>share of the energy saved</th></tr>";
  double saved_total = 0;
  for (size_t i = 0; i < a.figures.layers.size(); ++i)
    saved_total += a.figures.layers[i].energy_uj.median - b.figures.layers[i].energy_uj.median;
  for (size_t i = 0; i < a.figures.layers.size(); ++i) {
    const measure::LayerFigures& la = a.figures.layers[i];
    const measure::LayerFigures& lb = b.figures.layers[i];
    const std::string op = la.index < a.layer_ops.size() ? a.layer_ops[la.index] : "";
    const double saved = la.energy_uj.median - lb.energy_uj.median;
    html << "<tr><td>" << la.index << "</td><td>" << Html(op) << "</td><td>"
         << Html(kernels_of(la.index)) << "</td><td class=\"num\">"
         << Html(Human(la.latency_us.median, Quantity::kTimeUs)) << " &rarr; "
         << Html(Human(lb.latency_us.median, Quantity::kTimeUs)) << "</td><td class=\"num\">"
         << Pct(SavingPct(lb.latency_us.median, la.latency_us.median), "%.1f %%")
         << "</td><td class=\"num\">" << Html(Human(la.energy_uj.median, Quantity::kEnergyUj))
         << " &rarr; " << Html(Human(lb.energy_uj.median, Quantity::kEnergyUj))
         << "</td><td class=\"num\">"
         << Pct(SavingPct(lb.energy_uj.median, la.energy_uj.median), "%.1f %%")
         << "</td><td class=\"num\">"
         << Pct(saved_total != 0 ? 100 * saved / saved_total : NAN, "%.1f %%") << "</td></tr>";
  }
  html << "</table>";
  return html.str();
}

}  // namespace

double SavingPct(double value, double reference) { return 100 * (reference - value) / reference; }

Json OptimizeJson(const plan::OptimizeSpec& spec, const SearchOutcome& o) {
  Json json;
  json["optimize"] = spec.name;
  json["spec"] = fs::absolute(spec.path).string();
  json["objective"] = ToText(spec.objective);
  Json limits = {{"top1_drop_pts", spec.limits.top1_drop_pts}};
  if (spec.limits.latency_us) limits["latency_us"] = *spec.limits.latency_us;
  if (spec.limits.flash_bytes) limits["flash_bytes"] = *spec.limits.flash_bytes;
  if (spec.limits.ram_bytes) limits["ram_bytes"] = *spec.limits.ram_bytes;
  json["limits"] = limits;
  json["int8_top1_pct"] = o.baseline_top1;
  json["stopped"] = o.stopped;
  json["interrupted"] = o.interrupted;
  json["measurements"] = o.measurements;
  json["minutes"] = o.minutes;
  json["baseline"] = o.candidates.front().deployment.Key();
  const Candidate* chosen = Chosen(o);
  json["chosen"] = chosen ? Json(chosen->deployment.Key()) : Json(nullptr);
  if (chosen && o.candidates.front().measured) {
    const Candidate& base = o.candidates.front();
    json["saving_pct"] = {
        {"energy", measure::NumberJson(SavingPct(Energy(*chosen), Energy(base)))},
        {"latency", measure::NumberJson(SavingPct(Latency(*chosen), Latency(base)))}};
  }
  const std::optional<size_t> whole = BestWholeModel(o.candidates, spec);
  json["best_whole_model"] = whole ? Json(o.candidates[*whole].deployment.Key()) : Json(nullptr);
  if (chosen && whole) {
    const Candidate& w = o.candidates[*whole];
    json["saving_vs_best_whole_model_pct"] = {
        {"energy", measure::NumberJson(SavingPct(Energy(*chosen), Energy(w)))},
        {"latency", measure::NumberJson(SavingPct(Latency(*chosen), Latency(w)))}};
  }
  json["per_layer_kernels"] = spec.space.per_layer_kernels ? Json(o.per_layer) : Json("off");
  Json steps = Json::array();
  for (const PruneStep& step : o.pruning.steps) {
    steps.push_back({{"layer", step.layer},
                     {"channels", step.channels},
                     {"fraction", step.fraction},
                     {"top1_pct", step.top1}});
  }
  json["pruning"] = {{"found", spec.space.pruning.empty() ? "off" : o.pruned},
                     {"steps", steps},
                     {"pruned_permille", o.pruning.permille},
                     {"file", o.pruning.file.empty() ? Json(nullptr) : Json(o.pruning.file)}};
  if (o.confirmation) {
    const run::CaseResult& r = *o.confirmation;
    Json confirmed = {{"status", ToText(r.status)}};
    if (r.dataset) {
      confirmed["inputs"] = r.dataset->inputs;
      confirmed["top1_pct"] = 100 * r.dataset->top1();
      confirmed["outputs_matching_reference"] = r.dataset->matched;
    }
    json["confirmation"] = confirmed;
  }
  Json candidates = Json::array();
  for (const Candidate& c : o.candidates) {
    const Deployment& d = c.deployment;
    Json entry = {{"key", d.Key()},       {"framework", d.framework},
                  {"kernels", d.kernels}, {"number_format", ToText(d.number_format)},
                  {"fpu", d.fpu},         {"optimisation", d.optimisation},
                  {"board", d.board},     {"top1_pct", c.top1}};
    if (!c.excluded.empty()) entry["excluded"] = c.excluded;
    if (c.order) entry["measured_as"] = c.order, entry["why"] = c.reason;
    if (c.predicted) {
      entry["predicted"] = {{"latency_us", c.predicted->latency_us},
                            {"energy_uJ", c.predicted->energy_uj},
                            {"flash_bytes", c.predicted->flash_bytes},
                            {"ram_bytes", c.predicted->ram_bytes}};
    }
    if (c.measured) {
      const run::CaseResult& r = *c.measured;
      entry["measured"] = {
          {"status", ToText(r.status)},
          {"latency_us", measure::NumberJson(r.figures.latency_us.median)},
          {"energy_uJ", measure::NumberJson(r.figures.energy_uj.median)},
          {"flash_bytes", run::FlashBytes(r)},
          {"ram_bytes", run::RamBytes(r)},
          {"outputs_match",
           r.verification.outputs_match ? Json(*r.verification.outputs_match) : Json(nullptr)}};
      if (c.predicted && r.status == run::CaseStatus::kPass) {
        entry["prediction_error_pct"] = {
            {"latency", ErrorPct(c.predicted->latency_us, r.figures.latency_us.median)},
            {"energy", ErrorPct(c.predicted->energy_uj, r.figures.energy_uj.median)}};
      }
      std::string why;
      entry["within_limits"] = WithinLimits(c, spec, &why);
      if (!why.empty() && c.excluded.empty()) entry["outside_limits"] = why;
    }
    candidates.push_back(entry);
  }
  json["candidates"] = candidates;
  return json;
}

std::string ReproducePlan(const plan::OptimizeSpec& spec, const SearchOutcome& o) {
  const Candidate* chosen = Chosen(o);
  if (chosen == nullptr) return {};
  const Deployment& best = chosen->deployment;
  const Deployment& base = o.candidates.front().deployment;
  const plan::Network& n = spec.network;
  std::ostringstream yaml;
  yaml << "# Written by hil optimize from " << fs::absolute(spec.path).string()
       << ":\n# the chosen deployment and the baseline, measured again with\n"
       << "#   hil run reproduce.yaml --out results/reproduce\n"
       << "plan: " << Quoted("optimize-" + spec.name + "-reproduce") << "\n"
       << "bench: {kind: " << ToText(spec.bench.kind) << ", probe: " << spec.bench.probe.kind
       << ", flasher: " << ToText(spec.bench.flasher) << "}\n"
       << "networks:\n";
  // A pruned chosen network is a network of its own, run by the chosen
  // configuration only.
  const bool pruned = Pruned(best) && !o.pruning.file.empty();
  const std::string pruned_name = n.name + "-pruned";
  const auto network = [&](const std::string& name, const std::string& model) {
    yaml << "  " << Quoted(name) << ":\n    model: " << Quoted(model) << "\n";
    if (!n.input.empty()) {
      yaml << "    input: " << Quoted(n.input) << "\n";
    } else if (n.dataset.empty()) {
      yaml << "    input: random-input.bin   # the bytes the search checked outputs on\n";
    }
    if (!n.dataset.empty()) yaml << "    dataset: " << Quoted(n.dataset) << "\n";
    if (!n.mlperf.empty()) yaml << "    mlperf: " << n.mlperf << "\n";
  };
  network(n.name, n.model);
  if (pruned) network(pruned_name, o.pruning.file);
  yaml << "configurations:\n  chosen: " << ConfigurationYaml(best)
       << "\n  baseline: " << ConfigurationYaml(base) << "\nmatrix:\n  boards: [" << best.board;
  if (base.board != best.board) yaml << ", " << base.board;
  yaml << "]\n";
  if (base.board != best.board || pruned) yaml << "  exclude:\n";
  if (base.board != best.board) {
    yaml << "    - {configuration: chosen, board: " << base.board
         << "}\n    - {configuration: baseline, board: " << best.board << "}\n";
  }
  if (pruned) {
    yaml << "    - {configuration: chosen, network: " << Quoted(n.name)
         << "}\n    - {configuration: baseline, network: " << Quoted(pruned_name) << "}\n";
  }
  yaml << "measurement: {warmup: " << spec.measurement.warmup << ", runs: " << spec.measurement.runs
       << "}\n";
  return yaml.str();
}

std::string OptimizeHtml(const plan::OptimizeSpec& spec, const SearchOutcome& o) {
  const Candidate& base = o.candidates.front();
  const Candidate* chosen = Chosen(o);
  const bool energy_objective = spec.objective == plan::Objective::kEnergy;
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hil optimize: "
       << Html(spec.name)
       << "</title><style>body{font-family:system-ui,sans-serif;margin:24px;color:#111;"
          "max-width:1800px}table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px "
          "solid #d1d5db;padding:4px 8px;text-align:left;font-size:13px}th{background:#f3f4f6}"
          ".num{white-space:nowrap}.note{color:#6b7280;font-size:12px}small{color:#6b7280}"
          ".plots{display:grid;gap:24px;grid-template-columns:repeat(auto-fill,minmax(min(100%,"
          "560px),1fr))}.plots svg{width:100%;height:auto;display:block}.chosen{background:"
          "#ecfdf5}</style></head><body>";
  size_t measured = 0;
  for (const Candidate& c : o.candidates) measured += c.measured.has_value();
  html << "<h1>hil optimize: " << Html(spec.name) << "</h1><p>" << Html(spec.network.name) << " ("
       << Html(fs::path(spec.network.model).filename().string())
       << "), objective: " << ToText(spec.objective) << " per inference. " << o.candidates.size()
       << " deployments in the space, " << measured << " measured (" << o.measurements
       << " by this search, in " << Pct(o.minutes, "%.1f") << " min). "
       << "The search stopped: " << Html(o.stopped) << ".</p>";
  if (std::isnan(o.baseline_top1)) {
    html << "<p>Limits: accuracy not judged (the network has no dataset; int8 only, whose every "
            "deployment gives the same bits)";
  } else {
    html << "<p>Limits: top-1 at most " << Pct(spec.limits.top1_drop_pts, "%.1f")
         << " points under the unmodified int8 model's " << Pct(o.baseline_top1, "%.1f %%");
  }
  if (spec.limits.latency_us)
    html << "; latency " << Html(Human(*spec.limits.latency_us, Quantity::kTimeUs));
  if (spec.limits.flash_bytes)
    html << "; flash " << Html(measure::HumanBytes(*spec.limits.flash_bytes));
  if (spec.limits.ram_bytes) html << "; RAM " << Html(measure::HumanBytes(*spec.limits.ram_bytes));
  html << ".</p>";

  html << "<h2>The chosen deployment</h2>";
  if (chosen == nullptr || !base.measured) {
    html << "<p>No measured deployment meets the limits.</p>";
  } else {
    html << "<p><b>" << Html(chosen->deployment.Key())
         << "</b>: " << Html(Human(Energy(*chosen), Quantity::kEnergyUj)) << " and "
         << Html(Human(Latency(*chosen), Quantity::kTimeUs))
         << " per inference, against the baseline " << Html(base.deployment.Key()) << "'s "
         << Html(Human(Energy(base), Quantity::kEnergyUj)) << " and "
         << Html(Human(Latency(base), Quantity::kTimeUs)) << ": <b>"
         << Pct(SavingPct(Energy(*chosen), Energy(base)), "%.1f %%") << " less energy, "
         << Pct(SavingPct(Latency(*chosen), Latency(base)), "%.1f %%") << " less time</b>. ";
    if (std::isnan(chosen->top1)) {
      html << "Accuracy not judged (no dataset)";
    } else {
      html << "Top-1 " << Pct(chosen->top1, "%.1f %%") << " on the host";
    }
    if (o.confirmation && o.confirmation->dataset) {
      const run::DatasetResult& d = *o.confirmation->dataset;
      html << "; on the DUT over the " << d.inputs << " dataset inputs "
           << Pct(100 * d.top1(), "%.1f %%") << ", " << d.matched << " of " << d.inputs
           << " outputs equal to the host's bit for bit";
    }
    html << ". Flash " << Html(measure::HumanBytes(run::FlashBytes(*chosen->measured))) << ", RAM "
         << Html(measure::HumanBytes(run::RamBytes(*chosen->measured))) << ".</p>";
    const std::optional<size_t> whole = BestWholeModel(o.candidates, spec);
    if (whole && &o.candidates[*whole] != chosen) {
      const Candidate& w = o.candidates[*whole];
      html << "<p>Against the best whole-model configuration, " << Html(w.deployment.Key()) << ": "
           << Pct(SavingPct(Energy(*chosen), Energy(w)), "%.1f %%") << " less energy, "
           << Pct(SavingPct(Latency(*chosen), Latency(w)), "%.1f %%")
           << " less time: what per-layer kernel choice and pruning add.</p>";
    } else {
      html << "<p>The chosen deployment is the best whole-model configuration itself.</p>";
    }
    html << "<p>Per-layer kernel choice: "
         << Html(spec.space.per_layer_kernels ? o.per_layer : "off in the spec")
         << ".</p><p>Channel pruning: "
         << Html(spec.space.pruning.empty() ? "off in the spec" : o.pruned) << ".</p>";
    if (Pruned(chosen->deployment) && !o.pruning.file.empty()) {
      html << "<p>The optimised network: <code>" << Html(o.pruning.file) << "</code>.</p>";
    }
  }

  const bool judged = !std::isnan(o.baseline_top1);
  html << "<h2>Pareto fronts</h2><p class=\"note\">Every measured deployment; grey ones break a "
          "limit. "
       << (judged ? "The line joins the front of the objective against top-1."
                  : "Without a dataset accuracy is not judged: energy against latency.")
       << "</p><div class=\"plots\"><div>"
       << (judged ? FrontPlot(spec, o, Axis::kEnergy, Axis::kTop1)
                  : FrontPlot(spec, o, Axis::kLatency, Axis::kEnergy))
       << "</div><div>" << (judged ? FrontPlot(spec, o, Axis::kLatency, Axis::kTop1) : "")
       << "</div></div>";

  html << "<h2>Every measurement</h2><table><tr><th>#</th><th>deployment</th><th>why</th>"
          "<th>predicted</th><th>energy</th><th>latency</th><th>prediction error</th>"
          "<th>flash</th><th>RAM</th><th>top-1</th><th>limits</th></tr>";
  std::vector<const Candidate*> order;
  for (const Candidate& c : o.candidates)
    if (c.order) order.push_back(&c);
  std::sort(order.begin(), order.end(),
            [](const Candidate* a, const Candidate* b) { return a->order < b->order; });
  std::vector<double> errors;
  for (const Candidate* c : order) {
    const run::CaseResult& r = *c->measured;
    const bool passed = r.status == run::CaseStatus::kPass;
    std::string why;
    const bool within = WithinLimits(*c, spec, &why);
    const double objective = ObjectiveOf(*c, spec.objective);
    const double predicted =
        c->predicted ? (energy_objective ? c->predicted->energy_uj : c->predicted->latency_us)
                     : NAN;
    const double error = passed ? ErrorPct(predicted, objective) : NAN;
    if (std::isfinite(error)) errors.push_back(std::abs(error));
    const Quantity q = energy_objective ? Quantity::kEnergyUj : Quantity::kTimeUs;
    html << "<tr" << (c == chosen ? " class=\"chosen\"" : "") << "><td>" << c->order << "</td><td>"
         << Html(c->deployment.Key()) << "</td><td>" << Html(c->reason) << "</td><td class=\"num\">"
         << (c->predicted ? Html(Human(predicted, q)) : "-") << "</td><td class=\"num\">"
         << (passed ? Html(Human(r.figures.energy_uj.median, Quantity::kEnergyUj)) : "-")
         << "</td><td class=\"num\">"
         << (passed ? Html(Human(r.figures.latency_us.median, Quantity::kTimeUs)) : "-")
         << "</td><td class=\"num\">" << Pct(error) << "</td><td class=\"num\">"
         << Html(measure::HumanBytes(run::FlashBytes(r))) << "</td><td class=\"num\">"
         << Html(measure::HumanBytes(run::RamBytes(r))) << "</td><td class=\"num\">"
         << Pct(c->top1, "%.1f %%") << "</td><td>" << (within ? "met" : Html(why)) << "</td></tr>";
  }
  html << "</table>";
  if (!errors.empty()) {
    std::sort(errors.begin(), errors.end());
    html << "<p>The cost model's predictions of the deployments it chose: median error "
         << Pct(errors[errors.size() / 2], "%.1f %%") << ", largest "
         << Pct(errors.back(), "%.1f %%") << " (" << errors.size() << " confirmed).</p>";
  }

  if (chosen != nullptr && base.measured && chosen != &base) {
    html << "<h2>Where the saving comes from</h2>" << LayerTable(base, *chosen);
  }
  // The evidence per-layer choice decided on: the SIMD deployment it
  // started from against the reference kernels, layer by layer.
  const Candidate* simd = nullptr;
  for (const Candidate& c : o.candidates) {
    const Deployment& d = c.deployment;
    if (d.framework == "hil" && d.kernels == "simd" && !PerLayer(d) && !Pruned(d) && c.measured &&
        !c.measured->figures.layers.empty() &&
        (!simd || ObjectiveOf(c, spec.objective) < ObjectiveOf(*simd, spec.objective)))
      simd = &c;
  }
  if (spec.space.per_layer_kernels && simd != nullptr) {
    Deployment reference = simd->deployment;
    reference.kernels = "reference";
    for (const Candidate& c : o.candidates) {
      if (c.deployment != reference || !c.measured || c.measured->figures.layers.empty()) continue;
      html << "<h2>Per-layer kernel choice</h2><p>" << Html(o.per_layer) << ".</p>"
           << LayerTable(c, *simd, "reference", "SIMD");
    }
  }
  if (!o.pruning.steps.empty()) {
    html << "<h2>Pruning</h2><p class=\"note\">Structured channel pruning without retraining: "
            "the smallest-norm output channels of each convolution or fully-connected layer "
            "whose channels reach the next one through channel-wise layers, the next layer's "
            "bias taking their mean contribution on the dataset. Each step pruned the chain "
            "whose next level scored best on the host, while the top-1 stayed within the "
            "limit.</p><table><tr><th>step</th><th>layer</th><th>channels pruned</th>"
            "<th>top-1 (host)</th></tr>";
    for (size_t i = 0; i < o.pruning.steps.size(); ++i) {
      const PruneStep& step = o.pruning.steps[i];
      html << "<tr><td class=\"num\">" << i + 1 << "</td><td>" << Html(step.layer)
           << "</td><td class=\"num\">" << model::PrunedCount(step.channels, step.fraction)
           << " of " << step.channels << "</td><td class=\"num\">" << Pct(step.top1, "%.1f %%")
           << "</td></tr>";
    }
    html << "</table>";
  }
  html << "<h2>Reproduce</h2><p><code>hil run reproduce.yaml --out results/reproduce</code> "
          "measures the chosen deployment and the baseline again; results.db holds every "
          "measurement of this search (<code>hil report --list</code>).</p></body></html>\n";
  return html.str();
}

Status WriteOptimizeOutputs(const plan::OptimizeSpec& spec, const SearchOutcome& outcome,
                            const std::string& folder) {
  const fs::path out = folder;
  HIL_RETURN_IF_ERROR(run::WriteAtomically((out / "optimize.json").string(),
                                           OptimizeJson(spec, outcome).dump(2) + "\n"));
  HIL_RETURN_IF_ERROR(
      run::WriteAtomically((out / "report.html").string(), OptimizeHtml(spec, outcome)));
  const std::string plan = ReproducePlan(spec, outcome);
  if (!plan.empty()) {
    HIL_RETURN_IF_ERROR(run::WriteAtomically((out / "reproduce.yaml").string(), plan));
  }
  return OkStatus();
}

}  // namespace hil::optimize
