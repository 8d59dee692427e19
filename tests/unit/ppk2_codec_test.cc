// PPK2 codec against hand-computed vectors (protocols.md section 1).
#include <gtest/gtest.h>

#include <cmath>

#include "probes/ppk2/codec.h"

namespace hil::ppk2 {
namespace {

TEST(Ppk2CodecTest, WordFieldsSitWhereTheProtocolSays) {
  // adc 0x1234, range 3, counter 0x2A, logic 0b101.
  const uint32_t word = 0x1234u | (3u << 14) | (0x2Au << 18) | (0x05u << 24);
  Sample sample = DecodeWord(word);
  EXPECT_EQ(sample.adc, 0x1234u);
  EXPECT_EQ(sample.range, 3);
  EXPECT_EQ(sample.counter, 0x2A);
  EXPECT_EQ(sample.logic, 0x05);
  EXPECT_EQ(EncodeWord(sample), word);
}

TEST(Ppk2CodecTest, ConversionWithDefaultCalibration) {
  // Range 2, default R = 10.15 ohm: adc 1000 -> x = 4000 * 1.8 / 163840 / 10.15
  //   = 0.0439453125 / 10.15 = 4.32958744e-3 A; I = x (x + 1) = 4.34833277e-3 A.
  const Calibration defaults;
  EXPECT_NEAR(AdcToAmps(1000, 2, defaults, 3.3), 4.34833277e-3, 1e-11);
}

TEST(Ppk2CodecTest, ConversionWithTheRealUnitsCalibration) {
  Calibration c;
  c.r[0] = 1003.35;
  c.o[0] = 112.94;
  c.gs[1] = 112.789;
  c.s[4] = 0.00294;
  c.i[4] = -0.00939;
  // Range 0: x = (2000 * 4 - 112.94) * 1.8 / 163840 / 1003.35 = 8.6406e-5 A.
  const double x0 = (8000 - 112.94) * 1.8 / 163840 / 1003.35;
  EXPECT_NEAR(AdcToAmps(2000, 0, c, 3.0), x0 * (x0 + 1), 1e-15);
  // Range 1 with GS1: x = 8000 * 1.8 / 163840 / 101.65; I = x (112.789 x + 1).
  const double x1 = 8000 * 1.8 / 163840 / 101.65;
  EXPECT_NEAR(AdcToAmps(2000, 1, c, 3.0), x1 * (112.789 * x1 + 1), 1e-15);
  // Range 4 adds S4 * VDD + I4.
  const double x4 = 8000 * 1.8 / 163840 / 0.043;
  EXPECT_NEAR(AdcToAmps(2000, 4, c, 3.0), x4 * (x4 + 1) + 0.00294 * 3.0 - 0.00939, 1e-12);
}

TEST(Ppk2CodecTest, AmpsToSamplePicksTheLowestRangeAndTheNearestStep) {
  Calibration c;
  c.gs[1] = 112.789;
  for (double amps : {5e-6, 150e-6, 2e-3, 11.2e-3, 45e-3, 0.3}) {
    Sample sample = AmpsToSample(amps, c, 3.3);
    EXPECT_LE(amps, 0.9 * RangeMaxAmps(sample.range, c, 3.3)) << amps;
    if (sample.range > 0) {
      EXPECT_GT(amps, 0.9 * RangeMaxAmps(sample.range - 1, c, 3.3)) << amps;
    }
    const double decoded = AdcToAmps(sample.adc, sample.range, c, 3.3);
    EXPECT_LE(std::abs(decoded - amps),
              0.5 * AmpsPerStep(sample.adc, sample.range, c, 3.3) * 1.0001)
        << amps;
  }
}

TEST(Ppk2CodecTest, MetadataRoundTripsAndBadValuesKeepDefaults) {
  Metadata metadata;
  metadata.calibrated = true;
  metadata.calibration.r[0] = 1003.35;
  metadata.calibration.gs[1] = 112.789;
  metadata.vdd_mv = 3300;
  metadata.hw = "9173";
  Result<Metadata> parsed = ParseMetadata(FormatMetadata(metadata));
  ASSERT_TRUE(parsed.ok());
  EXPECT_DOUBLE_EQ(parsed->calibration.r[0], 1003.35);
  EXPECT_DOUBLE_EQ(parsed->calibration.gs[1], 112.789);
  EXPECT_EQ(parsed->vdd_mv, 3300u);
  EXPECT_EQ(parsed->hw, "9173");

  Result<Metadata> bad = ParseMetadata("Calibrated: 0\nR1: 0\nGS2: -nan\nEND\n");
  ASSERT_TRUE(bad.ok());
  EXPECT_DOUBLE_EQ(bad->calibration.r[1], 101.65);
  EXPECT_DOUBLE_EQ(bad->calibration.gs[2], 1.0);

  EXPECT_FALSE(ParseMetadata("R0: 1000\n").ok());  // no END
}

TEST(Ppk2CodecTest, CommandsAndTheirArgumentLengths) {
  EXPECT_EQ(RegulatorSetCommand(3300), (std::vector<uint8_t>{0x0D, 0x0C, 0xE4}));
  EXPECT_EQ(ArgumentBytes(0x06), 0u);
  EXPECT_EQ(ArgumentBytes(0x0D), 2u);
  EXPECT_EQ(ArgumentBytes(0x25), 5u);
  EXPECT_FALSE(ArgumentBytes(0x99).has_value());
}

}  // namespace
}  // namespace hil::ppk2
