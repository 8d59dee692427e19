#include "drivers/dut/line_assembler.h"

#include <gtest/gtest.h>

#include <string>

namespace hil::dut {
namespace {

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

TEST(LineAssemblerTest, AssemblesLinesAcrossArbitrarySplits) {
  const std::string stream = "m-name-dut-[x]\r\nm-ready\r\n";
  // Every split point must give the same two lines.
  for (size_t split = 0; split <= stream.size(); ++split) {
    LineAssembler assembler;
    std::vector<std::string> lines;
    assembler.Push(Bytes(stream.substr(0, split)), lines);
    assembler.Push(Bytes(stream.substr(split)), lines);
    ASSERT_EQ(lines.size(), 2u) << "split at " << split;
    EXPECT_EQ(lines[0], "m-name-dut-[x]");
    EXPECT_EQ(lines[1], "m-ready");
    EXPECT_FALSE(assembler.has_partial_line());
  }
}

TEST(LineAssemblerTest, DropsAndCountsNoiseBytes) {
  LineAssembler assembler;
  std::vector<std::string> lines;
  const std::string noisy = std::string("m-re\x00\xff", 6) + "ady\x07\r\n";
  assembler.Push(Bytes(noisy), lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "m-ready");
  EXPECT_EQ(assembler.noise_bytes(), 3u);
}

TEST(LineAssemblerTest, DropsOverlongLinesAndRecovers) {
  LineAssembler assembler(8);
  std::vector<std::string> lines;
  assembler.Push(Bytes("0123456789abcdef\r\nm-ready\r\n"), lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "m-ready");
  EXPECT_EQ(assembler.overlong_lines(), 1u);
}

TEST(LineAssemblerTest, SkipsEmptyLines) {
  LineAssembler assembler;
  std::vector<std::string> lines;
  assembler.Push(Bytes("\r\n\r\nm-ready\n\n"), lines);
  ASSERT_EQ(lines.size(), 1u);
}

}  // namespace
}  // namespace hil::dut
