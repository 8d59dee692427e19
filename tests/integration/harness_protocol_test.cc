// The DUT harness on each emulated board answers the whole MLPerf Tiny
// protocol, driven by the host's real DutLink over QEMU's UART socket.
#include <gtest/gtest.h>

#include <algorithm>

#include "virtual_bench.h"

namespace hil::testing {
namespace {

using std::chrono::milliseconds;

class HarnessProtocolTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    Result<const BoardSpec*> board = FindBoard(GetParam());
    ASSERT_TRUE(board.ok());
    Result<VirtualDut> dut = BootVirtualDut(**board, BuiltImage(GetParam(), "mb-conv3x3"));
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
    ASSERT_EQ(dut_.timestamp_mode, "performance");
  }

  dut::DutLink& link() { return *dut_.link; }

  VirtualDut dut_;
};

TEST_P(HarnessProtocolTest, AnswersNameAndProfile) {
  Result<std::string> name = link().Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, std::string("hil-") + GetParam());

  Result<dut::Profile> profile = link().GetProfile();
  ASSERT_TRUE(profile.ok()) << profile.error().ToString();
  EXPECT_EQ(profile->profile, "ulp-mlperf");
  EXPECT_EQ(profile->model, "mb-conv3x3");
}

TEST_P(HarnessProtocolTest, ReportsItsBoardAndLayers) {
  Result<dut::HarnessInfo> info = link().Info();
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  const BoardSpec* board = *FindBoard(GetParam());
  EXPECT_EQ(info->board, GetParam());
  EXPECT_EQ(info->core, board->core);
  EXPECT_EQ(info->clock_hz, board->clock_hz);
  EXPECT_EQ(info->kernels, "reference");
  EXPECT_NE(info->build_flags.find("-mcpu=" + std::string(board->core)), std::string::npos);

  Result<std::vector<dut::Layer>> layers = link().Layers();
  ASSERT_TRUE(layers.ok()) << layers.error().ToString();
  ASSERT_EQ(layers->size(), 3u);
  for (const dut::Layer& layer : *layers) {
    EXPECT_EQ(layer.op, "conv_2d_3x3");
    // 8 x 8 pixels, 8 in and 8 out channels, 3 x 3 taps.
    EXPECT_EQ(layer.macs, 8u * 8u * 8u * 8u * 9u);
  }
}

TEST_P(HarnessProtocolTest, RoundTripsA490ByteTensorThroughTheBuffer) {
  std::vector<uint8_t> tensor = KwsTensor();
  ASSERT_EQ(tensor.size(), 490u);
  Status loaded = link().LoadBuffer(tensor);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  Result<std::vector<uint8_t>> echoed = link().PrintBuffer();
  ASSERT_TRUE(echoed.ok()) << echoed.error().ToString();
  EXPECT_EQ(*echoed, tensor);
}

TEST_P(HarnessProtocolTest, InferPrintsEveryMarkerInOrder) {
  ASSERT_TRUE(link().LoadBuffer(KwsTensor()).ok());
  Result<dut::Reply> reply = link().Command("infer 5 2", milliseconds(60000));
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_FALSE(reply->rejected());

  // The exact line sequence: markers, the two laps, the per-inference
  // times (all five fit on one line), done, results.
  const std::vector<std::string>& lines = reply->lines;
  ASSERT_EQ(lines.size(), 8u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "m-warmup-start-2");
  EXPECT_EQ(lines[1], "m-warmup-done");
  EXPECT_EQ(lines[2], "m-infer-start-5");
  EXPECT_EQ(lines[3].rfind("m-lap-us-", 0), 0u);
  EXPECT_EQ(lines[4].rfind("m-lap-us-", 0), 0u);
  EXPECT_EQ(lines[5].rfind("m-hil-inference-us-[", 0), 0u);
  EXPECT_EQ(lines[6], "m-infer-done");
  EXPECT_EQ(lines[7].rfind("m-results-[", 0), 0u);

  Result<dut::InferenceRun> run = dut::ParseInference(*reply, 5, 2);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  ASSERT_EQ(run->inference_us.size(), 5u);
  // Under -icount every inference of the same input takes the same virtual
  // time, to within one microsecond of timer rounding.
  auto [shortest, longest] =
      std::minmax_element(run->inference_us.begin(), run->inference_us.end());
  EXPECT_GT(*shortest, 0u);
  EXPECT_LE(*longest - *shortest, 1u);
  // The window covers the five inferences and little else.
  uint64_t window = *run->lap_end_us - *run->lap_start_us;
  uint64_t sum = 0;
  for (uint32_t us : run->inference_us) sum += us;
  EXPECT_GE(window + 5, sum);
  EXPECT_LT(window, sum + sum / 100 + 10);
  EXPECT_EQ(run->results.size(), 10u);

  // results% repeats the outputs of the last inference.
  Result<std::vector<float>> again = link().Results();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, run->results);
}

TEST_P(HarnessProtocolTest, SameInputGivesSameOutputsAndDifferentInputDoesNot) {
  std::vector<uint8_t> tensor = KwsTensor();
  ASSERT_TRUE(link().LoadBuffer(tensor).ok());
  Result<dut::InferenceRun> first = link().Infer(1, 0, milliseconds(30000));
  Result<dut::InferenceRun> second = link().Infer(1, 0, milliseconds(30000));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->results, second->results);

  for (uint8_t& byte : tensor) byte = static_cast<uint8_t>(byte ^ 0x5a);
  ASSERT_TRUE(link().LoadBuffer(tensor).ok());
  Result<dut::InferenceRun> other = link().Infer(1, 0, milliseconds(30000));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->results, first->results);
}

TEST_P(HarnessProtocolTest, UnknownCommandIsRejectedAndTheHarnessStillAnswers) {
  Result<dut::Reply> reply = link().Command("frobnicate 1 2");
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_EQ(reply->errors.size(), 1u);
  EXPECT_EQ(reply->errors[0], "unknown command: frobnicate");

  Result<dut::Reply> bad_load = link().Command("db load 99999999");
  ASSERT_TRUE(bad_load.ok());
  EXPECT_TRUE(bad_load->rejected());

  // The host refuses to send what the protocol forbids.
  Result<dut::Reply> overlong = link().Command(std::string(80, 'x'));
  ASSERT_FALSE(overlong.ok());
  EXPECT_EQ(overlong.error().kind(), ErrorKind::kConfiguration);

  Result<std::string> name = link().Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, std::string("hil-") + GetParam());
}

TEST_P(HarnessProtocolTest, TimestampWindowStyleSwitchesAtRunTime) {
  ASSERT_TRUE(link().SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
  Result<dut::HarnessInfo> info = link().Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->window_style, "timestamp");
  Result<dut::InferenceRun> run = link().Infer(2, 0, milliseconds(30000));
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  // Timestamp windows carry no per-inference pins and so no per-inference times.
  EXPECT_TRUE(run->inference_us.empty());
  EXPECT_TRUE(run->lap_start_us.has_value());
  ASSERT_TRUE(link().SetWindowStyle(dut::WindowStyle::kPerInference).ok());
}

INSTANTIATE_TEST_SUITE_P(QemuBoards, HarnessProtocolTest, ::testing::ValuesIn(kQemuBoards),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace hil::testing
