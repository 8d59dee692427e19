// The acquisition thread and bounded queue every probe driver shares:
// overflow is counted and becomes an exact gap; failures come after the
// blocks decoded before them.
#include "hil/streaming_probe.h"

#include <gtest/gtest.h>

#include <atomic>

namespace hil {
namespace {

using std::chrono::milliseconds;

// A driver whose "device" publishes a fixed number of 10-sample blocks, then
// ends by itself or fails.
class ScriptedProbe final : public StreamingProbe {
 public:
  ScriptedProbe(size_t queue_blocks, int blocks, bool fail)
      : StreamingProbe(queue_blocks), blocks_(blocks), fail_(fail) {
    info_.kind = "scripted";
    info_.uri = "test:";
  }
  ~ScriptedProbe() override { (void)Stop(); }

  Status Open() override { return OkStatus(); }
  Status SetDutPower(bool) override { return ConfigurationError("no power switch"); }
  const ProbeInfo& info() const override { return info_; }
  std::atomic<bool> end_requested{false};

 private:
  Status BeginStream() override { return OkStatus(); }
  Status RequestEnd() override {
    end_requested = true;
    return OkStatus();
  }
  Status Acquire() override {
    for (int k = 0; k < blocks_; ++k) {
      SampleBlock block;
      block.first_index = 10 * static_cast<uint64_t>(k);
      block.current_a.assign(10, k);
      Publish(std::move(block));
    }
    if (fail_) return InfrastructureError("device unplugged");
    return OkStatus();
  }

  ProbeInfo info_;
  int blocks_;
  bool fail_;
};

TEST(StreamingProbeTest, AFullQueueCountsOverflowAndLeavesAnExactGap) {
  ScriptedProbe probe(/*queue_blocks=*/3, /*blocks=*/10, /*fail=*/false);
  ASSERT_TRUE(probe.Start().ok());
  // The consumer sleeps while the device produces ten blocks.
  std::this_thread::sleep_for(milliseconds(100));
  std::vector<SampleBlock> taken;
  for (;;) {
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, milliseconds(1000));
    ASSERT_TRUE(poll.ok());
    if (*poll == PowerProbe::Poll::kEnd) break;
    taken.push_back(std::move(block));
  }
  // Three fit; the other seven were dropped and counted, and the stream
  // ends with an empty block that carries the gap.
  ASSERT_EQ(taken.size(), 4u);
  EXPECT_EQ(taken[2].first_index, 20u);
  EXPECT_EQ(taken[3].size(), 0u);
  EXPECT_EQ(taken[3].lost_before, 70u);
  EXPECT_EQ(probe.stats().overflow_samples, 70u);
  EXPECT_EQ(probe.stats().samples, 100u);
  EXPECT_EQ(probe.stats().lost_samples, 0u);  // the device lost nothing
}

TEST(StreamingProbeTest, TheBlockAfterAnOverflowCarriesTheGap) {
  ScriptedProbe probe(2, 6, false);
  ASSERT_TRUE(probe.Start().ok());
  std::this_thread::sleep_for(milliseconds(50));
  SampleBlock block;
  ASSERT_EQ(*probe.Next(block, milliseconds(100)), PowerProbe::Poll::kBlock);
  EXPECT_EQ(block.first_index, 0u);
  ASSERT_EQ(*probe.Next(block, milliseconds(100)), PowerProbe::Poll::kBlock);
  EXPECT_EQ(block.first_index, 10u);
  ASSERT_EQ(*probe.Next(block, milliseconds(100)), PowerProbe::Poll::kBlock);
  EXPECT_EQ(block.lost_before, 40u);
  EXPECT_EQ(*probe.Next(block, milliseconds(100)), PowerProbe::Poll::kEnd);
  EXPECT_EQ(probe.stats().overflow_samples, 40u);
}

TEST(StreamingProbeTest, AFailureComesAfterEveryBlockDecodedBeforeIt) {
  ScriptedProbe probe(16, 4, true);
  ASSERT_TRUE(probe.Start().ok());
  int blocks = 0;
  for (;;) {
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, milliseconds(1000));
    if (!poll.ok()) {
      EXPECT_EQ(poll.error().kind(), ErrorKind::kInfrastructure);
      EXPECT_EQ(poll.error().message(), "scripted probe at test:: device unplugged");
      break;
    }
    ASSERT_EQ(*poll, PowerProbe::Poll::kBlock);
    ++blocks;
  }
  EXPECT_EQ(blocks, 4);
  // The device is gone: Stop does not ask it for anything.
  EXPECT_TRUE(probe.Stop().ok());
  EXPECT_FALSE(probe.end_requested);
}

TEST(StreamingProbeTest, StartingTwiceIsRefused) {
  ScriptedProbe probe(4, 1, false);
  ASSERT_TRUE(probe.Start().ok());
  const Status again = probe.Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace hil
