// What hil's HTML pages draw with: escaped text, SVG boxes, and a plot area
// with linear axes and round ticks. The run report and the optimize report
// share them.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace hil::run {

// Every plot's nominal width: two side by side fill a 1400 px window.
inline constexpr int kPlotWidth = 640;
// A colour per series, in order.
inline constexpr const char* kPalette[] = {"#1f6fb4", "#e0701a", "#2a9d3a", "#c0392b", "#8e5ab5",
                                           "#7f5539", "#d35fa0", "#6b7280", "#a8a21a", "#17a2b8"};

// Text with &, <, > and " escaped for HTML.
std::string Html(const std::string& text);
// A tick of an axis: round by construction, so the shortest fixed text.
std::string Tick(double value);
// An SVG drawn in a width x height box; the page's style scales it to the
// width of its grid cell, so its text stays near its nominal size.
std::string OpenSvg(int width, int height);
// Roughly how wide a label is in an 11 px sans-serif font, to leave out
// labels that would not fit or would run into a neighbour.
double TextWidth(const std::string& text, double font_px = 11);
// Round tick steps: 1, 2 or 5 times a power of ten.
std::vector<double> Ticks(double low, double high, int wanted = 5);

// A plot area with linear axes, drawn as SVG.
class Plot {
 public:
  static constexpr int kLegendRow = 20;

  // legend_rows: room below the x axis' label for lines of legend; the
  // plot grows by them.
  Plot(int width, int height, double x0, double x1, double y0, double y1, int legend_rows = 0);
  double X(double x) const { return kLeft + (x - x0_) / (x1_ - x0_) * (width_ - kLeft - kRight); }
  double Y(double y) const {
    return height_ - bottom_margin_ - (y - y0_) / (y1_ - y0_) * (height_ - kTop - bottom_margin_);
  }
  void Axes(const std::string& x_label, const std::string& y_label);
  std::ostringstream& raw() { return svg_; }
  std::string Finish() {
    svg_ << "</svg>";
    return svg_.str();
  }
  int top() const { return kTop; }
  int bottom() const { return height_ - bottom_margin_; }
  int left() const { return kLeft; }
  int right() const { return width_ - kRight; }
  int height() const { return height_; }

 private:
  static constexpr int kLeft = 64, kRight = 16, kTop = 12, kBottom = 40;
  int width_, height_, bottom_margin_;
  double x0_, x1_, y0_, y1_;
  std::ostringstream svg_;
};

}  // namespace hil::run
