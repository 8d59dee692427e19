#include "hil/run/trends_report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "hil/measure/units.h"
#include "hil/run/compare.h"
#include "hil/run/svg_plot.h"

namespace hil::run {
namespace {

// One figure of one case across the runs: NaN where a run lacks it.
struct Series {
  std::string figure, label;
  measure::Quantity quantity = measure::Quantity::kTimeUs;
  std::vector<double> mean, low, high;
  std::vector<bool> regression;
};

const CaseResult* FindCase(const RunRecord& run, const std::string& id) {
  for (const CaseResult& c : run.cases)
    if (c.id == id) return &c;
  return nullptr;
}

std::string RunAnchor(const TrendRun& run) { return "run-" + std::to_string(run.record.id); }

// What hovering a point says: the figure, the run, where and what it ran.
std::string PointTitle(const TrendRun& run, const CaseResult* c, const std::string& value) {
  std::string title = value + " | run " + std::to_string(run.record.id) + ", " + run.record.started;
  if (!run.host.empty()) title += ", host " + run.host;
  if (c != nullptr && !c->firmware.sha256.empty())
    title += ", firmware " + c->firmware.sha256.substr(0, 12);
  return title;
}

std::string Chart(const Series& series, const std::vector<TrendRun>& runs,
                  const std::string& case_id) {
  double y0 = INFINITY, y1 = -INFINITY;
  for (size_t i = 0; i < series.mean.size(); ++i) {
    if (std::isnan(series.mean[i])) continue;
    y0 = std::min({y0, series.mean[i], std::isnan(series.low[i]) ? series.mean[i] : series.low[i]});
    y1 = std::max(
        {y1, series.mean[i], std::isnan(series.high[i]) ? series.mean[i] : series.high[i]});
  }
  if (!std::isfinite(y0)) return "<p class=\"none\">" + Html(series.label) + ": not measured</p>";
  const double pad = y1 > y0 ? (y1 - y0) * 0.15 : std::max(std::abs(y0) * 0.05, 1e-9);
  y0 = std::max(0.0, y0 - pad);
  y1 += pad;
  const double x1 = std::max<double>(2, static_cast<double>(runs.size()));
  Plot plot(kPlotWidth / 2 + 100, 200, 0.5, x1 + 0.5, y0, y1);
  plot.Axes("run (oldest to newest)", series.label);
  std::ostringstream& svg = plot.raw();
  std::string path;
  for (size_t i = 0; i < series.mean.size(); ++i) {
    if (std::isnan(series.mean[i])) continue;
    path +=
        (path.empty() ? "M" : " L") + Tick(plot.X(i + 1.0)) + "," + Tick(plot.Y(series.mean[i]));
  }
  svg << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << kPalette[0]
      << "\" stroke-width=\"1.5\"/>";
  for (size_t i = 0; i < series.mean.size(); ++i) {
    if (std::isnan(series.mean[i])) continue;
    const double x = plot.X(i + 1.0), y = plot.Y(series.mean[i]);
    if (!std::isnan(series.low[i]) && !std::isnan(series.high[i])) {
      svg << "<line x1=\"" << Tick(x) << "\" x2=\"" << Tick(x) << "\" y1=\""
          << Tick(plot.Y(series.low[i])) << "\" y2=\"" << Tick(plot.Y(series.high[i]))
          << "\" stroke=\"" << kPalette[0] << "\"/>";
    }
    const bool bad = series.regression[i];
    svg << "<a href=\"#" << RunAnchor(runs[i]) << "\"><circle class=\""
        << (bad ? "regression" : "point") << "\" cx=\"" << Tick(x) << "\" cy=\"" << Tick(y)
        << "\" r=\"" << (bad ? 6 : 3.5) << "\" fill=\"" << (bad ? "#c0392b" : kPalette[0])
        << "\"><title>"
        << Html(PointTitle(runs[i], FindCase(runs[i].record, case_id),
                           measure::Human(series.mean[i], series.quantity)) +
                (bad ? " | REGRESSION against the run before" : ""))
        << "</title></circle></a>";
  }
  return plot.Finish();
}

}  // namespace

Status WriteTrendsReport(const std::vector<TrendRun>& runs, double threshold_pct,
                         const std::string& path) {
  // Every case any run had, in the order the newest run had them.
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    for (const CaseResult& c : run->record.cases)
      if (seen.insert(c.id).second) ids.push_back(c.id);
  }
  // What hil compare flags between each run and the one before it.
  std::map<std::pair<std::string, std::string>, std::set<size_t>> flagged;  // (case, figure)
  size_t regressions = 0;
  for (size_t i = 1; i < runs.size(); ++i) {
    if (!Incomparabilities(runs[i - 1].record, runs[i].record).empty()) continue;
    for (const CaseChange& change :
         CompareRuns(runs[i - 1].record, runs[i].record, threshold_pct)) {
      for (const FigureChange& f : change.figures) {
        if (!f.regression) continue;
        flagged[{change.id, f.figure}].insert(i);
        ++regressions;
      }
    }
  }
  std::ostringstream html;
  const std::string plan = runs.empty() ? "" : runs.back().record.plan;
  html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hil trends: " << Html(plan)
       << "</title><style>"
       << "body{font-family:sans-serif;margin:1.5em;color:#222}"
          "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
          "text-align:left}.charts{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}"
          "svg{width:100%;height:auto}.none{color:#888}.bad{color:#c0392b;font-weight:bold}"
          "</style></head><body>\n";
  html << "<h1>Trends of plan " << Html(plan) << "</h1>\n<p>" << runs.size() << " run"
       << (runs.size() == 1 ? "" : "s") << ", oldest first. <span"
       << (regressions > 0 ? " class=\"bad\"" : "") << ">" << regressions << " regression"
       << (regressions == 1 ? "" : "s") << "</span> beyond " << threshold_pct
       << " % between a run and the one before it (as <code>hil compare</code> flags them: "
          "worse by more than the threshold, the 95 % CI of the difference clear of zero), "
          "marked red. Each point links to its run below.</p>\n";
  for (const std::string& id : ids) {
    std::vector<Series> figures = {
        {"latency_us", "latency (µs)", measure::Quantity::kTimeUs, {}, {}, {}, {}},
        {"energy_uJ", "energy per inference (µJ)", measure::Quantity::kEnergyUj, {}, {}, {}, {}},
        {"top1", "top-1 accuracy (%)", measure::Quantity::kTimeUs, {}, {}, {}, {}}};
    bool any_accuracy = false;
    for (size_t i = 0; i < runs.size(); ++i) {
      const CaseResult* c = FindCase(runs[i].record, id);
      const auto add = [&](Series& s, double mean, double low, double high) {
        s.mean.push_back(mean), s.low.push_back(low), s.high.push_back(high);
        s.regression.push_back(flagged[{id, s.figure}].count(i) > 0);
      };
      const double none = NAN;
      if (c != nullptr && c->figures.latency_us.n > 0) {
        add(figures[0], c->figures.latency_us.mean, c->figures.latency_us.ci95_low,
            c->figures.latency_us.ci95_high);
      } else {
        add(figures[0], none, none, none);
      }
      if (c != nullptr && c->figures.energy_uj.n > 0) {
        add(figures[1], c->figures.energy_uj.mean, c->figures.energy_uj.ci95_low,
            c->figures.energy_uj.ci95_high);
      } else {
        add(figures[1], none, none, none);
      }
      if (c != nullptr && c->dataset && c->dataset->metric == "top1" && c->dataset->inputs > 0) {
        any_accuracy = true;
        add(figures[2], 100 * c->dataset->top1(), none, none);
      } else {
        add(figures[2], none, none, none);
      }
    }
    html << "<h2>" << Html(id) << "</h2>\n<div class=\"charts\">";
    for (size_t f = 0; f < figures.size(); ++f) {
      if (f == 2 && !any_accuracy) continue;
      html << "<div>" << Chart(figures[f], runs, id) << "</div>";
    }
    html << "</div>\n";
  }
  html << "<h2>Runs</h2>\n<table><tr><th>#</th><th>run</th><th>started</th><th>status</th>"
          "<th>host</th><th>job</th><th>cases passed</th><th>firmware (sha256, first case)</th>"
          "</tr>\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& r = runs[i].record;
    size_t passed = 0;
    for (const CaseResult& c : r.cases) passed += c.status == CaseStatus::kPass;
    const std::string sha = r.cases.empty() ? "" : r.cases.front().firmware.sha256;
    html << "<tr id=\"" << RunAnchor(runs[i]) << "\"><td>" << i + 1 << "</td><td>" << r.id
         << "</td><td>" << Html(r.started) << "</td><td>" << Html(r.status) << "</td><td>"
         << Html(runs[i].host.empty() ? "this host" : runs[i].host) << "</td><td>"
         << (runs[i].job ? std::to_string(runs[i].job) : "") << "</td><td>" << passed << "/"
         << r.cases.size() << "</td><td><code>" << Html(sha.substr(0, 16)) << "</code></td></tr>\n";
  }
  html << "</table>\n</body></html>\n";
  std::ofstream out(path, std::ios::trunc);
  out << html.str();
  out.close();
  if (!out) return InfrastructureError("cannot write " + path);
  return OkStatus();
}

}  // namespace hil::run
