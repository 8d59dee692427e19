#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "hil/measure/clock_sync.h"
#include "hil/measure/measurement.h"
#include "hil/measure/summary.h"
#include "hil/measure/verification.h"

namespace hil::measure {
namespace {

Window Inference(uint64_t index, double duration_s, double energy_j) {
  Window w;
  w.kind = WindowKind::kInference;
  w.index = index;
  w.start_s = static_cast<double>(index);
  w.end_s = w.start_s + duration_s;
  w.duration_s = duration_s;
  w.energy_j = energy_j;
  return w;
}

TEST(MeasureSummary, WarmupAndInvalidWindowsAreListedButNotCounted) {
  std::vector<Window> windows;
  windows.push_back(Inference(0, 9e-3, 9e-6));  // warm-up: slow, cold caches
  for (uint64_t i = 1; i <= 5; ++i) windows.push_back(Inference(i, 1e-3 * i, 2e-6 * i));
  windows[3].problems.push_back("3 samples were lost inside the window");
  Baseline baseline;
  baseline.power_w = 1e-3;
  baseline.seconds = 1;
  SummaryOptions options;
  options.warmup_windows = 1;
  const CaseFigures figures = Summarize(windows, baseline, options);
  EXPECT_EQ(figures.windows, 6u);
  EXPECT_EQ(figures.warmup, 1u);
  EXPECT_EQ(figures.used, 4u);
  ASSERT_EQ(figures.invalid.size(), 1u);
  EXPECT_EQ(figures.invalid[0].window, 3u);
  EXPECT_EQ(figures.invalid[0].problems[0], "3 samples were lost inside the window");
  // Windows 1, 2, 4, 5: latency 1, 2, 4, 5 ms.
  EXPECT_DOUBLE_EQ(figures.latency_us.mean, 3000);
  EXPECT_DOUBLE_EQ(figures.latency_us.median, 3000);
  EXPECT_DOUBLE_EQ(figures.energy_uj.min, 2);
  EXPECT_DOUBLE_EQ(figures.power_mw.mean, 2);
  // Net: gross minus 1 mW over the window.
  EXPECT_DOUBLE_EQ(figures.net_energy_uj.max, 10 - 5);
}

TEST(MeasureSummary, OutliersAreReportedAndStillCounted) {
  std::vector<Window> windows;
  for (uint64_t i = 0; i < 10; ++i) windows.push_back(Inference(i, 1e-3, 1e-6));
  windows[6].duration_s = 5e-3;  // an interrupt stretched this one
  const CaseFigures figures = Summarize(windows, {}, {});
  EXPECT_EQ(figures.used, 10u);
  EXPECT_DOUBLE_EQ(figures.latency_us.max, 5000);
  ASSERT_EQ(figures.outliers.size(), 1u);
  EXPECT_EQ(figures.outliers[0].window, 6u);
  EXPECT_EQ(figures.outliers[0].figure, "latency_us");
  EXPECT_EQ(figures.net_energy_uj.n, 0u) << "no baseline, no net figure";
}

TEST(MeasureSummary, MlperfModeTakesTheMedianOfFiveAndFlagsShortWindows) {
  std::vector<Window> windows;
  const double durations[] = {12, 11, 10.5, 9, 13};
  for (uint64_t i = 0; i < 5; ++i) {
    Window w = Inference(i, durations[i], 0.5 * durations[i]);
    w.kind = WindowKind::kTimestamp;
    windows.push_back(w);
  }
  SummaryOptions options;
  options.kind = WindowKind::kTimestamp;
  options.inferences_per_window = 1000;
  options.mlperf = true;
  options.min_window_s = 10;
  const CaseFigures figures = Summarize(windows, {}, options);
  EXPECT_DOUBLE_EQ(figures.mlperf_latency_us, 11e3);  // median 11 s / 1000
  EXPECT_DOUBLE_EQ(figures.mlperf_energy_uj, 5.5e3);
  ASSERT_EQ(figures.problems.size(), 1u);
  EXPECT_NE(figures.problems[0].find("window 3 lasted 9.000 s, under the 10 s minimum"),
            std::string::npos)
      << figures.problems[0];

  windows.pop_back();
  const CaseFigures four = Summarize(windows, {}, options);
  bool too_few = false;
  for (const std::string& p : four.problems)
    too_few |= p.find("needs 5 valid windows, 4") != std::string::npos;
  EXPECT_TRUE(too_few);
}

TEST(MeasureSummary, NoWindowsIsAProblemThatPointsAtTheWiring) {
  const CaseFigures figures = Summarize({}, {}, {});
  ASSERT_EQ(figures.problems.size(), 1u);
  EXPECT_NE(figures.problems[0].find("trigger wiring"), std::string::npos);
}

TEST(MeasureVerification, FirmwareTimerDisagreementInvalidatesTheWindow) {
  std::vector<Window> windows = {Inference(0, 1000e-6, 1e-6), Inference(1, 1000e-6, 1e-6),
                                 Inference(2, 1100e-6, 1e-6)};
  CrossCheckOptions options;
  options.sample_rate_hz = 100000;  // 10 us per sample + 1 us timer
  const std::vector<double> firmware = {1000, 1010, 1000};
  const LatencyCrossCheck check = CrossCheckLatency(windows, firmware, options);
  EXPECT_EQ(check.compared, 3u);
  EXPECT_NEAR(check.max_error_pct, 10, 1e-9);
  EXPECT_TRUE(windows[0].valid());
  EXPECT_TRUE(windows[1].valid()) << "10 us off is within a sample + 1 us + 1 %";
  ASSERT_FALSE(windows[2].valid());
  EXPECT_NE(windows[2].problems[0].find("firmware's timer"), std::string::npos);
  EXPECT_TRUE(check.problems.empty());

  const std::vector<double> two = {1000, 1000};
  EXPECT_EQ(CrossCheckLatency(windows, two, options).problems.size(), 1u);
}

TEST(MeasureVerification, GroundTruthIsReadAndCompared) {
  const std::string path = ::testing::TempDir() + "/truth.jsonl";
  {
    std::ofstream file(path);
    file
        << R"({"kind":"inference","index":0,"duration_ns":1000000,"energy_nJ":1000,"layers":[{"index":0,"duration_ns":400000,"energy_nJ":300},{"index":1,"duration_ns":600000,"energy_nJ":700}]})"
        << "\n"
        << R"({"kind":"inference","index":1,"duration_ns":1000000,"energy_nJ":1000,"layers":[]})"
        << "\n";
  }
  Result<std::vector<TruthWindow>> truth = ReadGroundTruth(path);
  ASSERT_TRUE(truth.ok()) << truth.error().ToString();
  ASSERT_EQ(truth->size(), 2u);
  EXPECT_DOUBLE_EQ((*truth)[0].energy_j, 1e-6);
  ASSERT_EQ((*truth)[0].layers.size(), 2u);
  EXPECT_DOUBLE_EQ((*truth)[0].layers[1].duration_s, 600e-6);

  // 1 mW over 1 ms: one 10 us sample of energy is 1 % of the window, so
  // the tolerance is 0.5 % + 1 %.
  std::vector<Window> windows = {Inference(0, 1005e-6, 1.013e-6), Inference(1, 1000e-6, 1.02e-6)};
  TruthCheckOptions options;
  options.sample_rate_hz = 100000;
  const TruthCheck check = CompareWithGroundTruth(windows, *truth, options);
  EXPECT_EQ(check.compared, 2u);
  EXPECT_TRUE(windows[0].valid()) << "1.3 % and half a sample are within tolerance";
  ASSERT_FALSE(windows[1].valid());
  EXPECT_NE(windows[1].problems[0].find("2.000 % off the emulator's ground truth"),
            std::string::npos)
      << windows[1].problems[0];
  EXPECT_NEAR(check.max_energy_error_pct, 2.0, 1e-9);

  {
    std::ofstream file(path);
    file << "{\"kind\":\"inference\"}\n";
  }
  Result<std::vector<TruthWindow>> bad = ReadGroundTruth(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("truth.jsonl:1:"), std::string::npos);
}

TEST(MeasureClockSync, HostTimesMapOntoTheProbeClockThroughDelayAndDrift) {
  // The probe runs 50 ppm slow against the host; blocks of 1000 samples
  // arrive 1 to 5 ms after their last sample; the clocks are 12.5 s apart.
  const double rate = 100000, drift = 50e-6, offset = 12.5, min_delay = 1e-3;
  auto host_time_of = [&](double index) { return offset + index / rate * (1 + drift); };
  ClockSync sync(rate, min_delay);
  uint64_t seed = 1;
  for (uint64_t end = 1000; end <= 2'000'000; end += 1000) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const double delay = min_delay + 4e-3 * static_cast<double>(seed >> 40) / (1ull << 24);
    sync.Observe(host_time_of(static_cast<double>(end)) + delay, end);
  }
  EXPECT_NEAR(sync.drift_ppm(), 50, 1);
  // An edge at sample 1'500'000.25 seen by the host.
  EXPECT_NEAR(sync.ToPosition(host_time_of(1'500'000.25)), 1'500'000.25, 2.0)
      << "within two samples (20 us) after 15 s of drift";
}

TEST(MeasureClockSync, HostGpioEdgesMergedThroughTheClockGiveTheWindows) {
  // The probe streams 1000-sample blocks that reach the host 0.5..3 ms
  // late; the host stamps the inference pin's edges on its own clock, which
  // runs 8.3 s ahead and 20 ppm fast. Once the mapping has a second of
  // observations, the edges mapped through it give the windows' lengths to
  // within two samples; before that, to within the delay jitter.
  const double rate = 100000, offset = 8.3, drift = -20e-6;
  auto host_time_of = [&](double index) { return offset + index / rate * (1 + drift); };
  MeasureOptions options;
  options.sample_rate_hz = rate;
  options.triggers[0] = TriggerWiring{EdgeSource::kHost, 0, 0};
  options.triggers[1].source = options.triggers[2].source = EdgeSource::kNone;
  auto made = Measurement::Create(options);
  ASSERT_TRUE(made.ok());
  Measurement& measurement = **made;
  ClockSync sync(rate, 0.5e-3);
  const double rises[] = {20000.3, 150000.7, 290000.1}, falls[] = {45000.6, 180000.2, 291000.9};
  size_t next_edge = 0;
  uint64_t seed = 9;
  for (uint64_t first = 0; first < 300000; first += 1000) {  // 3 s
    SampleBlock block;
    block.first_index = first;
    block.voltage_v = 3.3;
    block.current_a.assign(1000, 2e-3);
    ASSERT_TRUE(measurement.Feed(block).ok());
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const double arrival = host_time_of(static_cast<double>(first + 1000)) + 0.5e-3 +
                           2.5e-3 * static_cast<double>(seed >> 40) / (1ull << 24);
    sync.Observe(arrival, first + 1000);
    // The host's GPIO reader delivers the edges it saw up to now.
    while (next_edge < 6) {
      const double at = next_edge % 2 == 0 ? rises[next_edge / 2] : falls[next_edge / 2];
      if (host_time_of(at) > arrival) break;
      ASSERT_TRUE(
          measurement
              .AddHostEdge(Role::kInference, next_edge % 2 == 0, sync.ToPosition(host_time_of(at)))
              .ok());
      ++next_edge;
    }
    measurement.AdvanceHostClock(sync.ToPosition(arrival));
  }
  measurement.Finish();
  ASSERT_EQ(measurement.windows().size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const Window& window = measurement.windows()[k];
    EXPECT_TRUE(window.valid()) << window.problems[0];
    // Where a window starts carries the bias of the smallest delay seen;
    // its length, between two edges mapped alike, does not.
    EXPECT_NEAR(window.start_s, rises[k] / rate, k == 0 ? 2.5e-3 : 5 / rate) << "window " << k;
    EXPECT_NEAR(window.duration_s, (falls[k] - rises[k]) / rate, k == 0 ? 2.5e-3 : 2 / rate)
        << "window " << k;
    EXPECT_NEAR(window.energy_j, 3.3 * 2e-3 * window.duration_s, 1e-12);
  }
}

}  // namespace
}  // namespace hil::measure
