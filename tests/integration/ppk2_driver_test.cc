// The PPK2 host driver against the virtual PPK2 over a socket: the vendor's
// open sequence, streaming, stop; every decoded sample against the model's
// current at the probe; faults; and replay of a raw recording.
#include <gtest/gtest.h>

#include <thread>

#include "probe_capture.h"
#include "probes/ppk2/ppk2_probe.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using std::chrono::milliseconds;

class Ppk2DriverTest : public ::testing::Test {
 protected:
  void TearDown() override {
    probe_.reset();
    if (dut_.machine != nullptr) dut_.machine->Stop();
  }

  void Boot(std::map<std::string, std::string> knobs = {}) {
    VirtualDutOptions options;
    options.energy.profile = "mps2-an386";
    options.energy.truth_path = scratch_.File("truth.jsonl");
    options.energy.summary_path = scratch_.File("summary.json");
    options.energy.probe_socket = scratch_.File("ppk2.sock");
    knobs["samples"] = scratch_.File("modelled.f64");
    options.energy.probe_faults = std::move(knobs);
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
  }

  ppk2::Ppk2Options Options() {
    ppk2::Ppk2Options options;
    options.uri = "unix:" + scratch_.File("ppk2.sock");
    return options;
  }

  void OpenAndStart(ppk2::Ppk2Options options) {
    probe_ = std::make_unique<ppk2::Ppk2Probe>(std::move(options));
    Status opened = probe_->Open();
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    Status started = probe_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
  }

  // Runs inferences, stops the stream, and takes every block.
  Capture RunAndStop(int inferences) {
    EXPECT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
    EXPECT_TRUE(dut_.link->Infer(inferences, 0, milliseconds(30000)).ok());
    EXPECT_TRUE(dut_.link->Name().ok());  // the stream passes the last edge
    Status stopped = probe_->Stop();
    EXPECT_TRUE(stopped.ok()) << stopped.error().ToString();
    return Drain(*probe_, milliseconds(10000));
  }

  // Every received sample is within one ADC step of the modelled current.
  void ExpectWithinOneLsb(const Capture& capture, double vdd) {
    const std::vector<double> modelled = ReadModelledAmps(scratch_.File("modelled.f64"));
    ASSERT_GE(modelled.size(), capture.amps.size());
    const ppk2::Calibration& calibration = probe_->metadata().calibration;
    size_t checked = 0, worst_at = 0;
    double worst_lsb = 0;
    for (size_t i = 0; i < capture.amps.size(); ++i) {
      if (std::isnan(capture.amps[i])) continue;
      const ppk2::Sample nearest = ppk2::AmpsToSample(modelled[i], calibration, vdd);
      const double lsb = ppk2::AmpsPerStep(nearest.adc, nearest.range, calibration, vdd);
      const double error_lsb = std::abs(capture.amps[i] - modelled[i]) / lsb;
      if (error_lsb > worst_lsb) worst_lsb = error_lsb, worst_at = i;
      ++checked;
    }
    EXPECT_LE(worst_lsb, 1.0) << "sample " << worst_at << ": decoded " << capture.amps[worst_at]
                              << " A, modelled " << modelled[worst_at];
    EXPECT_GT(checked, 1000u);
    std::printf("%zu samples checked, worst %.3f LSB\n", checked, worst_lsb);
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
  std::unique_ptr<ppk2::Ppk2Probe> probe_;
};

TEST_F(Ppk2DriverTest, OpensStreamsAndStopsWithEverySampleWithinOneLsbOfTheModel) {
  Boot();
  OpenAndStart(Options());
  EXPECT_EQ(probe_->metadata().calibration.r[0], 1003.35);  // the real unit's block
  EXPECT_EQ(probe_->metadata().calibration.gs[1], 112.789);
  EXPECT_DOUBLE_EQ(probe_->info().supply_v, 3.3);  // the metadata's VDD
  const Capture capture = RunAndStop(3);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  const std::vector<double> modelled = ReadModelledAmps(scratch_.File("modelled.f64"));
  EXPECT_EQ(capture.received, modelled.size());  // nothing left behind at stop
  const ProbeStats stats = probe_->stats();
  EXPECT_EQ(stats.lost_samples, 0u);
  EXPECT_EQ(stats.garbage_bytes, 0u);
  EXPECT_EQ(stats.overflow_samples, 0u);
  EXPECT_EQ(stats.samples, capture.received);
  // D0 is the inference pin: one window per inference.
  EXPECT_EQ(RisingEdges(capture.logic, 0), ReadJsonLines(scratch_ / "truth.jsonl").size());
  ExpectWithinOneLsb(capture, 3.3);
}

TEST_F(Ppk2DriverTest, SourceMeterModeSuppliesTheDutAtTheConfiguredVoltage) {
  Boot();
  ppk2::Ppk2Options options = Options();
  options.mode = ppk2::PowerMode::kSourceMeter;
  options.supply_mv = 1800;
  OpenAndStart(options);
  EXPECT_DOUBLE_EQ(probe_->info().supply_v, 1.8);
  const Capture capture = RunAndStop(1);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  // At 1.8 V the same power is drawn as a larger current.
  ExpectWithinOneLsb(capture, 1.8);
}

TEST_F(Ppk2DriverTest, DroppedSamplesAreCountedExactlyAndLeaveGapsOnTheTimeline) {
  Boot({{"drop_every", "100"}});
  OpenAndStart(Options());
  const Capture capture = RunAndStop(2);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  dut_.machine->Stop();
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(scratch_ / "summary.json"));
  const uint64_t dropped = summary["probe_samples_dropped"];
  const uint64_t sent = summary["probe_samples_sent"];
  // Only a later word shows a gap: a drop of the very last sample is unseen.
  const bool last_dropped = (sent + dropped) % 100 == 0;
  EXPECT_EQ(probe_->stats().lost_samples, dropped - (last_dropped ? 1 : 0));
  EXPECT_EQ(capture.received, sent);
  // Every 100th sample (index 99, 199, ...) is a hole; the others decode.
  for (size_t i = 0; i + 1 < capture.amps.size(); ++i) {
    ASSERT_EQ(std::isnan(capture.amps[i]), (i + 1) % 100 == 0) << "sample " << i;
  }
  ExpectWithinOneLsb(capture, 3.3);
}

TEST_F(Ppk2DriverTest, StrayBytesAreSkippedAndCountedWithoutLosingSamples) {
  Boot({{"garbage_every", "1000"}});
  OpenAndStart(Options());
  const Capture capture = RunAndStop(2);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  dut_.machine->Stop();
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(scratch_ / "summary.json"));
  EXPECT_EQ(probe_->stats().garbage_bytes, summary["probe_garbage_bytes"].get<uint64_t>());
  EXPECT_GT(probe_->stats().garbage_bytes, 5u);
  EXPECT_EQ(probe_->stats().lost_samples, 0u);
  ExpectWithinOneLsb(capture, 3.3);
}

TEST_F(Ppk2DriverTest, ASocketClosedMidCaptureIsAnInfrastructureErrorThatKeepsTheSamples) {
  Boot({{"close_after", "5000"}});
  OpenAndStart(Options());
  EXPECT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
  EXPECT_TRUE(dut_.link->Infer(2, 0, milliseconds(30000)).ok());
  const Capture capture = Drain(*probe_, milliseconds(10000));
  ASSERT_TRUE(capture.error.has_value());
  EXPECT_EQ(capture.error->kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(capture.error->message().find("ppk2 probe at unix:"), std::string::npos)
      << capture.error->message();
  EXPECT_NE(capture.error->message().find("after 5000 samples"), std::string::npos)
      << capture.error->message();
  EXPECT_EQ(capture.received, 5000u);
  EXPECT_TRUE(probe_->Stop().ok());
}

TEST_F(Ppk2DriverTest, ARawRecordingReplaysToTheSameSamples) {
  Boot();
  ppk2::Ppk2Options options = Options();
  options.record_path = scratch_.File("raw.bin");
  OpenAndStart(options);
  const Capture live = RunAndStop(1);
  ASSERT_FALSE(live.error);
  probe_.reset();

  ppk2::Ppk2Options replay;
  replay.uri = "replay:" + scratch_.File("raw.bin");
  OpenAndStart(replay);
  const Capture replayed = Drain(*probe_, milliseconds(10000));
  // A recording ends like a device that went away; everything before it
  // decodes as it did live.
  ASSERT_TRUE(replayed.error.has_value());
  EXPECT_NE(replayed.error->message().find("end of recording"), std::string::npos);
  ASSERT_EQ(replayed.amps.size(), live.amps.size());
  for (size_t i = 0; i < live.amps.size(); ++i) {
    ASSERT_EQ(replayed.amps[i], live.amps[i]) << i;
    ASSERT_EQ(replayed.logic[i], live.logic[i]) << i;
  }
}

TEST_F(Ppk2DriverTest, ASilentDeviceIsAnInfrastructureErrorNotAHang) {
  // A socket that accepts and never answers.
  const std::string path = scratch_.File("silent.sock");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ppk2::Ppk2Options options;
  options.uri = "unix:" + path;
  options.metadata_timeout = milliseconds(200);
  ppk2::Ppk2Probe probe(options);
  const Status opened = probe.Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(opened.error().message().find("did not answer GetMetadata in 3 attempts"),
            std::string::npos)
      << opened.error().message();
  ::close(listener);
}

}  // namespace
}  // namespace hil::testing
