#include "hil/run/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "hil/measure/units.h"
#include "hil/run/results_json.h"

namespace hil::run {
namespace {

using Json = nlohmann::ordered_json;

const char* const kPalette[] = {"#1f6fb4", "#e0701a", "#2a9d3a", "#c0392b", "#8e5ab5",
                                "#7f5539", "#d35fa0", "#6b7280", "#a8a21a", "#17a2b8"};

std::string Html(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string Fixed(double value, int digits = 3) {
  if (!std::isfinite(value)) return "-";
  char text[40];
  std::snprintf(text, sizeof text, "%.*g", digits + 2, value);
  return text;
}

double NumberAt(const Json& json, std::initializer_list<const char*> path) {
  const Json* at = &json;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return std::nan("");
    at = &(*at)[key];
  }
  return at->is_number() ? at->get<double>() : std::nan("");
}

// Round tick steps: 1, 2 or 5 times a power of ten.
std::vector<double> Ticks(double low, double high, int wanted = 5) {
  std::vector<double> ticks;
  if (!(high > low)) return {low};
  const double raw = (high - low) / wanted;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step)
    ticks.push_back(t);
  return ticks;
}

// A plot area with linear axes, drawn as SVG.
class Plot {
 public:
  Plot(int width, int height, double x0, double x1, double y0, double y1)
      : width_(width),
        height_(height),
        x0_(x0),
        x1_(x1 > x0 ? x1 : x0 + 1),
        y0_(y0),
        y1_(y1 > y0 ? y1 : y0 + 1) {
    svg_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\""
         << height << "\" viewBox=\"0 0 " << width << " " << height << "\">";
  }
  double X(double x) const { return kLeft + (x - x0_) / (x1_ - x0_) * (width_ - kLeft - kRight); }
  double Y(double y) const {
    return height_ - kBottom - (y - y0_) / (y1_ - y0_) * (height_ - kTop - kBottom);
  }
  void Axes(const std::string& x_label, const std::string& y_label) {
    for (double t : Ticks(x0_, x1_)) {
      svg_ << "<line x1=\"" << X(t) << "\" y1=\"" << kTop << "\" x2=\"" << X(t) << "\" y2=\""
           << height_ - kBottom << "\" stroke=\"#e5e7eb\"/>"
           << "<text x=\"" << X(t) << "\" y=\"" << height_ - kBottom + 16
           << "\" text-anchor=\"middle\" font-size=\"11\">" << Fixed(t, 4) << "</text>";
    }
    for (double t : Ticks(y0_, y1_)) {
      svg_ << "<line x1=\"" << kLeft << "\" y1=\"" << Y(t) << "\" x2=\"" << width_ - kRight
           << "\" y2=\"" << Y(t) << "\" stroke=\"#e5e7eb\"/>"
           << "<text x=\"" << kLeft - 6 << "\" y=\"" << Y(t) + 4
           << "\" text-anchor=\"end\" font-size=\"11\">" << Fixed(t, 4) << "</text>";
    }
    svg_ << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << width_ - kLeft - kRight
         << "\" height=\"" << height_ - kTop - kBottom << "\" fill=\"none\" stroke=\"#9ca3af\"/>"
         << "<text x=\"" << (kLeft + width_ - kRight) / 2.0 << "\" y=\"" << height_ - 6
         << "\" text-anchor=\"middle\" font-size=\"12\">" << Html(x_label) << "</text>"
         << "<text transform=\"translate(14," << (kTop + height_ - kBottom) / 2.0
         << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" << Html(y_label)
         << "</text>";
  }
  std::ostringstream& raw() { return svg_; }
  std::string Finish() {
    svg_ << "</svg>";
    return svg_.str();
  }
  int top() const { return kTop; }
  int bottom() const { return height_ - kBottom; }

 private:
  static constexpr int kLeft = 64, kRight = 16, kTop = 12, kBottom = 40;
  int width_, height_;
  double x0_, x1_, y0_, y1_;
  std::ostringstream svg_;
};

// A shaded band between two times (ms) with a label at its top.
void Band(Plot& plot, const char* kind, double from_ms, double to_ms, const char* fill,
          const std::string& label) {
  const double a = plot.X(from_ms), b = plot.X(to_ms);
  plot.raw() << "<rect class=\"" << kind << "\" x=\"" << a << "\" y=\"" << plot.top()
             << "\" width=\"" << b - a << "\" height=\"" << plot.bottom() - plot.top()
             << "\" fill=\"" << fill << "\" opacity=\"0.8\"/>"
             << "<text x=\"" << (a + b) / 2 << "\" y=\"" << plot.top() + 14
             << "\" text-anchor=\"middle\" font-size=\"11\">" << label << "</text>";
}

std::string TracePlot(const Json& trace) {
  const std::vector<double> t = trace["time_s"].get<std::vector<double>>();
  const std::vector<double> ma = trace["current_mA"].get<std::vector<double>>();
  if (t.size() < 2) return {};
  const double base = t.front();
  const auto ms = [base](double s) { return (s - base) * 1e3; };
  const auto [low, high] = std::minmax_element(ma.begin(), ma.end());
  const double pad = (*high - *low) * 0.1 + 1e-6;
  Plot plot(760, 260, 0, ms(t.back()), std::max(0.0, *low - pad), *high + pad);
  // A whole session shades its measurement windows; one inference's cut
  // shades its layers, alternately, so the boundaries read at a glance.
  const bool session = trace.contains("windows_s");
  std::vector<double> edges;
  if (session) {
    size_t k = 0;
    for (const Json& window : trace["windows_s"]) {
      Band(plot, "window", ms(window[0].get<double>()), ms(window[1].get<double>()), "#dbeafe",
           "W" + std::to_string(++k));
    }
  } else {
    edges.push_back(ms(trace["window_s"][0].get<double>()));
    for (double e : trace["layer_edges_s"].get<std::vector<double>>()) edges.push_back(ms(e));
    edges.push_back(ms(trace["window_s"][1].get<double>()));
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

// Horizontal bars, one per layer, with the op's name.
std::string LayerBars(const Json& layers, const char* figure, const char* unit,
                      const char* colour) {
  const int row = 22, width = 420;
  const int height = static_cast<int>(layers.size()) * row + 30;
  double max = 0;
  for (const Json& l : layers) max = std::max(max, NumberAt(l, {figure, "median"}));
  if (!(max > 0)) return {};
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\"><text x=\"0\" y=\"14\" font-size=\"12\" font-weight=\"bold\">" << figure
      << " per layer (" << unit << ", median)</text>";
  int y = 22;
  for (const Json& l : layers) {
    const double value = NumberAt(l, {figure, "median"});
    const double bar = std::isfinite(value) ? value / max * (width - 230) : 0;
    svg << "<text x=\"0\" y=\"" << y + 14 << "\" font-size=\"11\">" << l.value("index", 0) << " "
        << Html(l.value("op", "")) << "</text><rect class=\"bar\" x=\"160\" y=\"" << y + 3
        << "\" width=\"" << bar << "\" height=\"" << row - 6 << "\" fill=\"" << colour
        << "\"/><text x=\"" << 164 + bar << "\" y=\"" << y + 15 << "\" font-size=\"11\">"
        << Fixed(value) << "</text>";
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
// configuration on that board is both faster and cheaper).
std::string ParetoPlot(const std::vector<Point>& points) {
  if (points.empty()) return {};
  double x0 = points[0].latency, x1 = x0, y0 = points[0].energy, y1 = y0;
  for (const Point& p : points) {
    x0 = std::min(x0, p.latency), x1 = std::max(x1, p.latency);
    y0 = std::min(y0, p.energy), y1 = std::max(y1, p.energy);
  }
  const double px = (x1 - x0) * 0.08 + x1 * 0.02, py = (y1 - y0) * 0.08 + y1 * 0.02;
  Plot plot(560, 330, std::max(0.0, x0 - px), x1 + px, std::max(0.0, y0 - py), y1 + py);
  plot.Axes("latency per inference (us, median)", "energy per inference (uJ, median)");
  std::map<std::string, std::vector<Point>> by_board;
  for (const Point& p : points) by_board[p.board].push_back(p);
  int colour = 0, legend = 0;
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
                 << "\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\" points=\"";
      for (const Point* p : front)
        plot.raw() << plot.X(p->latency) << "," << plot.Y(p->energy) << " ";
      plot.raw() << "\"/>";
    }
    for (const Point& p : group) {
      const bool on_front = std::find(front.begin(), front.end(), &p) != front.end();
      plot.raw() << "<circle class=\"point\" cx=\"" << plot.X(p.latency) << "\" cy=\""
                 << plot.Y(p.energy) << "\" r=\"" << (on_front ? 6 : 4) << "\" fill=\"" << c
                 << "\" stroke=\"#111\" stroke-width=\"" << (on_front ? 1.2 : 0) << "\"><title>"
                 << Html(p.id) << ": " << Fixed(p.latency) << " us, " << Fixed(p.energy)
                 << " uJ</title></circle><text x=\"" << plot.X(p.latency) + 7 << "\" y=\""
                 << plot.Y(p.energy) - 5 << "\" font-size=\"10\" fill=\"#374151\">"
                 << Html(p.configuration) << "</text>";
    }
    plot.raw() << "<circle cx=\"" << 84 << "\" cy=\"" << 26 + 16 * legend << "\" r=\"5\" fill=\""
               << c << "\"/><text x=\"94\" y=\"" << 30 + 16 * legend << "\" font-size=\"12\">"
               << Html(board) << "</text>";
    ++legend;
  }
  return plot.Finish();
}

std::string Percent(double pct) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.3f %%", pct);
  return text;
}

std::string StatusBadge(const std::string& status) {
  return "<span class=\"status " + Html(status) + "\">" + Html(status) + "</span>";
}

// The median and the 95 % interval of the mean, in the median's unit.
std::string WithInterval(const Json& c, const char* figure, measure::Quantity quantity) {
  const double median = NumberAt(c, {figure, "median"});
  if (!std::isfinite(median)) return "-";
  if (c.contains(figure) && c[figure].contains("ci95") && c[figure]["ci95"].is_array() &&
      c[figure]["ci95"].size() == 2 && c[figure]["ci95"][0].is_number() &&
      c[figure]["ci95"][1].is_number()) {
    const std::string text = measure::HumanWithInterval(
        median, c[figure]["ci95"][0].get<double>(), c[figure]["ci95"][1].get<double>(), quantity);
    const size_t bracket = text.find(" [");
    return Html(text.substr(0, bracket)) + " <small>" + Html(text.substr(bracket + 1)) + "</small>";
  }
  return Html(measure::Human(median, quantity));
}

// The change from the baseline run, case by case; significant when the
// confidence intervals of the means do not overlap.
std::string BaselineSection(const RunRecord& run, const RunRecord& baseline) {
  std::map<std::string, const Json*> before;
  for (const Json& c : baseline.cases) before[c.value("id", "")] = &c;
  std::ostringstream html;
  html << "<h2>Against the baseline (run " << baseline.id << ", " << Html(baseline.started)
       << ")</h2><table><tr><th>case</th><th>latency <small>mean, before &rarr; now</small></th>"
          "<th>change</th><th>energy <small>mean, before &rarr; now</small></th><th>change</th>"
          "</tr>";
  std::vector<std::pair<std::string, std::pair<double, double>>> changes;
  for (const Json& c : run.cases) {
    const auto found = before.find(c.value("id", ""));
    if (found == before.end()) continue;
    html << "<tr><td>" << Html(c.value("id", "")) << "</td>";
    std::pair<double, double> change{NAN, NAN};
    int which = 0;
    for (const char* figure : {"latency_us", "energy_uJ"}) {
      const double now = NumberAt(c, {figure, "mean"}),
                   then = NumberAt(*found->second, {figure, "mean"});
      const double pct = 100 * (now - then) / then;
      bool significant = false;
      if (c.contains(figure) && found->second->contains(figure)) {
        const Json& a = c[figure]["ci95"];
        const Json& b = (*found->second)[figure]["ci95"];
        if (a[0].is_number() && b[0].is_number()) {
          significant =
              a[0].get<double>() > b[1].get<double>() || b[0].get<double>() > a[1].get<double>();
        }
      }
      const measure::Quantity quantity =
          which == 0 ? measure::Quantity::kTimeUs : measure::Quantity::kEnergyUj;
      html << "<td>" << Html(measure::Human(then, quantity)) << " &rarr; "
           << Html(measure::Human(now, quantity)) << "</td><td class=\""
           << (significant ? (pct > 0 ? "worse" : "better") : "same") << "\">"
           << (std::isfinite(pct) ? Percent(pct) : "-") << (significant ? " *" : "") << "</td>";
      (which++ == 0 ? change.first : change.second) = pct;
    }
    html << "</tr>";
    changes.emplace_back(c.value("id", ""), change);
  }
  html << "</table><p class=\"note\">* the 95 % confidence intervals of the two runs do not "
          "overlap.</p>";
  if (!changes.empty()) {
    double max = 1;
    for (const auto& [id, change] : changes) {
      for (double v : {change.first, change.second}) {
        if (std::isfinite(v)) max = std::max(max, std::abs(v));
      }
    }
    const int row = 26, width = 760, mid = 400;
    html << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\""
         << changes.size() * row + 24 << "\"><line x1=\"" << mid << "\" y1=\"0\" x2=\"" << mid
         << "\" y2=\"" << changes.size() * row + 10 << "\" stroke=\"#6b7280\"/>";
    int y = 4;
    for (const auto& [id, change] : changes) {
      html << "<text x=\"0\" y=\"" << y + 16 << "\" font-size=\"11\">" << Html(id) << "</text>";
      int offset = 0;
      for (double v : {change.first, change.second}) {
        if (std::isfinite(v)) {
          const double w = v / max * 250;
          html << "<rect class=\"change\" x=\"" << (w < 0 ? mid + w : mid) << "\" y=\""
               << y + 3 + offset << "\" width=\"" << std::abs(w) << "\" height=\"9\" fill=\""
               << (offset == 0 ? "#1f6fb4" : "#e0701a") << "\"/>";
        }
        offset += 10;
      }
      y += row;
    }
    html << "<text x=\"0\" y=\"" << changes.size() * row + 20
         << "\" font-size=\"11\">blue: latency, orange: energy; right of the line is slower "
            "or costlier (scale: "
         << Fixed(max, 2) << " % at the widest)</text></svg>";
  }
  return html.str();
}

}  // namespace

std::string HtmlReport(const RunRecord& run, const RunRecord* baseline) {
  size_t passed = 0, failed = 0, errors = 0;
  for (const Json& c : run.cases) {
    const std::string status = c.value("status", "");
    passed += status == "pass", failed += status == "fail", errors += status == "error";
  }
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hil: "
       << Html(run.plan)
       << "</title><style>"
          "body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1800px}"
          "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d1d5db;"
          "padding:4px 8px;text-align:left;font-size:13px}th{background:#f3f4f6}"
          ".status{padding:1px 6px;border-radius:4px;color:#fff;font-size:12px}"
          ".pass{background:#2a9d3a}.fail{background:#c0392b}.error{background:#8e5ab5}"
          ".worse{color:#c0392b}.better{color:#2a9d3a}.note{color:#6b7280;font-size:12px}"
          ".case{border-top:1px solid #e5e7eb;padding-top:8px;margin-top:16px}"
          ".row{display:flex;gap:16px;flex-wrap:wrap}small{color:#6b7280}"
          "</style></head><body>";
  html << "<h1>" << Html(run.plan) << "</h1><p>Run " << run.id << ", started " << Html(run.started)
       << (run.finished.empty() ? "" : ", finished " + Html(run.finished)) << " ("
       << Html(run.status) << "). Bench: " << Html(run.bench.value("kind", "")) << ", probe "
       << Html(run.bench.value("probe", "")) << ". <b>" << passed << " passed, " << failed
       << " failed, " << errors << " errors.</b></p>";

  html << "<h2>Cases</h2>";
  if (EmulatedTime(run.bench)) html << "<p class=\"note\">" << Html(kEmulatedTimeNote) << ".</p>";
  html << "<table><tr><th>case</th><th>status</th><th>latency <small>median [95 % CI of the "
          "mean]</small></th><th>energy <small>median [95 % CI of the mean]</small></th>"
          "<th>power <small>mean</small></th><th>accuracy</th><th>flash <small>text+data"
          "</small></th><th>RAM <small>data+bss</small></th><th>notes</th></tr>";
  std::vector<Point> points;
  for (const Json& c : run.cases) {
    std::string notes;
    for (const std::string& note : CaseNotes(c)) notes += "<div>" + Html(note) + "</div>";
    const uint64_t flash = FlashBytes(c), ram = RamBytes(c);
    html << "<tr><td>" << Html(c.value("id", "")) << "</td><td>"
         << StatusBadge(c.value("status", "")) << "</td><td>"
         << WithInterval(c, "latency_us", measure::Quantity::kTimeUs) << "</td><td>"
         << WithInterval(c, "energy_uJ", measure::Quantity::kEnergyUj) << "</td><td>"
         << Html(measure::Human(NumberAt(c, {"power_mW", "mean"}), measure::Quantity::kPowerMw))
         << "</td><td>" << Html(AccuracyText(c)) << "</td><td>"
         << (flash ? Html(measure::HumanBytes(flash)) : "") << "</td><td>"
         << (ram ? Html(measure::HumanBytes(ram)) : "") << "</td><td>" << notes << "</td></tr>";
    const double latency = NumberAt(c, {"latency_us", "median"}),
                 energy = NumberAt(c, {"energy_uJ", "median"});
    if (std::isfinite(latency) && std::isfinite(energy)) {
      points.push_back(Point{latency, energy, c.value("id", ""), c.value("network", ""),
                             c.value("board", ""), c.value("configuration", "")});
    }
  }
  html << "</table>";

  if (!points.empty()) {
    html << "<h2>Latency and energy</h2><p class=\"note\">A plot per network, a point per "
            "case labelled with its configuration, a colour per board. The dashed line is the "
            "board's Pareto front (large points: no other configuration on that board is both "
            "faster and cheaper).</p><div class=\"row\">";
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
  for (const Json& c : run.cases) {
    if (!c.contains("trace") && (!c.contains("layers") || c["layers"].empty())) continue;
    html << "<div class=\"case\"><h3>" << Html(c.value("id", "")) << " "
         << StatusBadge(c.value("status", "")) << "</h3>";
    if (c.contains("trace")) {
      html << (c["trace"].contains("windows_s")
                   ? "<p class=\"note\">Current through the whole session; shaded bands are its "
                     "measurement windows, between the timestamp pin's edges.</p>"
                   : "<p class=\"note\">Current through the first measured inference; shaded "
                     "bands are its layers, dashed lines the trigger edges.</p>")
           << TracePlot(c["trace"]);
    }
    if (c.contains("layers") && !c["layers"].empty()) {
      html << "<div class=\"row\">" << LayerBars(c["layers"], "latency_us", "us", "#1f6fb4")
           << LayerBars(c["layers"], "energy_uJ", "uJ", "#e0701a") << "</div>";
    }
    html << "</div>";
  }
  html << "<p class=\"note\">Written by hil. Figures are per inference over the valid measured "
          "windows; see results.json for every statistic and verification.</p></body></html>\n";
  return html.str();
}

Status WriteHtmlReport(const RunRecord& run, const RunRecord* baseline, const std::string& path) {
  return WriteAtomically(path, HtmlReport(run, baseline));
}

}  // namespace hil::run
