#include "hil/run/progress.h"

#include <algorithm>

namespace hil::run {

void RemainingTime::CaseFinished(size_t done, double elapsed_s) {
  done_ = done;
  done_at_s_ = elapsed_s;
}

double RemainingTime::Left(double elapsed_s) {
  if (done_ == 0) return -1;
  const double mean = done_at_s_ / static_cast<double>(done_);
  const double to_go = static_cast<double>(cases_ > done_ ? cases_ - done_ : 0);
  double left = std::max(0.0, mean * to_go - (elapsed_s - done_at_s_));
  if (shown_ >= 0) left = std::min(left, std::max(0.0, shown_ - (elapsed_s - shown_at_s_)));
  shown_ = left;
  shown_at_s_ = elapsed_s;
  return left;
}

std::string ClockDuration(double seconds) {
  const long s = seconds < 0 ? 0 : static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

namespace {

// What kind of step this is: its text without digits ("dataset 12/100"
// and "dataset 13/100" are one kind), so a log gets a line when the kind
// changes and not for every count.
std::string KindOf(const std::string& step) {
  std::string kind;
  for (const char c : step) {
    if (c < '0' || c > '9') kind += c;
  }
  return kind;
}

}  // namespace

std::string ProgressPrinter::Line(const ProgressEvent& event) const {
  std::string when = ClockDuration(event.elapsed_s);
  if (event.case_done && event.index == event.count) {
    // The last case's outcome: nothing is left to estimate.
  } else if (event.left_s >= 1) {
    when += ", about " + ClockDuration(event.left_s) + " left";
  } else if (event.left_s >= 0) {
    when += ", finishing";
  }
  const std::string head = "[" + std::to_string(event.index) + "/" + std::to_string(event.count) +
                           "] " + event.case_id + ": ";
  const std::string tail = " (" + when + ")";
  std::string step = event.step;
  // On a terminal a line must fit its width (a wrapped line cannot be
  // rewritten): the step gives way, the position and time stay.
  if (mode_ == Mode::kTerminal && !event.case_done) {
    const size_t room = width_ - 1;
    if (head.size() + step.size() + tail.size() > room) {
      const size_t keep =
          room > head.size() + tail.size() + 8 ? room - head.size() - tail.size() - 3 : 5;
      step = step.substr(0, keep) + "...";
    }
    const std::string line = head + step + tail;
    return line.size() > room ? line.substr(0, room) : line;
  }
  return head + step + tail;
}

void ProgressPrinter::Show(const ProgressEvent& event) {
  if (mode_ == Mode::kQuiet) return;
  const std::string kind = KindOf(event.step);
  const bool news = event.case_done || event.index != last_case_ || kind != last_kind_;
  const double interval = mode_ == Mode::kTerminal ? 0.1 : log_interval_s_;
  if (!news && last_printed_s_ >= 0 && event.elapsed_s - last_printed_s_ < interval) return;
  last_case_ = event.index;
  last_kind_ = kind;
  last_printed_s_ = event.elapsed_s;
  const std::string line = Line(event);
  if (mode_ == Mode::kLog) {
    std::fprintf(out_, "%s\n", line.c_str());
  } else {
    // Rewritten in place; an outcome stays, as its own line.
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), event.case_done ? "\n" : "");
    line_open_ = !event.case_done;
  }
  std::fflush(out_);
}

void ProgressPrinter::Finish() {
  if (mode_ == Mode::kTerminal && line_open_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
  line_open_ = false;
}

}  // namespace hil::run
