// The measurement engine on synthetic traces with exactly known integrals.
// Power is linear between samples (the engine's model), so the energy of
// any span is known in closed form or by Simpson's rule, which is exact
// for linear pieces and shares no code with the engine's integration.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hil/measure/measurement.h"
#include "hil/measure/summary.h"

namespace hil::measure {
namespace {

constexpr double kRate = 100000;  // samples per second
constexpr double kVolts = 3.0;

struct Trace {
  std::vector<double> amps;
  std::vector<uint8_t> logic;
  std::vector<bool> lost;  // samples that never arrive

  size_t size() const { return amps.size(); }
  void Resize(size_t n, double amps_value = 1e-3) {
    amps.assign(n, amps_value);
    logic.assign(n, 0);
    lost.assign(n, false);
  }
  // Sets logic bit `bit` high on samples [from, to).
  void High(int bit, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) logic[i] |= static_cast<uint8_t>(1u << bit);
  }
  void Toggle(int bit, size_t from) {
    for (size_t i = from; i < size(); ++i) logic[i] ^= static_cast<uint8_t>(1u << bit);
  }
  // Power at a position: linear between samples.
  double PowerAt(double x) const {
    const size_t k = static_cast<size_t>(std::floor(x));
    const double f = x - static_cast<double>(k);
    if (f == 0) return kVolts * amps[k];
    return kVolts * (amps[k] + f * (amps[k + 1] - amps[k]));
  }
  // Energy in joules over [a, b] (positions), Simpson on each linear piece.
  double Energy(double a, double b) const {
    double sum = 0;
    double x = a;
    while (x < b) {
      const double next = std::min(b, std::floor(x) + 1);
      sum += (next - x) / 6 * (PowerAt(x) + 4 * PowerAt(0.5 * (x + next)) + PowerAt(next));
      x = next;
    }
    return sum / kRate;
  }
};

// Feeds the trace in blocks cut at `cuts` (sample indices), leaving out lost
// samples as a driver would (an exact gap: the next block starts later).
void FeedTrace(Measurement& measurement, const Trace& trace, std::vector<size_t> cuts = {}) {
  cuts.push_back(trace.size());
  SampleBlock block;
  block.voltage_v = kVolts;
  size_t cut = 0;
  auto flush = [&](size_t next_first) {
    if (!block.current_a.empty() || block.lost_before > 0) {
      ASSERT_TRUE(measurement.Feed(block).ok());
    }
    block = SampleBlock();
    block.voltage_v = kVolts;
    block.first_index = next_first;
  };
  for (size_t i = 0; i < trace.size(); ++i) {
    if (i == cuts[cut]) {
      flush(i);
      ++cut;
    }
    if (trace.lost[i]) {
      if (!block.current_a.empty()) flush(i);
      ++block.lost_before;
      block.first_index = i + 1;
      continue;
    }
    block.current_a.push_back(trace.amps[i]);
    block.logic.push_back(trace.logic[i]);
  }
  flush(trace.size());
}

std::unique_ptr<Measurement> Make(MeasureOptions options = {}) {
  options.sample_rate_hz = kRate;
  Result<std::unique_ptr<Measurement>> made = Measurement::Create(options);
  EXPECT_TRUE(made.ok());
  return std::move(*made);
}

std::vector<Window> Measure(const Trace& trace, MeasureOptions options = {},
                            std::vector<size_t> cuts = {}) {
  std::unique_ptr<Measurement> measurement = Make(options);
  FeedTrace(*measurement, trace, std::move(cuts));
  measurement->Finish();
  return measurement->windows();
}

double RelativeError(double measured, double exact) {
  return std::abs(measured - exact) / std::abs(exact);
}

// Three inferences with layers, ramps and pulses: the trace every exactness
// test shares. Inference k is high on [rise[k], fall[k]), layer edges at
// the samples in layer_edges[k].
struct Scene {
  Trace trace;
  std::vector<size_t> rise = {100, 400, 700}, fall = {300, 620, 905};
  std::vector<std::vector<size_t>> layer_edges = {{150, 230}, {470, 500}, {760, 800}};
};

Scene MakeScene() {
  Scene scene;
  Trace& t = scene.trace;
  t.Resize(1000, 0.5e-3);
  for (size_t k = 0; k < 3; ++k) {
    t.High(0, scene.rise[k], scene.fall[k]);
    for (size_t edge : scene.layer_edges[k]) t.Toggle(1, edge);
    for (size_t i = scene.rise[k]; i < scene.fall[k]; ++i) {
      // A ramp, a plateau and a pulse: piecewise linear by construction.
      const double x = static_cast<double>(i - scene.rise[k]);
      t.amps[i] = 2e-3 + 1e-5 * x + (i % 37 < 5 ? 4e-3 : 0.0);
    }
  }
  return scene;
}

TEST(MeasureEngine, PulseEnergyAndLatencyMatchTheClosedForm) {
  // One flat pulse of height h above base b on samples [r, f): edges at
  // r - 0.5 and f - 0.5, and between them the linear interpolant gives
  // b (f - r) + h (f - r - 1/4) sample-amperes.
  Trace trace;
  trace.Resize(400, 1e-3);
  const size_t r = 120, f = 283;
  const double b = 1e-3, h = 7e-3;
  trace.High(0, r, f);
  for (size_t i = r; i < f; ++i) trace.amps[i] = b + h;
  const std::vector<Window> windows = Measure(trace);
  ASSERT_EQ(windows.size(), 1u);
  const Window& w = windows[0];
  EXPECT_TRUE(w.valid());
  EXPECT_DOUBLE_EQ(w.duration_s, (f - r) / kRate) << "latency is exact to the sample";
  EXPECT_DOUBLE_EQ(w.start_s, (r - 0.5) / kRate);
  const double exact = kVolts * (b * (f - r) + h * (f - r - 0.25)) / kRate;
  EXPECT_LT(RelativeError(w.energy_j, exact), 1e-12);
}

TEST(MeasureEngine, RampEnergyMatchesTheClosedForm) {
  // Current c0 + c1 * x sampled at every x: its interpolant is the line
  // itself, whose integral over [a, b] is c0 (b - a) + c1 (b^2 - a^2) / 2.
  Trace trace;
  trace.Resize(3000);
  const double c0 = 2e-4, c1 = 3e-7;
  for (size_t i = 0; i < trace.size(); ++i) trace.amps[i] = c0 + c1 * static_cast<double>(i);
  trace.High(0, 1001, 2500);
  const std::vector<Window> windows = Measure(trace);
  ASSERT_EQ(windows.size(), 1u);
  const double a = 1000.5, b = 2499.5;
  const double exact = kVolts * (c0 * (b - a) + c1 * (b * b - a * a) / 2) / kRate;
  EXPECT_LT(RelativeError(windows[0].energy_j, exact), 1e-12);
}

TEST(MeasureEngine, WindowsAndLayersMatchTheirExactIntegrals) {
  const Scene scene = MakeScene();
  const std::vector<Window> windows = Measure(scene.trace);
  ASSERT_EQ(windows.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const Window& w = windows[k];
    SCOPED_TRACE("window " + std::to_string(k));
    EXPECT_TRUE(w.valid()) << (w.problems.empty() ? "" : w.problems[0]);
    const double a = scene.rise[k] - 0.5, b = scene.fall[k] - 0.5;
    EXPECT_DOUBLE_EQ(w.duration_s, (b - a) / kRate);
    EXPECT_LT(RelativeError(w.energy_j, scene.trace.Energy(a, b)), 1e-9);
    ASSERT_EQ(w.layers.size(), scene.layer_edges[k].size() + 1);
    double from = a, layer_sum = 0;
    for (size_t l = 0; l < w.layers.size(); ++l) {
      const double to = l < scene.layer_edges[k].size() ? scene.layer_edges[k][l] - 0.5 : b;
      EXPECT_DOUBLE_EQ(w.layers[l].duration_s, (to - from) / kRate) << "layer " << l;
      EXPECT_LT(RelativeError(w.layers[l].energy_j, scene.trace.Energy(from, to)), 1e-9)
          << "layer " << l;
      layer_sum += w.layers[l].energy_j;
      from = to;
    }
    EXPECT_LT(RelativeError(layer_sum, w.energy_j), 1e-12) << "layers sum to the inference";
    EXPECT_LT(w.layer_sum_error_pct, 1e-10);
  }
}

TEST(MeasureEngine, EveryBlockBoundaryGivesTheSameFigures) {
  const Scene scene = MakeScene();
  const std::vector<Window> whole = Measure(scene.trace);
  ASSERT_EQ(whole.size(), 3u);
  for (size_t cut = 1; cut < scene.trace.size(); ++cut) {
    // One cut at every position, and a second a prime distance later.
    for (const std::vector<size_t>& cuts :
         {std::vector<size_t>{cut}, std::vector<size_t>{cut, std::min<size_t>(cut + 13, 999)}}) {
      std::vector<size_t> unique_cuts = cuts;
      if (unique_cuts.size() == 2 && unique_cuts[1] == unique_cuts[0]) unique_cuts.pop_back();
      const std::vector<Window> split = Measure(scene.trace, {}, unique_cuts);
      ASSERT_EQ(split.size(), whole.size()) << "cut at " << cut;
      for (size_t k = 0; k < whole.size(); ++k) {
        ASSERT_TRUE(split[k].valid()) << "cut at " << cut;
        EXPECT_EQ(split[k].duration_s, whole[k].duration_s) << "cut at " << cut;
        EXPECT_LT(RelativeError(split[k].energy_j, whole[k].energy_j), 1e-12) << "cut at " << cut;
        ASSERT_EQ(split[k].layers.size(), whole[k].layers.size());
        for (size_t l = 0; l < whole[k].layers.size(); ++l) {
          EXPECT_LT(RelativeError(split[k].layers[l].energy_j, whole[k].layers[l].energy_j), 1e-12)
              << "cut at " << cut << " layer " << l;
        }
      }
    }
  }
}

TEST(MeasureEngine, SubSampleEdgesFromTheHostIntegrateExactly) {
  // Host edges fall anywhere between samples; each jittered window must
  // still match its exact integral.
  Trace trace;
  trace.Resize(5000);
  std::mt19937 random(7);
  std::uniform_real_distribution<double> jitter(0, 1);
  for (size_t i = 0; i < trace.size(); ++i) {
    trace.amps[i] = 1e-3 + 5e-4 * std::sin(static_cast<double>(i) / 40);
  }
  MeasureOptions options;
  options.triggers[0] = TriggerWiring{EdgeSource::kHost, 0, 0};
  options.triggers[1] = TriggerWiring{EdgeSource::kHost, 0, 0};
  std::unique_ptr<Measurement> measurement = Make(options);
  std::vector<std::pair<double, double>> spans;
  for (double start = 50; start + 400 < 4900; start += 450) {
    const double a = start + jitter(random), b = start + 300 + jitter(random);
    spans.emplace_back(a, b);
    ASSERT_TRUE(measurement->AddHostEdge(Role::kInference, true, a).ok());
    ASSERT_TRUE(measurement->AddHostEdge(Role::kLayer, true, a + 100.25).ok());
    ASSERT_TRUE(measurement->AddHostEdge(Role::kInference, false, b).ok());
  }
  measurement->AdvanceHostClock(5000);
  FeedTrace(*measurement, trace, {777, 2020, 3333});
  measurement->Finish();
  const std::vector<Window>& windows = measurement->windows();
  ASSERT_EQ(windows.size(), spans.size());
  for (size_t k = 0; k < spans.size(); ++k) {
    const auto [a, b] = spans[k];
    EXPECT_TRUE(windows[k].valid());
    EXPECT_NEAR(windows[k].duration_s, (b - a) / kRate, 1e-15);
    EXPECT_LT(RelativeError(windows[k].energy_j, trace.Energy(a, b)), 1e-9) << "window " << k;
    ASSERT_EQ(windows[k].layers.size(), 2u);
    EXPECT_LT(RelativeError(windows[k].layers[0].energy_j, trace.Energy(a, a + 100.25)), 1e-9);
  }
}

TEST(MeasureEngine, NoiseAveragesOutWithinItsExpectedSpread) {
  // White noise of sigma per sample adds to a window of n samples an energy
  // error of about sigma * V * sqrt(n) / rate: the engine adds no bias.
  Scene scene = MakeScene();
  const std::vector<Window> clean = Measure(scene.trace);
  std::mt19937 random(11);
  const double sigma = 2e-4;
  std::normal_distribution<double> noise(0, sigma);
  for (double& a : scene.trace.amps) a += noise(random);
  const std::vector<Window> noisy = Measure(scene.trace);
  ASSERT_EQ(noisy.size(), clean.size());
  for (size_t k = 0; k < clean.size(); ++k) {
    const double n = clean[k].duration_s * kRate;
    const double spread = sigma * kVolts * std::sqrt(n) / kRate;
    EXPECT_LT(std::abs(noisy[k].energy_j - clean[k].energy_j), 5 * spread) << "window " << k;
    EXPECT_EQ(noisy[k].duration_s, clean[k].duration_s) << "noise in current moves no edge";
  }
}

TEST(MeasureEngine, PerSampleVoltageIsUsedAndTheConfiguredSupplyOverrides) {
  Trace trace;
  trace.Resize(100, 1e-3);
  trace.High(0, 10, 90);
  SampleBlock block;
  block.current_a = trace.amps;
  block.logic = trace.logic;
  block.voltage_samples_v.assign(100, 1.8f);
  auto measure = [&](MeasureOptions options) {
    std::unique_ptr<Measurement> m = Make(options);
    EXPECT_TRUE(m->Feed(block).ok());
    m->Finish();
    return m->windows().at(0).energy_j;
  };
  EXPECT_NEAR(measure({}), 1e-3 * 1.8 * 80 / kRate, 1e-12);
  MeasureOptions supply;
  supply.supply_v = 3.3;
  EXPECT_NEAR(measure(supply), 1e-3 * 3.3 * 80 / kRate, 1e-12);
}

// --- Invalidations: each bad window says why; the others still report.

TEST(MeasureEngine, AGapInsideAWindowInvalidatesOnlyThatWindow) {
  Scene scene = MakeScene();
  for (size_t i = 450; i < 455; ++i) scene.trace.lost[i] = true;
  const std::vector<Window> windows = Measure(scene.trace);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_TRUE(windows[0].valid());
  ASSERT_FALSE(windows[1].valid());
  EXPECT_EQ(windows[1].lost_samples, 5u);
  EXPECT_NE(windows[1].problems[0].find("5 samples were lost inside the window"), std::string::npos)
      << windows[1].problems[0];
  EXPECT_TRUE(windows[2].valid());
  EXPECT_LT(RelativeError(windows[2].energy_j, scene.trace.Energy(699.5, 904.5)), 1e-9);
}

TEST(MeasureEngine, AnEdgeInsideAGapInvalidatesItsWindow) {
  Scene scene = MakeScene();
  for (size_t i = 298; i < 303; ++i) scene.trace.lost[i] = true;  // around the first fall
  const std::vector<Window> windows = Measure(scene.trace);
  ASSERT_EQ(windows.size(), 3u);
  ASSERT_FALSE(windows[0].valid());
  bool named = false;
  for (const std::string& p : windows[0].problems)
    named |= p.find("fell among lost") != std::string::npos;
  EXPECT_TRUE(named) << windows[0].problems[0];
  EXPECT_TRUE(windows[1].valid());
  EXPECT_TRUE(windows[2].valid());
}

TEST(MeasureEngine, LossWithoutAPlaceInvalidatesWindowsOverlappingItsBlock) {
  // The LPM01A reports a count of lost samples per second, not where they
  // were: any window touching that block is suspect.
  Scene scene = MakeScene();
  std::unique_ptr<Measurement> m = Make();
  auto block_of = [&](size_t from, size_t to, uint64_t lost_inside) {
    SampleBlock block;
    block.first_index = from;
    block.voltage_v = kVolts;
    block.lost_inside = lost_inside;
    for (size_t i = from; i < to - lost_inside; ++i) {
      block.current_a.push_back(scene.trace.amps[i]);
      block.logic.push_back(scene.trace.logic[i]);
    }
    return block;
  };
  ASSERT_TRUE(m->Feed(block_of(0, 350, 0)).ok());
  ASSERT_TRUE(m->Feed(block_of(350, 650, 2)).ok());  // inside the second window
  ASSERT_TRUE(m->Feed(block_of(650, 1000, 0)).ok());
  m->Finish();
  ASSERT_EQ(m->windows().size(), 3u);
  EXPECT_TRUE(m->windows()[0].valid());
  EXPECT_FALSE(m->windows()[1].valid());
  EXPECT_EQ(m->windows()[1].lost_samples, 2u);
  EXPECT_TRUE(m->windows()[2].valid());
}

TEST(MeasureEngine, AMissingFallingEdgeInvalidatesItsWindowWithTheReason) {
  // Edges as events (the LPM01A's D7): the line rises twice.
  Trace trace;
  trace.Resize(1000);
  MeasureOptions options;
  options.triggers[0] = TriggerWiring{EdgeSource::kEvents, 7, 0};
  options.triggers[1].source = EdgeSource::kNone;
  options.triggers[2].source = EdgeSource::kNone;
  std::unique_ptr<Measurement> m = Make(options);
  SampleBlock block;
  block.voltage_v = kVolts;
  block.current_a = trace.amps;
  block.events = {{100, 7, true},
                  {200, 7, false},
                  {300, 7, true},
                  /* fall missing */ {500, 7, true},
                  {600, 7, false},
                  {700, 7, false}};
  ASSERT_TRUE(m->Feed(block).ok());
  m->Finish();
  const std::vector<Window>& w = m->windows();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_TRUE(w[0].valid());
  EXPECT_DOUBLE_EQ(w[0].duration_s, 100 / kRate);
  ASSERT_FALSE(w[1].valid());
  EXPECT_NE(w[1].problems[0].find("missing falling edge"), std::string::npos) << w[1].problems[0];
  EXPECT_TRUE(w[2].valid()) << "the window after it still reports";
  EXPECT_DOUBLE_EQ(w[2].duration_s, 100 / kRate);
  ASSERT_FALSE(w[3].valid());
  EXPECT_NE(w[3].problems[0].find("missing rising edge"), std::string::npos) << w[3].problems[0];
  EXPECT_TRUE(std::isnan(w[3].energy_j)) << "no number for a window that never opened";
}

TEST(MeasureEngine, ACaptureEndingInsideAWindowInvalidatesIt) {
  Trace trace;
  trace.Resize(500);
  trace.High(0, 100, 200);
  trace.High(0, 400, 500);
  const std::vector<Window> windows = Measure(trace);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_TRUE(windows[0].valid());
  ASSERT_FALSE(windows[1].valid());
  EXPECT_NE(windows[1].problems[0].find("capture ended"), std::string::npos);
}

TEST(MeasureEngine, AnExtraLayerToggleInvalidatesThatInference) {
  Scene scene = MakeScene();
  scene.trace.Toggle(1, 520);  // a third edge in the second inference
  scene.trace.Toggle(1, 650);  // ... and, to keep later levels, one outside any window
  const std::vector<Window> windows = Measure(scene.trace);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_TRUE(windows[0].valid());
  ASSERT_FALSE(windows[1].valid());
  EXPECT_EQ(windows[1].layers.size(), 4u);
  EXPECT_NE(windows[1].problems[0].find("an extra layer-pin edge"), std::string::npos)
      << windows[1].problems[0];
  EXPECT_TRUE(windows[2].valid());
}

TEST(MeasureEngine, TooFewLayerEdgesLeaveTheInferenceValidButItsLayersUnused) {
  // Layers shorter than a sample period merge on a sampled pin: the
  // inference's edges, and so its figures, are still right.
  const Scene scene = MakeScene();
  MeasureOptions options;
  options.expected_layers = 4;
  const std::vector<Window> windows = Measure(scene.trace, options);
  for (const Window& w : windows) {
    EXPECT_TRUE(w.valid());
    EXPECT_NE(w.layer_problem.find("3 layer segments where 4 were expected (a missing"),
              std::string::npos)
        << w.layer_problem;
  }
  const CaseFigures figures = Summarize(windows, {}, {});
  EXPECT_EQ(figures.used, 3u);
  EXPECT_EQ(figures.layers_unresolved, 3u);
  EXPECT_TRUE(figures.layers.empty()) << "no layer figures from unresolved splits";
}

TEST(MeasureEngine, GlitchesShorterThanTheMinimumPulseAreDropped) {
  Trace trace;
  trace.Resize(1000);
  trace.High(0, 100, 400);
  trace.High(0, 600, 602);  // a 2-sample spike on the line: no inference
  for (size_t i = 250; i < 251; ++i) trace.logic[i] &= ~1;  // a 1-sample dropout inside
  MeasureOptions options;
  options.triggers[0].min_pulse_s = 3 / kRate;
  std::unique_ptr<Measurement> m = Make(options);
  FeedTrace(*m, trace, {250, 601});
  m->Finish();
  ASSERT_EQ(m->windows().size(), 1u);
  EXPECT_TRUE(m->windows()[0].valid());
  EXPECT_DOUBLE_EQ(m->windows()[0].duration_s, 300 / kRate);
  EXPECT_EQ(m->counts().glitches[0], 2u);
  // Without the filter the same line gives three windows.
  EXPECT_EQ(Measure(trace).size(), 3u);
}

TEST(MeasureEngine, AHostEdgeOlderThanTheHistoryIsRefusedWithTheReason) {
  Trace trace;
  trace.Resize(200000);  // 2 s
  MeasureOptions options;
  options.history_s = 0.1;
  options.triggers[0] = TriggerWiring{EdgeSource::kHost, 0, 0};
  options.triggers[1].source = options.triggers[2].source = EdgeSource::kNone;
  std::unique_ptr<Measurement> m = Make(options);
  // The host source says nothing until the probe is 2 s ahead.
  FeedTrace(*m, trace, {50000, 100000, 150000});
  ASSERT_TRUE(m->AddHostEdge(Role::kInference, true, 1000).ok());
  ASSERT_TRUE(m->AddHostEdge(Role::kInference, false, 2000).ok());
  ASSERT_TRUE(m->AddHostEdge(Role::kInference, true, 195000).ok());
  ASSERT_TRUE(m->AddHostEdge(Role::kInference, false, 196000).ok());
  m->AdvanceHostClock(199000);
  m->Finish();
  ASSERT_EQ(m->windows().size(), 2u);
  ASSERT_FALSE(m->windows()[0].valid());
  EXPECT_NE(m->windows()[0].problems[0].find("left the kept history"), std::string::npos)
      << m->windows()[0].problems[0];
  EXPECT_TRUE(m->windows()[1].valid());
  EXPECT_FALSE(m->AddHostEdge(Role::kTimestamp, true, 1).ok())
      << "timestamp is not wired to the host";
}

TEST(MeasureEngine, TimestampWindowsPairFallingEdges) {
  // MLPerf energy mode: a falling edge before and after N inferences.
  Trace trace;
  trace.Resize(3000, 1e-3);
  trace.High(2, 0, 3000);
  for (size_t edge : {100u, 1100u, 1500u, 2700u}) trace.logic[edge] &= ~4;  // 1-sample pulses
  for (size_t i = 100; i < 1100; ++i) trace.amps[i] = 5e-3;
  MeasureOptions options;
  options.triggers[0].source = options.triggers[1].source = EdgeSource::kNone;
  const std::vector<Window> windows = Measure(trace, options);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].kind, WindowKind::kTimestamp);
  EXPECT_DOUBLE_EQ(windows[0].duration_s, 1000 / kRate);
  EXPECT_LT(RelativeError(windows[0].energy_j, trace.Energy(99.5, 1099.5)), 1e-9);
  EXPECT_DOUBLE_EQ(windows[1].duration_s, 1200 / kRate);
}

TEST(MeasureEngine, BaselineComesFromIdleTimeOutsideTheGuardBands) {
  // Idle draws 1 mA, but for 20 samples after each inference the DUT still
  // draws 3 mA (settling). A 30-sample guard keeps that out of the baseline.
  Trace trace;
  trace.Resize(4000, 1e-3);
  for (size_t start = 500; start < 3500; start += 1000) {
    trace.High(0, start, start + 200);
    for (size_t i = start; i < start + 200; ++i) trace.amps[i] = 10e-3;
    for (size_t i = start + 200; i < start + 220; ++i) trace.amps[i] = 3e-3;
  }
  MeasureOptions guarded;
  guarded.guard_s = 30 / kRate;
  std::unique_ptr<Measurement> m = Make(guarded);
  FeedTrace(*m, trace, {1234});
  m->Finish();
  const Baseline baseline = m->baseline();
  ASSERT_TRUE(baseline.available());
  EXPECT_NEAR(baseline.power_w, 1e-3 * kVolts, 1e-15);
  EXPECT_EQ(baseline.segments, 4u);
  EXPECT_NEAR(baseline.seconds, (4000 - 3 * 200 - 3 * 60 - 30 - 0.0) / kRate, 2 / kRate);

  std::unique_ptr<Measurement> unguarded = Make();
  FeedTrace(*unguarded, trace);
  unguarded->Finish();
  EXPECT_GT(unguarded->baseline().power_w, 1.01e-3 * kVolts) << "the settling tail leaks in";
}

TEST(MeasureEngine, BlocksOutOfOrderAreAnError) {
  std::unique_ptr<Measurement> m = Make();
  SampleBlock block;
  block.voltage_v = kVolts;
  block.first_index = 100;
  block.current_a.assign(10, 1e-3);
  ASSERT_TRUE(m->Feed(block).ok());
  block.first_index = 105;
  const Status status = m->Feed(block);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kInfrastructure);
}

TEST(MeasureEngine, WithoutAnyVoltageTheUserIsAskedForTheSupply) {
  std::unique_ptr<Measurement> m = Make();
  SampleBlock block;
  block.current_a.assign(10, 1e-3);
  const Status status = m->Feed(block);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kConfiguration);
}

TEST(MeasureEngine, BadOptionsAreConfigurationErrors) {
  MeasureOptions options;
  EXPECT_FALSE(Measurement::Create(options).ok()) << "no sample rate";
  options.sample_rate_hz = kRate;
  options.triggers[0].line = 9;
  const auto made = Measurement::Create(options);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(made.error().message().find("logic input 9"), std::string::npos);
}

}  // namespace
}  // namespace hil::measure
