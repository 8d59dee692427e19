// Instruction classes from encodings produced by arm-none-eabi-as for
// Cortex-M4 (and Armv8.1-M with MVE), checked by hand against objdump.
#include "probes/virtual/instruction_class.h"

#include <gtest/gtest.h>

#include <vector>

namespace hil::virtual_bench {
namespace {

using C = InstructionClass;

InstructionClass Of(std::vector<uint16_t> halfwords) {
  std::vector<uint8_t> bytes;
  for (uint16_t hw : halfwords) {
    bytes.push_back(static_cast<uint8_t>(hw & 0xFF));
    bytes.push_back(static_cast<uint8_t>(hw >> 8));
  }
  return ClassifyThumb(bytes);
}

TEST(InstructionClassTest, SixteenBitEncodings) {
  EXPECT_EQ(Of({0x3001}), C::kAlu);        // adds r0, #1
  EXPECT_EQ(Of({0xBF00}), C::kAlu);        // nop
  EXPECT_EQ(Of({0x6808}), C::kLoadStore);  // ldr r0, [r1]
  EXPECT_EQ(Of({0x605A}), C::kLoadStore);  // str r2, [r3, #4]
  EXPECT_EQ(Of({0xB510}), C::kLoadStore);  // push {r4, lr}
  EXPECT_EQ(Of({0x4348}), C::kMultiply);   // muls r0, r1
  EXPECT_EQ(Of({0xE7FF}), C::kBranch);     // b.n
  EXPECT_EQ(Of({0xB108}), C::kBranch);     // cbz r0, ...
  EXPECT_EQ(Of({0x4770}), C::kBranch);     // bx lr
  EXPECT_EQ(Of({0xD001}), C::kBranch);     // beq.n
  EXPECT_EQ(Of({0xDF00}), C::kAlu);        // svc 0, not a branch
  EXPECT_EQ(Of({0xBF30}), C::kSleep);      // wfi
}

TEST(InstructionClassTest, ThirtyTwoBitEncodings) {
  EXPECT_EQ(Of({0xEB01, 0x0082}), C::kAlu);        // add.w r0, r1, r2, lsl #2
  EXPECT_EQ(Of({0xF8D1, 0x0800}), C::kLoadStore);  // ldr.w r0, [r1, #2048]
  EXPECT_EQ(Of({0xF911, 0x0002}), C::kLoadStore);  // ldrsb.w r0, [r1, r2]
  EXPECT_EQ(Of({0xE8B0, 0x003E}), C::kLoadStore);  // ldmia.w r0!, {r1-r5}
  EXPECT_EQ(Of({0xFB01, 0xF002}), C::kMultiply);   // mul.w r0, r1, r2
  EXPECT_EQ(Of({0xFB01, 0x3002}), C::kMultiply);   // mla r0, r1, r2, r3
  EXPECT_EQ(Of({0xFB11, 0x3002}), C::kMultiply);   // smlabb r0, r1, r2, r3
  EXPECT_EQ(Of({0xFB21, 0x3002}), C::kSimd);       // smlad r0, r1, r2, r3
  EXPECT_EQ(Of({0xFB21, 0xF002}), C::kSimd);       // smuad r0, r1, r2
  EXPECT_EQ(Of({0xFA91, 0xF002}), C::kSimd);       // sadd16 r0, r1, r2
  EXPECT_EQ(Of({0xFA81, 0xF012}), C::kSimd);       // qadd8 r0, r1, r2
  EXPECT_EQ(Of({0xFB82, 0x0103}), C::kMultiply);   // smull r0, r1, r2, r3
  EXPECT_EQ(Of({0xFB91, 0xF0F2}), C::kMultiply);   // sdiv r0, r1, r2
  EXPECT_EQ(Of({0xF000, 0xF800}), C::kBranch);     // bl
  EXPECT_EQ(Of({0xF000, 0x8000}), C::kBranch);     // beq.w
  EXPECT_EQ(Of({0xF3AF, 0x8003}), C::kSleep);      // wfi.w
  EXPECT_EQ(Of({0xF3BF, 0x8F5F}), C::kAlu);        // dmb sy: control, not a branch
  EXPECT_EQ(Of({0xEE30, 0x0A81}), C::kFpu);        // vadd.f32 s0, s1, s2
  EXPECT_EQ(Of({0xEE00, 0x0A81}), C::kFpu);        // vmla.f32 s0, s1, s2
  EXPECT_EQ(Of({0xED90, 0x0A00}), C::kFpu);        // vldr s0, [r0]
  EXPECT_EQ(Of({0xFA2F, 0xF081}), C::kAlu);        // sxtb16 r0, r1
  EXPECT_EQ(Of({0xF301, 0x0007}), C::kAlu);        // ssat r0, #8, r1
  EXPECT_EQ(Of({0xE8D0, 0xF001}), C::kBranch);     // tbb [r0, r1]
}

TEST(InstructionClassTest, MveVectorInstructionsAreSimd) {
  EXPECT_EQ(Of({0xEF02, 0x0844}), C::kSimd);  // vadd.i8 q0, q1, q2
  EXPECT_EQ(Of({0xEEF2, 0x0F24}), C::kSimd);  // vmlava.s8 r0, q1, q2
  EXPECT_EQ(Of({0xED90, 0x1E00}), C::kSimd);  // vldrb.u8 q0, [r0]
}

TEST(InstructionClassTest, TruncatedBytesCountAsAlu) {
  EXPECT_EQ(ClassifyThumb(std::vector<uint8_t>{}), C::kAlu);
  EXPECT_EQ(ClassifyThumb(std::vector<uint8_t>{0xD1, 0xF8}), C::kAlu);  // half of ldr.w
}

}  // namespace
}  // namespace hil::virtual_bench
