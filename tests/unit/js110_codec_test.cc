// The JS110's stream decoder against frames built by hand: the packet index
// says what was lost, and a repeated frame is not 65,535 lost ones.
#include <gtest/gtest.h>

#include <vector>

#include "probes/js110/codec.h"

namespace hil::js110 {
namespace {

// One stream frame: length 512 at offset 2, the packet index at 4, then
// 126 sample words, none of them "missing".
std::vector<uint8_t> FrameWithIndex(uint16_t packet) {
  std::vector<uint8_t> frame(kFrameBytes, 0);
  frame[2] = kFrameBytes & 0xFF, frame[3] = kFrameBytes >> 8;
  frame[4] = packet & 0xFF, frame[5] = packet >> 8;
  for (size_t k = 0; k < kSamplesPerFrame; ++k) {
    frame[kFrameHeaderBytes + 4 * k] = 0x10;
    frame[kFrameHeaderBytes + 4 * k + 2] = 0x20;
  }
  return frame;
}

struct Counted {
  uint64_t samples = 0, lost = 0, repeated = 0;
};

Counted Decode(const std::vector<uint16_t>& packets) {
  StreamDecoder decoder(Calibration{}, 0);
  std::vector<SampleBlock> blocks;
  for (uint16_t packet : packets) decoder.Feed(FrameWithIndex(packet), blocks);
  decoder.Flush(blocks);
  Counted counted;
  for (const SampleBlock& block : blocks) counted.samples += block.size();
  counted.lost = decoder.lost_samples();
  counted.repeated = decoder.repeated_frames();
  return counted;
}

TEST(Js110StreamDecoderTest, ASkippedPacketIsItsFrameOfLostSamples) {
  const Counted counted = Decode({7, 8, 10});
  EXPECT_EQ(counted.samples, 3 * kSamplesPerFrame);
  EXPECT_EQ(counted.lost, kSamplesPerFrame);
  EXPECT_EQ(counted.repeated, 0u);
}

TEST(Js110StreamDecoderTest, TheIndexWrapsWithoutLoss) {
  const Counted counted = Decode({65534, 65535, 0, 1});
  EXPECT_EQ(counted.samples, 4 * kSamplesPerFrame);
  EXPECT_EQ(counted.lost, 0u);
}

// The review's case: a duplicated packet counted as 65,535 lost frames.
TEST(Js110StreamDecoderTest, ARepeatedOrLatePacketIsDroppedNotAWrapOfLoss) {
  const Counted counted = Decode({7, 8, 8, 9, 5, 10});
  EXPECT_EQ(counted.samples, 4 * kSamplesPerFrame);
  EXPECT_EQ(counted.lost, 0u);
  EXPECT_EQ(counted.repeated, 2u);
}

}  // namespace
}  // namespace hil::js110
