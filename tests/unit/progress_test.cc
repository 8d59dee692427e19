// Progress for people: an estimate that never grows once known, one
// rewritten line on a terminal, sparse whole lines in a log.
#include "hil/run/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace hil::run {
namespace {

TEST(RemainingTime, UnknownUntilACaseHasFinished) {
  RemainingTime left(4);
  EXPECT_LT(left.Left(0), 0);
  EXPECT_LT(left.Left(20), 0);
  left.CaseFinished(1, 10);
  EXPECT_DOUBLE_EQ(left.Left(10), 30);  // three cases of 10 s to go
}

TEST(RemainingTime, ShrinksWithinACaseAndNeverGrowsAfterASlowOne) {
  RemainingTime left(4);
  left.CaseFinished(1, 10);
  EXPECT_DOUBLE_EQ(left.Left(10), 30);
  EXPECT_DOUBLE_EQ(left.Left(15), 25);  // the current case counts down
  // The second case took 30 s: the mean (20 s) times two is 40 s, more than
  // the 15 s the earlier estimate leaves. The person is not told "more".
  left.CaseFinished(2, 40);
  EXPECT_DOUBLE_EQ(left.Left(40), 0);
  EXPECT_DOUBLE_EQ(left.Left(50), 0) << "an overrun stays at nothing left";
}

TEST(RemainingTime, AFastCaseBringsTheEstimateDown) {
  RemainingTime left(3);
  left.CaseFinished(1, 30);
  EXPECT_DOUBLE_EQ(left.Left(30), 60);
  left.CaseFinished(2, 36);  // a cached firmware: 6 s
  EXPECT_DOUBLE_EQ(left.Left(36), 18);
}

// The run: 0:59 left at 0:20 became 1:32 at 0:31. Every estimate of
// a series of progress calls is at most the one before less the time since.
TEST(RemainingTime, ASeriesOfCasesNeverShowsAnIncrease) {
  const double finished_at[] = {3, 5, 14, 20, 31, 33};
  RemainingTime left(6);
  double previous = -1, previous_at = 0;
  size_t done = 0;
  for (double t = 0; t <= 33; t += 0.5) {
    while (done < 6 && finished_at[done] <= t) {
      left.CaseFinished(done + 1, finished_at[done]);
      ++done;
    }
    const double now = left.Left(t);
    if (previous >= 0) {
      ASSERT_GE(now, 0);
      EXPECT_LE(now, std::max(0.0, previous - (t - previous_at)) + 1e-9) << "at " << t << " s";
    }
    if (now >= 0) previous = now, previous_at = t;
  }
}

TEST(ClockDuration, MinutesAndHours) {
  EXPECT_EQ(ClockDuration(0), "0:00");
  EXPECT_EQ(ClockDuration(7.4), "0:07");
  EXPECT_EQ(ClockDuration(754), "12:34");
  EXPECT_EQ(ClockDuration(3723), "1:02:03");
  EXPECT_EQ(ClockDuration(-3), "0:00");
}

// What a printer wrote, through a memory stream.
class Captured {
 public:
  Captured() : file_(open_memstream(&data_, &size_)) {}
  ~Captured() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

ProgressEvent Event(size_t index, const std::string& step, double at, bool done = false) {
  ProgressEvent event;
  event.index = index, event.count = 2, event.case_id = "kws/simd/mps2-an386";
  event.step = step, event.elapsed_s = at, event.case_done = done;
  event.left_s = index == 1 && !done ? -1 : 40;
  return event;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ProgressPrinter, ALogGetsALinePerNewKindOfStepNotPerInput) {
  Captured out;
  ProgressPrinter printer(ProgressPrinter::Mode::kLog, out.file(), 100, 10);
  printer.Show(Event(1, "firmware", 0));
  for (int k = 1; k <= 100; ++k)
    printer.Show(Event(1, "dataset " + std::to_string(k) + "/100", 1 + k * 0.15));
  printer.Show(Event(1, "pass", 17, true));
  printer.Show(Event(2, "firmware", 17));
  const std::string text = out.Text();
  EXPECT_EQ(Count(text, "\n"), 5u) << text;  // firmware, dataset 1, dataset at 11 s, pass, firmware
  EXPECT_NE(text.find("[1/2] kws/simd/mps2-an386: dataset 1/100 (0:01)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("dataset 68/100 (0:11)\n"), std::string::npos) << "a line after 10 quiet s";
  EXPECT_NE(text.find("[1/2] kws/simd/mps2-an386: pass (0:17, about 0:40 left)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal controls in a log";
  EXPECT_EQ(text.find('\033'), std::string::npos);
}

TEST(ProgressPrinter, ATerminalGetsOneRewrittenLineThatFitsItsWidth) {
  Captured out;
  ProgressPrinter printer(ProgressPrinter::Mode::kTerminal, out.file(), 80);
  printer.Show(
      Event(2, "building mps2-an386-mb-conv3x3 with -Os (log /home/user/.cache/hil/x)", 3));
  printer.Show(Event(2, "dataset 1/100", 4));
  printer.Show(Event(2, "dataset 2/100", 4.05));  // within 0.1 s of the last: skipped
  printer.Show(Event(2, "dataset 3/100", 4.2));
  printer.Show(Event(2, "pass", 5, true));
  printer.Show(Event(2, "verifying", 6));
  printer.Finish();
  const std::string text = out.Text();
  EXPECT_EQ(Count(text, "\r\033[K"), 6u) << text;  // five lines drawn, and the last one cleared
  EXPECT_EQ(text.find("dataset 2/100"), std::string::npos);
  EXPECT_NE(text.find("dataset 3/100"), std::string::npos);
  EXPECT_EQ(Count(text, "\n"), 1u) << "only the outcome stays as a line";
  // Each drawn line fits in 79 columns and keeps its position and time.
  size_t at = 0;
  while ((at = text.find("\r\033[K", at)) != std::string::npos) {
    at += 4;
    const size_t end = text.find_first_of("\r\n", at);
    const std::string line = text.substr(at, end - at);
    if (line.empty()) continue;
    EXPECT_LE(line.size(), 79u) << line;
    EXPECT_EQ(line.rfind("[2/2] ", 0), 0u) << line;
    EXPECT_EQ(line.back(), ')') << line;
  }
  EXPECT_NE(
      text.find("\r\033[K[2/2] kws/simd/mps2-an386: building mps2-an386-mb-co... (0:03, about "
                "0:40 left)\r"),
      std::string::npos)
      << text;
}

TEST(ProgressPrinter, QuietPrintsNothing) {
  Captured out;
  ProgressPrinter printer(ProgressPrinter::Mode::kQuiet, out.file());
  printer.Show(Event(1, "firmware", 0));
  printer.Show(Event(1, "fail: expectation not met", 1, true));
  printer.Finish();
  EXPECT_EQ(out.Text(), "");
}

TEST(ProgressPrinter, TheLastOutcomeHasNoEstimateAndAnOverrunSaysFinishing) {
  Captured out;
  ProgressPrinter printer(ProgressPrinter::Mode::kLog, out.file());
  ProgressEvent overrun = Event(2, "verifying", 50);
  overrun.left_s = 0;
  printer.Show(overrun);
  printer.Show(Event(2, "pass", 51, true));
  EXPECT_EQ(out.Text(),
            "[2/2] kws/simd/mps2-an386: verifying (0:50, finishing)\n"
            "[2/2] kws/simd/mps2-an386: pass (0:51)\n");
}

}  // namespace
}  // namespace hil::run
