// The measurement engine on the virtual bench: the real harness in QEMU,
// the virtual PPK2 or LPM01A on a socket, the real host driver, and the
// engine turning the stream into windows. The figures must match the
// emulator's ground truth and the firmware's own timer.
#include <gtest/gtest.h>

#include <thread>

#include "hil/measure/measurement.h"
#include "hil/measure/summary.h"
#include "hil/measure/verification.h"
#include "probes/lpm01a/lpm01a_probe.h"
#include "probes/ppk2/ppk2_probe.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using std::chrono::milliseconds;

class MeasureVirtualTest : public ::testing::Test {
 protected:
  void TearDown() override {
    probe_.reset();
    if (dut_.machine != nullptr) dut_.machine->Stop();
  }

  void Boot(const std::string& probe_kind, const std::string& workload) {
    VirtualDutOptions options;
    options.energy.profile = "mps2-an386";
    options.energy.truth_path = scratch_.File("truth.jsonl");
    options.energy.probe_kind = probe_kind;
    options.energy.probe_socket = scratch_.File("probe.sock");
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", workload), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
  }

  void Start(std::unique_ptr<PowerProbe> probe) {
    probe_ = std::move(probe);
    Status opened = probe_->Open();
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    Status started = probe_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
  }

  // Feeds the engine from the probe on a thread of its own while the DUT
  // runs, as the executor will; returns the run's firmware report.
  dut::InferenceRun RunMeasured(measure::Measurement& measurement, uint32_t inferences) {
    Status fed = OkStatus();
    std::thread consumer([&] {
      for (;;) {
        SampleBlock block;
        Result<PowerProbe::Poll> poll = probe_->Next(block, milliseconds(200));
        if (!poll.ok()) {
          fed = poll.error();
          return;
        }
        if (*poll == PowerProbe::Poll::kEnd) return;
        if (*poll == PowerProbe::Poll::kBlock) {
          Status status = measurement.Feed(block);
          if (!status.ok()) fed = status;
        }
      }
    });
    EXPECT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
    Result<dut::InferenceRun> run = dut_.link->Infer(inferences, 1, milliseconds(60000));
    EXPECT_TRUE(run.ok()) << run.error().ToString();
    EXPECT_TRUE(dut_.link->Name().ok());  // the stream passes the last edge
    EXPECT_TRUE(probe_->Stop().ok());
    consumer.join();
    EXPECT_TRUE(fed.ok()) << fed.error().ToString();
    measurement.Finish();
    return run.ok() ? *run : dut::InferenceRun{};
  }

  std::vector<measure::TruthWindow> Truth() {
    dut_.machine->Stop();  // the plugin has written every record
    Result<std::vector<measure::TruthWindow>> truth =
        measure::ReadGroundTruth(scratch_.File("truth.jsonl"));
    EXPECT_TRUE(truth.ok()) << truth.error().ToString();
    return truth.ok() ? *truth : std::vector<measure::TruthWindow>{};
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
  std::unique_ptr<PowerProbe> probe_;
};

TEST_F(MeasureVirtualTest, Ppk2InferenceWindowsMatchGroundTruthAndTheFirmwareTimer) {
  Boot("ppk2", "mb-conv3x3");
  ppk2::Ppk2Options probe_options;
  probe_options.uri = "unix:" + scratch_.File("probe.sock");
  Start(std::make_unique<ppk2::Ppk2Probe>(probe_options));
  measure::MeasureOptions options;
  options.sample_rate_hz = probe_->info().sample_rate_hz;
  options.guard_s = 100e-6;
  auto made = measure::Measurement::Create(options);
  ASSERT_TRUE(made.ok());
  measure::Measurement& measurement = **made;
  const uint32_t inferences = 5;
  const dut::InferenceRun run = RunMeasured(measurement, inferences);
  const std::vector<measure::TruthWindow> truth = Truth();

  std::vector<measure::Window>& windows = measurement.windows();
  ASSERT_EQ(windows.size(), inferences) << "warm-ups drive no pin, measured inferences do";
  measure::TruthCheckOptions truth_options;
  truth_options.sample_rate_hz = options.sample_rate_hz;
  const measure::TruthCheck check = measure::CompareWithGroundTruth(windows, truth, truth_options);
  EXPECT_TRUE(check.problems.empty()) << check.problems[0];
  EXPECT_EQ(check.compared, inferences);
  measure::CrossCheckOptions timer_options;
  timer_options.sample_rate_hz = options.sample_rate_hz;
  const std::vector<double> firmware_us(run.inference_us.begin(), run.inference_us.end());
  const measure::LatencyCrossCheck timer =
      measure::CrossCheckLatency(windows, firmware_us, timer_options);
  EXPECT_TRUE(timer.problems.empty()) << timer.problems[0];
  for (const measure::Window& window : windows) {
    EXPECT_TRUE(window.valid()) << window.index << ": " << window.problems[0];
  }
  // Layers: as many as the model's, each within a sample of its truth.
  for (size_t k = 0; k < windows.size(); ++k) {
    ASSERT_EQ(windows[k].layers.size(), truth[k].layers.size());
    for (size_t l = 0; l < truth[k].layers.size(); ++l) {
      EXPECT_NEAR(windows[k].layers[l].duration_s, truth[k].layers[l].duration_s,
                  1 / options.sample_rate_hz)
          << "window " << k << " layer " << l;
    }
  }
  const measure::CaseFigures figures =
      measure::Summarize(windows, measurement.baseline(), measure::SummaryOptions{});
  EXPECT_EQ(figures.used, inferences);
  EXPECT_TRUE(figures.baseline.available()) << "idle time between inferences";
  std::printf(
      "PPK2: %zu windows, latency %.1f us (truth %.1f us, worst %.4f %%), energy %.3f uJ "
      "(truth %.3f uJ, worst %.4f %%), firmware timer worst %.3f %%, baseline %.3f mW\n",
      figures.used, figures.latency_us.mean, check.mean_latency_s * 1e6,
      check.max_latency_error_pct, figures.energy_uj.mean, check.mean_energy_j * 1e6,
      check.max_energy_error_pct, timer.max_error_pct, figures.baseline.power_w * 1e3);
}

TEST_F(MeasureVirtualTest, Lpm01aTimestampWindowsFromD7EventsMatchGroundTruth) {
  Boot("lpm01a", "mb-conv3x3");
  lpm01a::Lpm01aOptions probe_options;
  probe_options.uri = "unix:" + scratch_.File("probe.sock");
  Start(std::make_unique<lpm01a::Lpm01aProbe>(probe_options));
  ASSERT_TRUE(dut_.link->SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
  measure::MeasureOptions options;
  options.sample_rate_hz = probe_->info().sample_rate_hz;
  options.triggers[0].source = options.triggers[1].source = measure::EdgeSource::kNone;
  options.triggers[2] = measure::TriggerWiring{measure::EdgeSource::kEvents, 7, 0};
  auto made = measure::Measurement::Create(options);
  ASSERT_TRUE(made.ok());
  measure::Measurement& measurement = **made;
  const uint32_t inferences = 4;
  RunMeasured(measurement, inferences);
  const std::vector<measure::TruthWindow> truth = Truth();

  std::vector<measure::Window>& windows = measurement.windows();
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].kind, measure::WindowKind::kTimestamp);
  measure::TruthCheckOptions truth_options;
  truth_options.sample_rate_hz = options.sample_rate_hz;
  const measure::TruthCheck check = measure::CompareWithGroundTruth(windows, truth, truth_options);
  EXPECT_TRUE(check.problems.empty()) << check.problems[0];
  EXPECT_TRUE(windows[0].valid()) << windows[0].problems[0];
  measure::SummaryOptions summary;
  summary.kind = measure::WindowKind::kTimestamp;
  summary.inferences_per_window = inferences;
  const measure::CaseFigures figures = measure::Summarize(windows, measurement.baseline(), summary);
  EXPECT_NEAR(figures.latency_us.mean, truth[0].duration_s / inferences * 1e6,
              1e6 / options.sample_rate_hz);
  std::printf("LPM01A: per inference %.1f us, %.3f uJ (truth %.3f uJ, %.4f %% off)\n",
              figures.latency_us.mean, figures.energy_uj.mean, truth[0].energy_j / inferences * 1e6,
              check.max_energy_error_pct);
}

}  // namespace
}  // namespace hil::testing
