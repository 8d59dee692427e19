// The PPK2 stream decoder: exact conversion with a real unit's calibration,
// reads split anywhere, counter wrap, gaps, garbage and stale bytes.
#include <gtest/gtest.h>

#include <random>

#include "probes/ppk2/stream_decoder.h"

namespace hil::ppk2 {
namespace {

// The calibration block of one real unit (protocols.md section 1).
Calibration RealUnit() {
  Calibration c;
  c.r[0] = 1003.35;
  c.o[0] = 112.94;
  c.gs[1] = 112.789;
  c.s[4] = 0.00294;
  c.i[4] = -0.00939;
  return c;
}

uint32_t Word(uint32_t adc, uint32_t range, uint32_t counter, uint32_t logic = 0) {
  return adc | range << 14 | (counter & 0x3F) << 18 | logic << 24;
}

void Append(std::vector<uint8_t>& bytes, uint32_t word) {
  for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<uint8_t>(word >> shift));
}

// A stream of n words counting from first_counter; adc and logic vary.
std::vector<uint32_t> CountingWords(size_t n, uint32_t first_counter = 0) {
  std::vector<uint32_t> words;
  for (size_t k = 0; k < n; ++k) {
    words.push_back(Word(static_cast<uint32_t>(100 + 7 * k) % 16384, k % 5,
                         static_cast<uint32_t>(first_counter + k), static_cast<uint32_t>(k % 256)));
  }
  return words;
}

std::vector<uint8_t> Bytes(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> bytes;
  for (uint32_t word : words) Append(bytes, word);
  return bytes;
}

struct Decoded {
  std::vector<SampleBlock> blocks;
  DecoderCounts counts;
  std::vector<double> amps;
  std::vector<uint8_t> logic;
};

Decoded Decode(const std::vector<uint8_t>& bytes, std::vector<size_t> chunk_sizes = {},
               DecoderOptions options = {}) {
  StreamDecoder decoder(options);
  Decoded result;
  size_t at = 0, k = 0;
  while (at < bytes.size()) {
    size_t n = chunk_sizes.empty() ? bytes.size() : chunk_sizes[k++ % chunk_sizes.size()];
    n = std::min(n, bytes.size() - at);
    decoder.Feed({bytes.data() + at, n}, result.blocks);
    at += n;
  }
  decoder.Finish(result.blocks);
  result.counts = decoder.counts();
  for (const SampleBlock& block : result.blocks) {
    result.amps.insert(result.amps.end(), block.current_a.begin(), block.current_a.end());
    result.logic.insert(result.logic.end(), block.logic.begin(), block.logic.end());
  }
  return result;
}

TEST(Ppk2StreamDecoderTest, ConvertsWithTheRealUnitsCalibrationByHand) {
  DecoderOptions options;
  options.calibration = RealUnit();
  options.vdd_v = 3.3;
  // Hand-computed, protocols.md: adc = raw * 4; x = (adc - O) * 1.8 / 163840 / R;
  // I = UG (x (GS x + GI) + S VDD + I).
  //   range 0, raw 1000: x = 3887.06 * 1.0986328125e-5 / 1003.35 -> 4.256374564e-5 A
  //   range 1, raw 8000: x = 0.3515625 / 101.65, GS 112.789 -> 4.807698935e-3 A
  //   range 2, raw 100 (defaults): x = 0.00439453125 / 10.15 -> 4.331461971e-4 A
  //   range 4, raw 5000: x = 0.2197265625 / 0.043, + 0.00294 * 3.3 - 0.00939 -> 31.22151506 A
  const Decoded decoded =
      Decode(Bytes({Word(1000, 0, 0), Word(8000, 1, 1), Word(100, 2, 2), Word(5000, 4, 3, 0x81)}),
             {}, options);
  ASSERT_EQ(decoded.amps.size(), 4u);
  EXPECT_NEAR(decoded.amps[0], 4.256374564048918e-05, 1e-15);
  EXPECT_NEAR(decoded.amps[1], 0.004807698934866347, 1e-13);
  EXPECT_NEAR(decoded.amps[2], 0.000433146197116234, 1e-14);
  EXPECT_NEAR(decoded.amps[3], 31.221515058716292, 1e-9);
  EXPECT_EQ(decoded.logic[3], 0x81);
  EXPECT_EQ(decoded.blocks.front().voltage_v, 3.3);
  EXPECT_EQ(decoded.counts.lost_samples, 0u);
  EXPECT_EQ(decoded.counts.garbage_bytes, 0u);
}

TEST(Ppk2StreamDecoderTest, ReadsSplitAnywhereDecodeAsOneRead) {
  const std::vector<uint8_t> bytes = Bytes(CountingWords(1000));
  const Decoded whole = Decode(bytes);
  ASSERT_EQ(whole.amps.size(), 1000u);
  // Every split of a word: 1, 2 and 3 bytes, then odd mixtures.
  for (const std::vector<size_t>& chunks : std::vector<std::vector<size_t>>{
           {1}, {2}, {3}, {5}, {1, 2, 3, 4, 5, 6, 7}, {4093}, {3, 4097, 1}}) {
    const Decoded split = Decode(bytes, chunks);
    EXPECT_EQ(split.amps, whole.amps) << "chunk pattern starting " << chunks[0];
    EXPECT_EQ(split.logic, whole.logic);
    EXPECT_EQ(split.counts.lost_samples, 0u);
    EXPECT_EQ(split.counts.garbage_bytes, 0u);
  }
}

TEST(Ppk2StreamDecoderTest, CounterWrapIsNotLoss) {
  // 300 words from counter 60: wraps 63 -> 0 five times.
  const Decoded decoded = Decode(Bytes(CountingWords(300, 60)));
  EXPECT_EQ(decoded.amps.size(), 300u);
  EXPECT_EQ(decoded.counts.lost_samples, 0u);
  for (const SampleBlock& block : decoded.blocks) EXPECT_EQ(block.lost_before, 0u);
}

TEST(Ppk2StreamDecoderTest, AGapIsCountedExactlyAndKeepsTheTimeline) {
  std::vector<uint32_t> words = CountingWords(200, 50);
  words.erase(words.begin() + 100, words.begin() + 105);  // five lost, across the wrap at 64
  const Decoded decoded = Decode(Bytes(words), {7});
  EXPECT_EQ(decoded.counts.lost_samples, 5u);
  EXPECT_EQ(decoded.counts.garbage_bytes, 0u);
  ASSERT_EQ(decoded.blocks.size(), 2u);
  EXPECT_EQ(decoded.blocks[0].first_index, 0u);
  EXPECT_EQ(decoded.blocks[0].size(), 100u);
  EXPECT_EQ(decoded.blocks[1].lost_before, 5u);
  EXPECT_EQ(decoded.blocks[1].first_index, 105u);  // sample 105 keeps its time
  EXPECT_EQ(decoded.blocks[1].size(), 95u);
}

TEST(Ppk2StreamDecoderTest, AGapAtTheVeryEndIsStillCounted) {
  std::vector<uint32_t> words = CountingWords(50);
  words.erase(words.begin() + 48);  // the last word but one
  const Decoded decoded = Decode(Bytes(words));
  EXPECT_EQ(decoded.counts.lost_samples, 1u);
  EXPECT_EQ(decoded.amps.size(), 49u);
}

TEST(Ppk2StreamDecoderTest, StrayBytesAreSkippedWithoutLoss) {
  const std::vector<uint32_t> words = CountingWords(400);
  std::vector<uint8_t> bytes;
  for (size_t k = 0; k < words.size(); ++k) {
    Append(bytes, words[k]);
    if (k == 50) bytes.push_back(0xA5);
    if (k == 120) bytes.insert(bytes.end(), {0xA5, 0x00});
    if (k == 300) bytes.insert(bytes.end(), {0xFF, 0xFF, 0xFF});
  }
  const Decoded clean = Decode(Bytes(words));
  for (size_t chunk : {1, 3, 64}) {
    const Decoded decoded = Decode(bytes, {chunk});
    EXPECT_EQ(decoded.counts.garbage_bytes, 6u) << "chunk " << chunk;
    EXPECT_EQ(decoded.counts.lost_samples, 0u);
    EXPECT_EQ(decoded.amps, clean.amps);
  }
}

TEST(Ppk2StreamDecoderTest, GarbageAndLossTogetherAreBothCounted) {
  std::vector<uint32_t> words = CountingWords(300);
  std::vector<uint8_t> bytes;
  for (size_t k = 0; k < words.size(); ++k) {
    if (k >= 150 && k < 153) continue;  // three lost
    Append(bytes, words[k]);
    if (k == 149) bytes.push_back(0x5A);  // and a stray byte where they were
  }
  const Decoded decoded = Decode(bytes);
  EXPECT_EQ(decoded.counts.lost_samples, 3u);
  EXPECT_EQ(decoded.counts.garbage_bytes, 1u);
  EXPECT_EQ(decoded.amps.size(), 297u);
}

TEST(Ppk2StreamDecoderTest, StaleBytesBeforeTheStreamAreSkipped) {
  std::vector<uint8_t> bytes = {'E', 'N', 'D', '\n', 0x13};
  const std::vector<uint8_t> words = Bytes(CountingWords(100, 17));
  bytes.insert(bytes.end(), words.begin(), words.end());
  const Decoded decoded = Decode(bytes, {2});
  EXPECT_EQ(decoded.amps.size(), 100u);
  EXPECT_EQ(decoded.counts.garbage_bytes, 5u);
  EXPECT_EQ(decoded.counts.lost_samples, 0u);
}

TEST(Ppk2StreamDecoderTest, RandomBytesNeverCrashAndAreMostlyRefused) {
  std::mt19937 random(7);
  std::vector<uint8_t> bytes(100'000);
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
  const Decoded decoded = Decode(bytes, {13});
  // Four words in a row that count by chance: rare.
  EXPECT_GT(decoded.counts.garbage_bytes, 99'000u);
}

TEST(Ppk2StreamDecoderTest, SpikeFilterAveragesThreeSamplesAfterARangeChange) {
  DecoderOptions options;
  options.spike_filter = true;
  // Two samples in range 1, then range 2 for five: the three after the
  // change report the moving average (alpha 0.18), the rest are raw.
  std::vector<uint32_t> words;
  for (uint32_t k = 0; k < 7; ++k) words.push_back(Word(4000, k < 2 ? 1 : 2, k));
  const Decoded filtered = Decode(Bytes(words), {}, options);
  const Decoded raw = Decode(Bytes(words));
  ASSERT_EQ(filtered.amps.size(), 7u);
  EXPECT_EQ(filtered.amps[0], raw.amps[0]);
  EXPECT_EQ(filtered.amps[1], raw.amps[1]);
  double average = raw.amps[0];
  average += 0.18 * (raw.amps[1] - average);
  for (int k = 2; k < 5; ++k) {
    average += 0.18 * (raw.amps[k] - average);
    EXPECT_DOUBLE_EQ(filtered.amps[k], average) << k;
  }
  EXPECT_EQ(filtered.amps[5], raw.amps[5]);
  EXPECT_EQ(filtered.amps[6], raw.amps[6]);
}

TEST(Ppk2StreamDecoderTest, BlocksAreCutAtTheConfiguredSize) {
  DecoderOptions options;
  options.block_samples = 64;
  const Decoded decoded = Decode(Bytes(CountingWords(200)), {}, options);
  ASSERT_EQ(decoded.blocks.size(), 4u);
  EXPECT_EQ(decoded.blocks[3].first_index, 192u);
  EXPECT_EQ(decoded.blocks[3].size(), 8u);
}

}  // namespace
}  // namespace hil::ppk2
