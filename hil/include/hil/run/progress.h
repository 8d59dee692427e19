// Progress of a run for people: how far it is, what it is doing, and how
// long it has left. One updating line on a terminal; in a log, a line only
// when something changes (a new case, a new kind of step, an outcome) or
// after a quiet interval, so a 100-input dataset is not 100 lines.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace hil::run {

struct ProgressEvent {
  size_t index = 0;  // the case, from 1
  size_t count = 0;  // cases in the run
  std::string case_id;
  std::string step;        // "firmware", "dataset 12/100", "pass", "fail: ..."
  double elapsed_s = 0;    // since the run started
  double left_s = -1;      // estimate; < 0 while unknown
  bool case_done = false;  // step is the case's outcome
};

// The time a run has left, from the cases finished so far: their mean time
// times the cases to go, less the time the current case has taken. Once
// known it never grows, so a person reading it is never told "more" after
// waiting; if the run proves slower than estimated it stays at 0 until the
// end.
class RemainingTime {
 public:
  explicit RemainingTime(size_t cases) : cases_(cases) {}
  // Case number `done` (from 1) finished `elapsed_s` after the run started.
  void CaseFinished(size_t done, double elapsed_s);
  // Seconds left at `elapsed_s`; < 0 before any case has finished.
  double Left(double elapsed_s);

 private:
  size_t cases_;
  size_t done_ = 0;
  double done_at_s_ = 0;
  double shown_ = -1, shown_at_s_ = 0;
};

// "0:07", "12:34", "1:02:03".
std::string ClockDuration(double seconds);

class ProgressPrinter {
 public:
  enum class Mode {
    kTerminal,  // one line rewritten in place; outcomes stay as lines
    kLog,       // whole lines, sparse
    kQuiet,     // nothing
  };
  // width: the terminal's columns (lines longer than it would wrap and
  // break the rewriting); ignored in a log.
  ProgressPrinter(Mode mode, std::FILE* out, size_t width = 100, double log_interval_s = 10)
      : mode_(mode), out_(out), width_(width < 20 ? 20 : width), log_interval_s_(log_interval_s) {}
  void Show(const ProgressEvent& event);
  // Clears an unfinished terminal line before other output follows.
  void Finish();

 private:
  std::string Line(const ProgressEvent& event) const;
  Mode mode_;
  std::FILE* out_;
  size_t width_;
  double log_interval_s_;
  bool line_open_ = false;
  size_t last_case_ = 0;
  std::string last_kind_;
  double last_printed_s_ = -1;
};

}  // namespace hil::run
