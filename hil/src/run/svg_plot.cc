#include "hil/run/svg_plot.h"

#include <cmath>
#include <cstdio>

namespace hil::run {

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

std::string Tick(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.6g", std::abs(value) < 1e-12 ? 0.0 : value);
  return text;
}

std::string OpenSvg(int width, int height) {
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\">";
  return svg.str();
}

double TextWidth(const std::string& text, double font_px) {
  return static_cast<double>(text.size()) * font_px * 0.62;
}

std::vector<double> Ticks(double low, double high, int wanted) {
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

Plot::Plot(int width, int height, double x0, double x1, double y0, double y1, int legend_rows)
    : width_(width),
      height_(height + kLegendRow * legend_rows),
      bottom_margin_(kBottom + kLegendRow * legend_rows),
      x0_(x0),
      x1_(x1 > x0 ? x1 : x0 + 1),
      y0_(y0),
      y1_(y1 > y0 ? y1 : y0 + 1) {
  svg_ << OpenSvg(width_, height_);
}

void Plot::Axes(const std::string& x_label, const std::string& y_label) {
  for (double t : Ticks(x0_, x1_)) {
    svg_ << "<line x1=\"" << X(t) << "\" y1=\"" << kTop << "\" x2=\"" << X(t) << "\" y2=\""
         << height_ - bottom_margin_ << "\" stroke=\"#e5e7eb\"/>"
         << "<text x=\"" << X(t) << "\" y=\"" << height_ - bottom_margin_ + 16
         << "\" text-anchor=\"middle\" font-size=\"11\">" << Tick(t) << "</text>";
  }
  for (double t : Ticks(y0_, y1_)) {
    svg_ << "<line x1=\"" << kLeft << "\" y1=\"" << Y(t) << "\" x2=\"" << width_ - kRight
         << "\" y2=\"" << Y(t) << "\" stroke=\"#e5e7eb\"/>"
         << "<text x=\"" << kLeft - 6 << "\" y=\"" << Y(t) + 4
         << "\" text-anchor=\"end\" font-size=\"11\">" << Tick(t) << "</text>";
  }
  svg_ << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << width_ - kLeft - kRight
       << "\" height=\"" << height_ - kTop - bottom_margin_
       << "\" fill=\"none\" stroke=\"#9ca3af\"/>"
       << "<text x=\"" << (kLeft + width_ - kRight) / 2.0 << "\" y=\""
       << height_ - bottom_margin_ + 34 << "\" text-anchor=\"middle\" font-size=\"12\">"
       << Html(x_label) << "</text>"
       << "<text transform=\"translate(14," << (kTop + height_ - bottom_margin_) / 2.0
       << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" << Html(y_label) << "</text>";
}

}  // namespace hil::run
