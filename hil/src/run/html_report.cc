#include "hil/run/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "hil/measure/units.h"
#include "hil/run/results_json.h"
#include "hil/run/svg_plot.h"

namespace hil::run {
namespace {

// A shaded band between two times (ms) with a label at its top.
// The label is left out where the band is too narrow for it (the band's
// tooltip still names it), so neighbouring labels never overlap.
void Band(Plot& plot, const char* kind, double from_ms, double to_ms, const char* fill,
          const std::string& label) {
  const double a = plot.X(from_ms), b = plot.X(to_ms);
  plot.raw() << "<rect class=\"" << kind << "\" x=\"" << a << "\" y=\"" << plot.top()
             << "\" width=\"" << b - a << "\" height=\"" << plot.bottom() - plot.top()
             << "\" fill=\"" << fill << "\" opacity=\"0.8\"><title>" << Html(label) << ": "
             << Tick(to_ms - from_ms) << " ms</title></rect>";
  if (b - a >= TextWidth(label) + 4) {
    plot.raw() << "<text x=\"" << (a + b) / 2 << "\" y=\"" << plot.top() + 14
               << "\" text-anchor=\"middle\" font-size=\"11\">" << Html(label) << "</text>";
  }
}

std::string TracePlot(const TraceSnippet& trace) {
  const std::vector<double>& t = trace.time_s;
  const std::vector<double>& ma = trace.current_ma;
  if (t.size() < 2 || ma.size() != t.size()) return {};
  const double base = t.front();
  const auto ms = [base](double s) { return (s - base) * 1e3; };
  const auto [low, high] = std::minmax_element(ma.begin(), ma.end());
  const double pad = (*high - *low) * 0.1 + 1e-6;
  Plot plot(kPlotWidth, 260, 0, ms(t.back()), std::max(0.0, *low - pad), *high + pad);
  // A whole session shades its measurement windows; one inference's cut
  // shades its layers, alternately, so the boundaries read at a glance.
  const bool session = !trace.windows_s.empty();
  std::vector<double> edges;
  if (session) {
    size_t k = 0;
    for (const auto& [begin, end] : trace.windows_s) {
      Band(plot, "window", ms(begin), ms(end), "#dbeafe", "W" + std::to_string(++k));
    }
  } else {
    edges.push_back(ms(trace.window_start_s));
    for (double e : trace.boundaries_s) edges.push_back(ms(e));
    edges.push_back(ms(trace.window_end_s));
    for (size_t l = 0; l + 1 < edges.size(); ++l) {
      Band(plot, "layer", edges[l], edges[l + 1], l % 2 ? "#fde8d3" : "#dbeafe",
           "L" + std::to_string(l));
    }
  }
  plot.Axes(session ? "time from the trace's start (ms)" : "time from the cut's start (ms)",
            "current (mA)");
  plot.raw() << "<polyline class=\"trace\" fill=\"none\" stroke=\"#1f6fb4\" stroke-width=\""
             << (session ? "1" : "1.4") << "\" points=\"";
  for (size_t i = 0; i < t.size(); ++i)
    plot.raw() << plot.X(ms(t[i])) << "," << plot.Y(ma[i]) << " ";
  plot.raw() << "\"/>";
  for (double e : edges) {
    plot.raw() << "<line x1=\"" << plot.X(e) << "\" y1=\"" << plot.top() << "\" x2=\"" << plot.X(e)
               << "\" y2=\"" << plot.bottom() << "\" stroke=\"#374151\" stroke-dasharray=\"4 3\"/>";
  }
  return plot.Finish();
}

// One row per layer: its op, then its latency and its energy as bars with
// their medians in units for people.
std::string LayerChart(const CaseResult& c) {
  using Figure = measure::Stats measure::LayerFigures::*;
  struct Column {
    Figure figure;
    measure::Quantity quantity;
    const char* colour;
    const char* title;
    double x, max = 0;
  };
  Column columns[] = {{&measure::LayerFigures::latency_us, measure::Quantity::kTimeUs, "#1f6fb4",
                       "latency (median)", 170},
                      {&measure::LayerFigures::energy_uj, measure::Quantity::kEnergyUj, "#e0701a",
                       "energy (median)", 405}};
  constexpr double kBar = 150;  // the longest bar; its value follows it
  const std::vector<measure::LayerFigures>& layers = c.figures.layers;
  bool any = false;
  for (Column& column : columns) {
    for (const measure::LayerFigures& l : layers)
      column.max = std::max(column.max, (l.*column.figure).median);
    any = any || column.max > 0;
  }
  if (!any) return {};
  const int row = 22;
  const int height = static_cast<int>(layers.size()) * row + 30;
  std::ostringstream svg;
  svg << OpenSvg(kPlotWidth, height)
      << "<text x=\"0\" y=\"14\" font-size=\"12\" font-weight=\"bold\">layer</text>";
  for (const Column& column : columns) {
    svg << "<text x=\"" << column.x << "\" y=\"14\" font-size=\"12\" font-weight=\"bold\">"
        << column.title << "</text>";
  }
  int y = 22;
  for (const measure::LayerFigures& l : layers) {
    svg << "<text x=\"0\" y=\"" << y + 14 << "\" font-size=\"11\">" << l.index << " "
        << Html(l.index < c.layer_ops.size() ? c.layer_ops[l.index] : "") << "</text>";
    for (const Column& column : columns) {
      const double value = (l.*column.figure).median;
      const double bar = std::isfinite(value) && column.max > 0 ? value / column.max * kBar : 0;
      svg << "<rect class=\"bar\" x=\"" << column.x << "\" y=\"" << y + 3 << "\" width=\"" << bar
          << "\" height=\"" << row - 6 << "\" fill=\"" << column.colour << "\"/><text x=\""
          << column.x + bar + 4 << "\" y=\"" << y + 15 << "\" font-size=\"11\">"
          << Html(measure::Human(value, column.quantity)) << "</text>";
    }
    y += row;
  }
  svg << "</svg>";
  return svg.str();
}

struct Point {
  double latency, energy;
  std::string id, network, board, configuration;
};

// One network's cases, latency against energy, a colour per board, each
// labelled with its configuration, and each board's Pareto front (no other
// configuration on that board is both faster and cheaper) as a solid line.
// The axes take the units of their largest values; the legend sits below
// the plot, where no point can hide it.
std::string ParetoPlot(const std::vector<Point>& points) {
  if (points.empty()) return {};
  double x0 = points[0].latency, x1 = x0, y0 = points[0].energy, y1 = y0;
  for (const Point& p : points) {
    x0 = std::min(x0, p.latency), x1 = std::max(x1, p.latency);
    y0 = std::min(y0, p.energy), y1 = std::max(y1, p.energy);
  }
  const measure::DisplayUnit time = measure::UnitForMagnitude(x1, measure::Quantity::kTimeUs);
  const measure::DisplayUnit energy = measure::UnitForMagnitude(y1, measure::Quantity::kEnergyUj);
  x0 /= time.scale, x1 /= time.scale, y0 /= energy.scale, y1 /= energy.scale;
  const double px = (x1 - x0) * 0.08 + x1 * 0.02, py = (y1 - y0) * 0.08 + y1 * 0.02;
  std::map<std::string, std::vector<Point>> by_board;
  for (const Point& p : points) by_board[p.board].push_back(p);

  // The legend's entries, a board's colour each and then the front's line,
  // flowed into rows under the plot.
  struct Entry {
    std::string text;
    const char* colour;  // nullptr: the front's line
    double x = 0;
    int row = 0;
  };
  std::vector<Entry> legend;
  int colour = 0;
  for (const auto& [board, group] : by_board) legend.push_back({board, kPalette[colour++ % 10]});
  legend.push_back({"Pareto front (large points)", nullptr});
  constexpr double kLegendLeft = 64, kLegendRight = kPlotWidth - 16;
  double flow = kLegendLeft;
  int rows = 1;
  for (Entry& entry : legend) {
    const double width = (entry.colour ? 14 : 28) + TextWidth(entry.text, 12) + 16;
    if (flow > kLegendLeft && flow + width > kLegendRight) flow = kLegendLeft, ++rows;
    entry.x = flow, entry.row = rows - 1;
    flow += width;
  }
  Plot plot(kPlotWidth, 340, std::max(0.0, x0 - px), x1 + px, std::max(0.0, y0 - py), y1 + py,
            rows);
  plot.Axes(std::string("latency per inference (") + time.name + ", median)",
            std::string("energy per inference (") + energy.name + ", median)");
  colour = 0;
  for (auto& [board, group] : by_board) {
    const char* c = kPalette[colour++ % 10];
    std::sort(group.begin(), group.end(),
              [](const Point& a, const Point& b) { return a.latency < b.latency; });
    std::vector<const Point*> front;
    double best = INFINITY;
    for (const Point& p : group) {
      if (p.energy < best) front.push_back(&p), best = p.energy;
    }
    if (front.size() > 1) {
      plot.raw() << "<polyline class=\"pareto\" fill=\"none\" stroke=\"" << c
                 << "\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"";
      for (const Point* p : front) {
        plot.raw() << plot.X(p->latency / time.scale) << "," << plot.Y(p->energy / energy.scale)
                   << " ";
      }
      plot.raw() << "\"/>";
    }
    for (const Point& p : group) {
      const bool on_front = std::find(front.begin(), front.end(), &p) != front.end();
      const double x = plot.X(p.latency / time.scale), y = plot.Y(p.energy / energy.scale);
      // A label that would leave the plot goes on the point's other side.
      const bool flip = x + 8 + TextWidth(p.configuration, 10) > plot.right();
      plot.raw() << "<circle class=\"point\" cx=\"" << x << "\" cy=\"" << y << "\" r=\""
                 << (on_front ? 6 : 4) << "\" fill=\"" << c << "\" stroke=\""
                 << (on_front ? "#111" : "none") << "\" stroke-width=\"1.2\"><title>" << Html(p.id)
                 << ": " << Html(measure::Human(p.latency, measure::Quantity::kTimeUs)) << ", "
                 << Html(measure::Human(p.energy, measure::Quantity::kEnergyUj))
                 << "</title></circle><text x=\"" << (flip ? x - 8 : x + 8) << "\" y=\"" << y - 6
                 << "\" font-size=\"10\" fill=\"#374151\" text-anchor=\""
                 << (flip ? "end" : "start") << "\">" << Html(p.configuration) << "</text>";
    }
  }
  for (const Entry& entry : legend) {
    const double y = plot.height() - 8 - Plot::kLegendRow * (rows - 1 - entry.row);
    if (entry.colour) {
      plot.raw() << "<circle cx=\"" << entry.x + 5 << "\" cy=\"" << y - 4 << "\" r=\"5\" fill=\""
                 << entry.colour << "\"/>";
    } else {
      plot.raw() << "<line x1=\"" << entry.x << "\" y1=\"" << y - 4 << "\" x2=\"" << entry.x + 22
                 << "\" y2=\"" << y - 4 << "\" stroke=\"#374151\" stroke-width=\"2.5\"/>";
    }
    plot.raw() << "<text x=\"" << entry.x + (entry.colour ? 14 : 28) << "\" y=\"" << y
               << "\" font-size=\"12\">" << Html(entry.text) << "</text>";
  }
  return plot.Finish();
}

std::string Percent(double pct) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.3f %%", pct);
  return text;
}

// A case id that may break after its slashes, and nowhere else (not at the
// hyphen of a board's name).
std::string CaseId(const std::string& id) {
  std::string out;
  size_t from = 0;
  for (;;) {
    const size_t slash = id.find('/', from);
    const bool last = slash == std::string::npos;
    out += "<span class=\"seg\">" +
           Html(id.substr(from, last ? std::string::npos : slash + 1 - from)) + "</span>";
    if (last) break;
    out += "<wbr>";
    from = slash + 1;
  }
  return out;
}

std::string StatusBadge(CaseStatus status) {
  const std::string word(ToText(status));
  return "<span class=\"status " + word + "\">" + word + "</span>";
}

// The median and the 95 % interval of the mean, in the median's unit.
std::string WithInterval(const measure::Stats& figure, measure::Quantity quantity) {
  if (!std::isfinite(figure.median)) return "-";
  if (std::isfinite(figure.ci95_low) && std::isfinite(figure.ci95_high)) {
    const std::string text =
        measure::HumanWithInterval(figure.median, figure.ci95_low, figure.ci95_high, quantity);
    const size_t bracket = text.find(" [");
    return Html(text.substr(0, bracket)) + "<br><small>" + Html(text.substr(bracket + 1)) +
           "</small>";
  }
  return Html(measure::Human(figure.median, quantity));
}

// The change from the baseline run, case by case; significant when the
// confidence intervals of the means do not overlap.
std::string BaselineSection(const RunRecord& run, const RunRecord& baseline) {
  std::map<std::string, const CaseResult*> before;
  for (const CaseResult& c : baseline.cases) before[c.id] = &c;
  std::ostringstream html;
  html << "<h2>Against the baseline (run " << baseline.id << ", " << Html(baseline.started)
       << ")</h2><div class=\"scroll\"><table><tr><th>case</th><th>latency <small>mean, before "
          "&rarr; now</small></th>"
          "<th>change</th><th>energy <small>mean, before &rarr; now</small></th><th>change</th>"
          "</tr>";
  std::vector<std::pair<std::string, std::pair<double, double>>> changes;
  for (const CaseResult& c : run.cases) {
    const auto found = before.find(c.id);
    if (found == before.end()) continue;
    html << "<tr><td>" << CaseId(c.id) << "</td>";
    std::pair<double, double> change{NAN, NAN};
    int which = 0;
    using Figure = measure::Stats measure::CaseFigures::*;
    for (const Figure figure :
         {&measure::CaseFigures::latency_us, &measure::CaseFigures::energy_uj}) {
      const measure::Stats& a = c.figures.*figure;
      const measure::Stats& b = found->second->figures.*figure;
      const double now = a.mean, then = b.mean;
      const double pct = 100 * (now - then) / then;
      // Intervals that do not overlap (NaN, for want of one, compares false).
      const bool significant = a.ci95_low > b.ci95_high || b.ci95_low > a.ci95_high;
      const measure::Quantity quantity =
          which == 0 ? measure::Quantity::kTimeUs : measure::Quantity::kEnergyUj;
      html << "<td class=\"num\">" << Html(measure::Human(then, quantity)) << " &rarr; "
           << Html(measure::Human(now, quantity)) << "</td><td class=\"num "
           << (significant ? (pct > 0 ? "worse" : "better") : "same") << "\">"
           << (std::isfinite(pct) ? Percent(pct) : "-") << (significant ? " *" : "") << "</td>";
      (which++ == 0 ? change.first : change.second) = pct;
    }
    html << "</tr>";
    changes.emplace_back(c.id, change);
  }
  html << "</table></div><p class=\"note\">* the 95 % confidence intervals of the two runs do not "
          "overlap.</p>";
  if (!changes.empty()) {
    double max = 1;
    for (const auto& [id, change] : changes) {
      for (double v : {change.first, change.second}) {
        if (std::isfinite(v)) max = std::max(max, std::abs(v));
      }
    }
    // A row per case: its id, then a latency and an energy bar from the
    // middle line, so bars of either sign never reach the id.
    const int row = 42, width = kPlotWidth, mid = width / 2;
    const int height = static_cast<int>(changes.size()) * row + 24;
    html << "<div class=\"plots\"><div>" << OpenSvg(width, height);
    int y = 0;
    for (const auto& [id, change] : changes) {
      html << "<text x=\"0\" y=\"" << y + 12 << "\" font-size=\"11\">" << Html(id) << "</text>";
      int offset = 0;
      for (double v : {change.first, change.second}) {
        if (std::isfinite(v)) {
          const double w = v / max * (mid - 8);
          html << "<rect class=\"change\" x=\"" << (w < 0 ? mid + w : mid) << "\" y=\""
               << y + 17 + offset << "\" width=\"" << std::abs(w) << "\" height=\"9\" fill=\""
               << (offset == 0 ? "#1f6fb4" : "#e0701a") << "\"/>";
        }
        offset += 10;
      }
      y += row;
    }
    html << "<line x1=\"" << mid << "\" y1=\"14\" x2=\"" << mid << "\" y2=\"" << y
         << "\" stroke=\"#6b7280\"/><text x=\"0\" y=\"" << height - 6
         << "\" font-size=\"11\">blue: latency, orange: energy; right of the line is slower "
            "or costlier (scale: "
         << Tick(max) << " % at the widest)</text></svg></div></div>";
  }
  return html.str();
}

}  // namespace

std::string HtmlReport(const RunRecord& run, const RunRecord* baseline) {
  size_t passed = 0, failed = 0, errors = 0;
  for (const CaseResult& c : run.cases) {
    passed += c.status == CaseStatus::kPass, failed += c.status == CaseStatus::kFail;
    errors += c.status == CaseStatus::kError;
  }
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hil: "
       << Html(run.plan)
       << "</title><style>"
          "body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1800px}"
          ".scroll{overflow-x:auto}"
          "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d1d5db;"
          "padding:4px 8px;text-align:left;font-size:13px;vertical-align:top}"
          "th{background:#f3f4f6}.num{white-space:nowrap}td.notes{min-width:14em}td.id{min-width:"
          "12em}.seg{white-space:nowrap}"
          ".plots{display:grid;gap:24px;"
          "grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr))}"
          ".plots svg{width:100%;height:auto;display:block}"
          ".status{padding:1px 6px;border-radius:4px;color:#fff;font-size:12px}"
          ".pass{background:#2a9d3a}.fail{background:#c0392b}.error{background:#8e5ab5}"
          ".worse{color:#c0392b}.better{color:#2a9d3a}.note{color:#6b7280;font-size:12px}"
          ".case{border-top:1px solid #e5e7eb;padding-top:8px;margin-top:16px}"
          "small{color:#6b7280}"
          "</style></head><body>";
  html << "<h1>" << Html(run.plan) << "</h1><p>Run " << run.id << ", started " << Html(run.started)
       << (run.finished.empty() ? "" : ", finished " + Html(run.finished)) << " ("
       << Html(run.status) << "). Bench: " << Html(BenchText(run.bench, "kind")) << ", probe "
       << Html(BenchText(run.bench, "probe")) << ". <b>" << passed << " passed, " << failed
       << " failed, " << errors << " errors.</b></p>";

  html << "<h2>Cases</h2>";
  if (EmulatedTime(run.bench)) html << "<p class=\"note\">" << Html(kEmulatedTimeNote) << ".</p>";
  html << "<div class=\"scroll\"><table><tr><th>case</th><th>status</th><th>latency <small>median "
          "[95 % CI of the "
          "mean]</small></th><th>energy <small>median [95 % CI of the mean]</small></th>"
          "<th>power <small>mean</small></th><th>accuracy</th><th>flash <small>text+data"
          "</small></th><th>RAM <small>data+bss</small></th><th>notes</th></tr>";
  std::vector<Point> points;
  for (const CaseResult& c : run.cases) {
    std::string notes;
    for (const std::string& note : CaseNotes(c)) notes += "<div>" + Html(note) + "</div>";
    const uint64_t flash = FlashBytes(c), ram = RamBytes(c);
    const measure::CaseFigures& f = c.figures;
    html << "<tr><td class=\"id\">" << CaseId(c.id) << "</td><td>" << StatusBadge(c.status)
         << "</td><td class=\"num\">" << WithInterval(f.latency_us, measure::Quantity::kTimeUs)
         << "</td><td class=\"num\">" << WithInterval(f.energy_uj, measure::Quantity::kEnergyUj)
         << "</td><td class=\"num\">"
         << Html(measure::Human(f.power_mw.mean, measure::Quantity::kPowerMw))
         << "</td><td class=\"num\">" << Html(AccuracyText(c)) << "</td><td class=\"num\">"
         << (flash ? Html(measure::HumanBytes(flash)) : "") << "</td><td class=\"num\">"
         << (ram ? Html(measure::HumanBytes(ram)) : "") << "</td><td class=\"notes\">" << notes
         << "</td></tr>";
    const double latency = f.latency_us.median, energy = f.energy_uj.median;
    if (std::isfinite(latency) && std::isfinite(energy)) {
      points.push_back(Point{latency, energy, c.id, c.network, c.board, c.configuration});
    }
  }
  html << "</table></div>";

  if (!points.empty()) {
    html << "<h2>Latency and energy</h2><p class=\"note\">A plot per network, a point per "
            "case labelled with its configuration, a colour per board. The line joins the "
            "board's Pareto front (large points: no other configuration on that board is both "
            "faster and cheaper).</p><div class=\"plots\">";
    std::map<std::string, std::vector<Point>> by_network;
    std::vector<std::string> order;
    for (const Point& p : points) {
      if (by_network.find(p.network) == by_network.end()) order.push_back(p.network);
      by_network[p.network].push_back(p);
    }
    for (const std::string& network : order) {
      html << "<div><h3>" << Html(network) << "</h3>" << ParetoPlot(by_network[network])
           << "</div>";
    }
    html << "</div>";
  }
  if (baseline != nullptr) html << BaselineSection(run, *baseline);

  html << "<h2>Inside an inference</h2>";
  for (const CaseResult& c : run.cases) {
    if (c.trace.empty() && c.figures.layers.empty()) continue;
    html << "<div class=\"case\"><h3>" << Html(c.id) << " " << StatusBadge(c.status) << "</h3>";
    html << "<div class=\"plots\">";
    if (!c.trace.empty()) {
      html << "<div>"
           << (!c.trace.windows_s.empty()
                   ? "<p class=\"note\">Current through the whole session; shaded bands are its "
                     "measurement windows, between the timestamp pin's edges.</p>"
                   : "<p class=\"note\">Current through the first measured inference; shaded "
                     "bands are its layers, dashed lines the trigger edges.</p>")
           << TracePlot(c.trace) << "</div>";
    }
    if (!c.figures.layers.empty()) {
      html << "<div><p class=\"note\">Per layer, over the inferences whose every layer edge "
              "was resolved.</p>"
           << LayerChart(c) << "</div>";
    }
    html << "</div></div>";
  }
  html << "<p class=\"note\">Written by hil. Figures are per inference over the valid measured "
          "windows; see results.json for every statistic and verification.</p></body></html>\n";
  return html.str();
}

Status WriteHtmlReport(const RunRecord& run, const RunRecord* baseline, const std::string& path) {
  return WriteAtomically(path, HtmlReport(run, baseline));
}

}  // namespace hil::run
