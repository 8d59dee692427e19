// The LPM01A host driver against the virtual LPM01A over a socket: command
// and ack, ASCII and binary streams against the model's per-sample current,
// D7 events, refusals, loss, stray bytes and a connection that closes.
#include <gtest/gtest.h>

#include <cmath>

#include "probe_capture.h"
#include "probes/lpm01a/codec.h"
#include "probes/lpm01a/lpm01a_probe.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using std::chrono::milliseconds;

class Lpm01aDriverTest : public ::testing::Test {
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
    options.energy.probe_kind = "lpm01a";
    options.energy.probe_socket = scratch_.File("lpm.sock");
    knobs["samples"] = scratch_.File("modelled.f64");
    options.energy.probe_faults = std::move(knobs);
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
  }

  lpm01a::Lpm01aOptions Options() {
    lpm01a::Lpm01aOptions options;
    options.uri = "unix:" + scratch_.File("lpm.sock");
    return options;
  }

  void OpenAndStart(lpm01a::Lpm01aOptions options) {
    probe_ = std::make_unique<lpm01a::Lpm01aProbe>(std::move(options));
    Status opened = probe_->Open();
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    Status started = probe_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
  }

  Capture RunAndStop(int inferences) {
    EXPECT_TRUE(dut_.link->SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
    EXPECT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
    EXPECT_TRUE(dut_.link->Infer(inferences, 0, milliseconds(30000)).ok());
    EXPECT_TRUE(dut_.link->Name().ok());
    Status stopped = probe_->Stop();
    EXPECT_TRUE(stopped.ok()) << stopped.error().ToString();
    return Drain(*probe_, milliseconds(10000));
  }

  // Each received sample is within one step of its format's resolution of
  // the modelled current: the 4th significant digit (ASCII) or one
  // mantissa step at the value's exponent (binary).
  void ExpectWithinOneLsb(const Capture& capture, bool binary) {
    const std::vector<double> modelled = ReadModelledAmps(scratch_.File("modelled.f64"));
    ASSERT_GE(modelled.size(), capture.amps.size());
    size_t checked = 0;
    double worst = 0;
    for (size_t i = 0; i < capture.amps.size(); ++i) {
      if (std::isnan(capture.amps[i]) || modelled[i] <= 0) continue;
      double lsb;
      if (binary) {
        lsb = std::pow(16.0, -(lpm01a::EncodeBinaryCurrent(modelled[i]) >> 12));
      } else {
        lsb = std::pow(10.0, std::floor(std::log10(modelled[i])) - 3);
      }
      worst = std::max(worst, std::abs(capture.amps[i] - modelled[i]) / lsb);
      ++checked;
    }
    EXPECT_LE(worst, 1.0);
    EXPECT_GT(checked, 500u);
    std::printf("%zu samples checked, worst %.3f LSB\n", checked, worst);
  }

  nlohmann::json Summary() {
    dut_.machine->Stop();
    return nlohmann::json::parse(std::ifstream(scratch_ / "summary.json"));
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
  std::unique_ptr<lpm01a::Lpm01aProbe> probe_;
};

TEST_F(Lpm01aDriverTest, AsciiStreamMatchesTheModelAndCarriesD7Edges) {
  Boot();
  OpenAndStart(Options());
  EXPECT_NE(probe_->info().model.find("hil-virtual-lpm01a"), std::string::npos);
  const Capture capture = RunAndStop(10);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  const ProbeStats stats = probe_->stats();
  EXPECT_EQ(stats.lost_samples, 0u);
  EXPECT_EQ(stats.garbage_bytes, 0u);
  EXPECT_EQ(capture.received, ReadModelledAmps(scratch_.File("modelled.f64")).size());
  // The timestamp window opens and closes with a falling edge on D7.
  size_t falls = 0;
  for (const LogicEvent& event : capture.events) {
    EXPECT_EQ(event.line, 7);
    if (!event.rising) ++falls;
  }
  EXPECT_GE(falls, 2u);
  EXPECT_EQ(ReadJsonLines(scratch_ / "truth.jsonl").size(), 1u);
  ExpectWithinOneLsb(capture, false);
}

TEST_F(Lpm01aDriverTest, BinaryStreamAt100kHzMatchesTheModel) {
  Boot();
  lpm01a::Lpm01aOptions options = Options();
  options.format = lpm01a::StreamFormat::kBinary;
  options.rate_hz = 100'000;
  OpenAndStart(options);
  const Capture capture = RunAndStop(3);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  EXPECT_EQ(probe_->stats().lost_samples, 0u);
  EXPECT_EQ(probe_->stats().garbage_bytes, 0u);
  ExpectWithinOneLsb(capture, true);
}

TEST_F(Lpm01aDriverTest, ASettingTheDeviceRefusesIsAConfigurationErrorWithItsDetail) {
  Boot();
  lpm01a::Lpm01aOptions options = Options();
  options.rate_hz = 3;  // not one of the device's rates
  lpm01a::Lpm01aProbe probe(options);
  const Status opened = probe.Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(opened.error().message().find("command 'freq 3' refused: freq takes"),
            std::string::npos)
      << opened.error().message();
}

TEST_F(Lpm01aDriverTest, AsciiLossIsCountedOncePerSecond) {
  Boot({{"drop_every", "777"}});
  OpenAndStart(Options());
  const Capture capture = RunAndStop(40);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  const nlohmann::json summary = Summary();
  const uint64_t total = summary["probe_samples_sent"].get<uint64_t>() +
                         summary["probe_samples_dropped"].get<uint64_t>();
  // Seconds closed by a TimeStamp line are checked; the last partial second
  // cannot be. Samples 776, 1553, ... were left out.
  const uint64_t checked_until = total / 5000 * 5000;
  ASSERT_GE(checked_until, 5000u) << "the run must last more than a second of virtual time";
  EXPECT_EQ(probe_->stats().lost_samples, checked_until / 777);
  EXPECT_EQ(capture.lost_inside, checked_until / 777);
}

TEST_F(Lpm01aDriverTest, AsciiStrayBytesAreSkippedAndCounted) {
  Boot({{"garbage_every", "100"}});
  OpenAndStart(Options());
  const Capture capture = RunAndStop(5);
  ASSERT_FALSE(capture.error) << capture.error->ToString();
  const nlohmann::json summary = Summary();
  EXPECT_EQ(probe_->stats().garbage_bytes, summary["probe_garbage_bytes"].get<uint64_t>());
  EXPECT_GT(probe_->stats().garbage_bytes, 2u);
  EXPECT_EQ(probe_->stats().lost_samples, 0u);
  ExpectWithinOneLsb(capture, false);
}

TEST_F(Lpm01aDriverTest, ASocketClosedMidCaptureIsAnInfrastructureErrorThatKeepsTheSamples) {
  Boot({{"close_after", "3000"}});
  OpenAndStart(Options());
  EXPECT_TRUE(dut_.link->LoadBuffer(KwsTensor()).ok());
  EXPECT_TRUE(dut_.link->Infer(20, 0, milliseconds(30000)).ok());
  const Capture capture = Drain(*probe_, milliseconds(10000));
  ASSERT_TRUE(capture.error.has_value());
  EXPECT_EQ(capture.error->kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(capture.error->message().find("lpm01a probe at unix:"), std::string::npos)
      << capture.error->message();
  EXPECT_EQ(capture.received, 3000u);
}

}  // namespace
}  // namespace hil::testing
