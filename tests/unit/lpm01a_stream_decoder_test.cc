// The LPM01A stream decoder: ASCII lines and binary words, the once-a-second
// check that turns missing samples into counted loss, D7 events, stray
// bytes, and reads split anywhere.
#include <gtest/gtest.h>

#include "probes/lpm01a/codec.h"
#include "probes/lpm01a/stream_decoder.h"

namespace hil::lpm01a {
namespace {

struct Decoded {
  std::vector<SampleBlock> blocks;
  DecoderCounts counts;
  std::vector<double> amps;
  std::vector<uint8_t> logic;
  std::vector<LogicEvent> events;
  std::vector<std::string> messages;
  bool completed = false;
};

Decoded Decode(const std::string& bytes, DecoderOptions options, size_t chunk = 0) {
  StreamDecoder decoder(options);
  Decoded result;
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (chunk == 0) chunk = bytes.size();
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    decoder.Feed({data + at, std::min(chunk, bytes.size() - at)}, result.blocks);
  }
  decoder.Finish(result.blocks);
  result.counts = decoder.counts();
  result.messages = decoder.TakeMessages();
  result.completed = decoder.completed();
  for (const SampleBlock& block : result.blocks) {
    result.amps.insert(result.amps.end(), block.current_a.begin(), block.current_a.end());
    result.logic.insert(result.logic.end(), block.logic.begin(), block.logic.end());
    result.events.insert(result.events.end(), block.events.begin(), block.events.end());
  }
  return result;
}

DecoderOptions Ascii(double rate_hz) {
  DecoderOptions options;
  options.format = StreamFormat::kAscii;
  options.rate_hz = rate_hz;
  options.supply_v = 1.8;
  return options;
}

DecoderOptions Binary(double rate_hz) {
  DecoderOptions options = Ascii(rate_hz);
  options.format = StreamFormat::kBinary;
  return options;
}

// n ASCII samples of 640.9 uA, with a TimeStamp line after every rate of them.
std::string AsciiSeconds(int seconds, int rate, int drop_at = -1) {
  std::string text;
  for (int i = 0; i < seconds * rate; ++i) {
    if (i != drop_at) text += "6409-07\r\n";
    if ((i + 1) % rate == 0) {
      text += "TimeStamp: " + std::to_string((i + 1) / rate) + "s 000ms, buff 00%\r\n";
    }
  }
  return text;
}

TEST(Lpm01aStreamDecoderTest, AsciiSamplesAreCheckedAgainstEachTimestamp) {
  const Decoded decoded = Decode(AsciiSeconds(3, 100), Ascii(100), 7);
  ASSERT_EQ(decoded.amps.size(), 300u);
  EXPECT_DOUBLE_EQ(decoded.amps[0], 640.9e-6);
  EXPECT_EQ(decoded.counts.lost_samples, 0u);
  ASSERT_EQ(decoded.blocks.size(), 3u);  // one per second
  EXPECT_EQ(decoded.blocks[2].first_index, 200u);
  EXPECT_EQ(decoded.blocks[2].voltage_v, 1.8);
}

TEST(Lpm01aStreamDecoderTest, AMissingAsciiSampleIsLossSomewhereInItsSecond) {
  const Decoded decoded = Decode(AsciiSeconds(3, 100, 150), Ascii(100));
  EXPECT_EQ(decoded.counts.lost_samples, 1u);
  ASSERT_EQ(decoded.blocks.size(), 3u);
  EXPECT_EQ(decoded.blocks[1].lost_inside, 1u);
  EXPECT_EQ(decoded.blocks[1].size(), 99u);
  // The timeline after the gap is right again.
  EXPECT_EQ(decoded.blocks[2].first_index, 200u);
}

TEST(Lpm01aStreamDecoderTest, D7EventsBecomeEdgesAndLogicBits) {
  const std::string text =
      "1000-06\r\nevent 1 ris\r\n2000-06\r\n3000-06\r\nevent 2 fal\r\n4000-06\r\n";
  const Decoded decoded = Decode(text, Ascii(1000), 3);
  ASSERT_EQ(decoded.amps.size(), 4u);
  EXPECT_EQ(decoded.logic, (std::vector<uint8_t>{0, 0x80, 0x80, 0}));
  ASSERT_EQ(decoded.events.size(), 2u);
  EXPECT_EQ(decoded.events[0].sample_index, 1u);
  EXPECT_TRUE(decoded.events[0].rising);
  EXPECT_EQ(decoded.events[0].line, kD7Line);
  EXPECT_EQ(decoded.events[1].sample_index, 3u);
  EXPECT_FALSE(decoded.events[1].rising);
}

TEST(Lpm01aStreamDecoderTest, AsciiStrayBytesAreSkippedAndRepliesKeptAsMessages) {
  const std::string text =
      "1000-06\r\n\xA5\xA5"
      "2000-06\r\nPowerShield > ack stop\r\n"
      "Acquisition completed\r\nnonsense\r\n";
  const Decoded decoded = Decode(text, Ascii(1000));
  EXPECT_EQ(decoded.amps.size(), 2u);
  EXPECT_EQ(decoded.counts.garbage_bytes, 2u + 9u);  // two stray bytes, one unknown line
  EXPECT_TRUE(decoded.completed);
  EXPECT_EQ(decoded.messages,
            (std::vector<std::string>{"PowerShield > ack stop", "Acquisition completed"}));
}

// Binary: rate samples a second, each second closed by an F3 frame.
std::string BinarySeconds(int seconds, int rate, int stray_after = -1) {
  std::string bytes;
  for (int i = 0; i < seconds * rate; ++i) {
    const uint16_t word = EncodeBinaryCurrent(1e-3 * (1 + i % 7));
    bytes += static_cast<char>(word >> 8);
    bytes += static_cast<char>(word & 0xFF);
    if (i == stray_after) bytes += '\xA5';
    if ((i + 1) % rate == 0) {
      for (uint8_t byte : TimestampFrame(static_cast<uint32_t>((i + 1) / rate * 1000), 3)) {
        bytes += static_cast<char>(byte);
      }
    }
  }
  return bytes;
}

TEST(Lpm01aStreamDecoderTest, BinaryWordsAndFramesDecodeAcrossAnySplit) {
  const std::string bytes = BinarySeconds(2, 500);
  const Decoded whole = Decode(bytes, Binary(500));
  ASSERT_EQ(whole.amps.size(), 1000u);
  // 4 mA: exponent 4 (a 5th would overflow the 12-bit mantissa), step 16^-4 A.
  EXPECT_NEAR(whole.amps[3], 4e-3, 0.5 / 65536);
  EXPECT_EQ(whole.counts.lost_samples, 0u);
  EXPECT_EQ(whole.counts.garbage_bytes, 0u);
  for (size_t chunk : {1, 2, 3, 5, 9}) {
    const Decoded split = Decode(bytes, Binary(500), chunk);
    EXPECT_EQ(split.amps, whole.amps) << "chunk " << chunk;
    EXPECT_EQ(split.counts.garbage_bytes, 0u);
  }
}

TEST(Lpm01aStreamDecoderTest, ABinaryStrayByteLosesItsWholeSecondNotTheOthers) {
  const Decoded decoded = Decode(BinarySeconds(3, 500, 700), Binary(500), 64);
  EXPECT_EQ(decoded.counts.garbage_bytes, 1u);
  EXPECT_EQ(decoded.counts.lost_samples, 500u);
  EXPECT_EQ(decoded.amps.size(), 1000u);
  ASSERT_EQ(decoded.blocks.size(), 3u);
  EXPECT_EQ(decoded.blocks[1].size(), 0u);
  EXPECT_EQ(decoded.blocks[1].lost_inside, 500u);
  EXPECT_EQ(decoded.blocks[2].first_index, 1000u);
}

TEST(Lpm01aStreamDecoderTest, BinaryEndFrameAndReplyLinesAreNotSamples) {
  std::string bytes = BinarySeconds(1, 100);
  bytes += "PowerShield > ack stop\r\n";
  for (uint8_t byte : TextFrame(FrameType::kEndOfAcquisition, "Acquisition completed")) {
    bytes += static_cast<char>(byte);
  }
  const Decoded decoded = Decode(bytes, Binary(100), 5);
  EXPECT_EQ(decoded.amps.size(), 100u);
  EXPECT_TRUE(decoded.completed);
  EXPECT_EQ(decoded.messages,
            (std::vector<std::string>{"PowerShield > ack stop", "Acquisition completed"}));
  EXPECT_EQ(decoded.counts.garbage_bytes, 0u);
}

}  // namespace
}  // namespace hil::lpm01a

namespace hil::lpm01a {
namespace {

// The review's capture: a timestamp no LPM01A can send (4.3 billion
// seconds) reported 9.2e18 lost samples. A timestamp that jumps or runs
// backwards is counted as bad and invents no loss; the seconds around it
// still add up.
TEST(Lpm01aStreamDecoderHostile, AnAbsurdTimestampInventsNoLostSamples) {
  std::string text = AsciiSeconds(1, 100);
  text += "TimeStamp: 4294967295s 999ms, buff 00%\r\n";
  text += "TimeStamp: 0s 500ms, buff 00%\r\n";  // backwards
  for (int i = 0; i < 100; ++i) text += "6409-07\r\n";
  text += "TimeStamp: 2s 000ms, buff 00%\r\n";
  const Decoded decoded = Decode(text, Ascii(100));
  EXPECT_EQ(decoded.counts.bad_timestamps, 2u);
  EXPECT_EQ(decoded.counts.lost_samples, 100u) << "only the second the bad stamps corrupted";
  EXPECT_LT(decoded.counts.lost_samples + decoded.counts.samples, 1000u);
}

// 20 MB without a line end took 4 s, quadratic, and held all of it. Now
// each byte is looked at once and at most a line's worth is kept: fed in
// small reads, the whole of it is garbage, its second is lost, and the
// next second's samples count.
TEST(Lpm01aStreamDecoderHostile, AnEndlessLineIsGarbageNotAGrowingBuffer) {
  StreamDecoder decoder(Ascii(100));
  std::vector<SampleBlock> blocks;
  const std::vector<uint8_t> junk(16 * 1024, 'x');
  for (int i = 0; i < 1280; ++i) decoder.Feed(junk, blocks);  // 20 MiB
  const std::string after = "\r\n" + AsciiSeconds(2, 100);
  decoder.Feed({reinterpret_cast<const uint8_t*>(after.data()), after.size()}, blocks);
  decoder.Finish(blocks);
  EXPECT_GE(decoder.counts().garbage_bytes, 1280u * 16 * 1024);
  EXPECT_EQ(decoder.counts().samples, 100u);
  EXPECT_EQ(decoder.counts().lost_samples, 100u);
}

TEST(Lpm01aStreamDecoderHostile, ABinaryPromptWithoutALineEndIsGarbage) {
  std::string text(kPrompt);
  text += std::string(100000, 'y');
  StreamDecoder decoder(Binary(100));
  std::vector<SampleBlock> blocks;
  decoder.Feed({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, blocks);
  EXPECT_TRUE(decoder.TakeMessages().empty());
  EXPECT_GT(decoder.counts().garbage_bytes, 0u);
}

}  // namespace
}  // namespace hil::lpm01a
