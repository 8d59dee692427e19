#include <gtest/gtest.h>

#include <cmath>

#include "probes/lpm01a/codec.h"

namespace hil::lpm01a {
namespace {

TEST(Lpm01aCodecTest, SuffixedNumbers) {
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("3300m"), 3.3);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("100k"), 100000);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("100u"), 1e-4);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("500"), 500);
  EXPECT_FALSE(ParseSuffixedNumber("fast").has_value());
  EXPECT_FALSE(ParseSuffixedNumber("m").has_value());
}

TEST(Lpm01aCodecTest, AsciiCurrentHasFourSignificantDigits) {
  EXPECT_EQ(FormatAsciiCurrent(640.9e-6), "6409-07");  // the protocol's example
  EXPECT_NEAR(*ParseAsciiCurrent("6409-07"), 640.9e-6, 1e-15);
  EXPECT_EQ(FormatAsciiCurrent(11.2345e-3), "1123-05");
  EXPECT_EQ(FormatAsciiCurrent(9.99996e-3), "1000-05");  // rounds up into the next decade: 10.00 mA
  for (double amps : {123.456e-9, 1.5e-6, 0.0271828, 0.049}) {
    const double parsed = *ParseAsciiCurrent(FormatAsciiCurrent(amps));
    EXPECT_NEAR(parsed, amps, amps * 5e-4) << amps;
  }
  EXPECT_FALSE(ParseAsciiCurrent("6409+07").has_value());
  EXPECT_FALSE(ParseAsciiCurrent("640907").has_value());
}

TEST(Lpm01aCodecTest, BinaryCurrentUsesTheFinestExponent) {
  // 1 mA: the largest exponent whose mantissa fits in 12 bits is 5, since
  // 1e-3 * 16^5 = 1048.576 (-> 1049) while 1e-3 * 16^6 = 16777 does not fit.
  const uint16_t word = EncodeBinaryCurrent(1e-3);
  EXPECT_EQ(word >> 12, 5);
  EXPECT_EQ(word & 0x0FFF, 1049);
  EXPECT_NEAR(DecodeBinaryCurrent(word), 1049.0 / 1048576.0, 1e-15);
  EXPECT_EQ(DecodeBinaryCurrent(0x0123), 0x123);  // exponent 0
  for (double amps : {2e-7, 3.3e-5, 0.0123, 0.049}) {
    const double decoded = DecodeBinaryCurrent(EncodeBinaryCurrent(amps));
    EXPECT_NEAR(decoded, amps, amps / 4096 * 16) << amps;  // within a step
  }
}

TEST(Lpm01aCodecTest, FramesAndCommands) {
  EXPECT_EQ(TimestampFrame(0x01020304, 37),
            (std::vector<uint8_t>{0xF0, 0xF3, 0x01, 0x02, 0x03, 0x04, 37, 0xFF, 0xFF}));
  EXPECT_EQ(TextFrame(FrameType::kEndOfAcquisition, "ok"),
            (std::vector<uint8_t>{0xF0, 0xF4, 'o', 'k', 0xFF, 0xFF}));
  EXPECT_EQ(SplitCommand("volt  3300m\r"), (std::vector<std::string>{"volt", "3300m"}));
}

}  // namespace
}  // namespace hil::lpm01a
