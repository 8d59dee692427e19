#include "probes/virtual/instruction_class.h"

namespace hil::virtual_bench {
namespace {

using C = InstructionClass;

uint16_t Halfword(std::span<const uint8_t> bytes, size_t index) {
  return static_cast<uint16_t>(bytes[2 * index] | (bytes[2 * index + 1] << 8));
}

// Encodings from the Armv7-M and Armv8-M Architecture Reference Manuals,
// "Thumb instruction set encoding" (16-bit) and "32-bit Thumb instruction
// encoding".
C Classify16(uint16_t hw) {
  if (hw == 0xBF30 || hw == 0xBF20) return C::kSleep;  // WFI, WFE
  if ((hw & 0xF000) == 0x5000) return C::kLoadStore;   // LDR/STR (register)
  if ((hw & 0xE000) == 0x6000) return C::kLoadStore;   // LDR/STR/LDRB/STRB (immediate)
  if ((hw & 0xF000) == 0x8000) return C::kLoadStore;   // LDRH/STRH (immediate)
  if ((hw & 0xF000) == 0x9000) return C::kLoadStore;   // LDR/STR SP-relative
  if ((hw & 0xF800) == 0x4800) return C::kLoadStore;   // LDR (literal)
  if ((hw & 0xF600) == 0xB400) return C::kLoadStore;   // PUSH, POP
  if ((hw & 0xF000) == 0xC000) return C::kLoadStore;   // LDM, STM
  if ((hw & 0xFFC0) == 0x4340) return C::kMultiply;    // MULS
  if ((hw & 0xF000) == 0xD000) {                       // B<c>, UDF, SVC
    return (hw & 0x0E00) == 0x0E00 ? C::kAlu : C::kBranch;
  }
  if ((hw & 0xF800) == 0xE000) return C::kBranch;  // B
  if ((hw & 0xF500) == 0xB100) return C::kBranch;  // CBZ, CBNZ
  if ((hw & 0xFF00) == 0x4700) return C::kBranch;  // BX, BLX
  return C::kAlu;
}

C Classify32(uint16_t hw1, uint16_t hw2) {
  if (hw1 == 0xF3AF && (hw2 == 0x8003 || hw2 == 0x8002)) return C::kSleep;  // WFI.W, WFE.W

  // Coprocessor, floating-point and MVE space: 111x 11xx xxxx xxxx.
  if ((hw1 & 0xEC00) == 0xEC00) {
    const unsigned coprocessor = (hw2 >> 8) & 0xF;
    return coprocessor == 10 || coprocessor == 11 ? C::kFpu : C::kSimd;
  }
  // Load/store multiple, dual, exclusive, and table branch.
  if ((hw1 & 0xFE00) == 0xE800) {
    if ((hw1 & 0xFFF0) == 0xE8D0 && (hw2 & 0xFFE0) == 0xF000) return C::kBranch;  // TBB, TBH
    return C::kLoadStore;
  }
  // Load/store single data item and memory hints.
  if ((hw1 & 0xFE00) == 0xF800) return C::kLoadStore;
  // Multiply, multiply-accumulate, absolute difference.
  if ((hw1 & 0xFF80) == 0xFB00) {
    const unsigned op1 = (hw1 >> 4) & 0x7;
    const unsigned op2 = (hw2 >> 4) & 0x3;
    // SMLAD/SMUAD (op1 010), SMLSD/SMUSD (op1 100) with op2 0x: dual 16-bit.
    if ((op1 == 0b010 || op1 == 0b100) && op2 <= 1) return C::kSimd;
    if (op1 == 0b111) return C::kSimd;  // USAD8, USADA8
    return C::kMultiply;
  }
  // Long multiply, long multiply-accumulate, divide.
  if ((hw1 & 0xFF80) == 0xFB80) {
    const unsigned op1 = (hw1 >> 4) & 0x7;
    const unsigned op2 = (hw2 >> 4) & 0xF;
    if ((op1 == 0b100 || op1 == 0b101) && (op2 & 0xE) == 0xC) return C::kSimd;  // SMLALD, SMLSLD
    return C::kMultiply;
  }
  // Data processing (register): parallel add/subtract and saturating
  // arithmetic are SIMD when hw2 is 1111 xxxx 0xxx xxxx with hw1 1111 1010 1xxx.
  if ((hw1 & 0xFF80) == 0xFA80 && (hw2 & 0xF080) == 0xF000) return C::kSimd;
  // Branches and miscellaneous control: 1111 0xxx xxxx xxxx 1xxx xxxx xxxx xxxx.
  if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0x8000) != 0) {
    const unsigned op = (hw2 >> 12) & 0x7;
    if ((op & 0b101) == 0b000) {
      // B<c>.W, unless the condition field says MSR/MRS/hints/barriers.
      return ((hw1 >> 7) & 0x7) == 0x7 ? C::kAlu : C::kBranch;
    }
    return C::kBranch;  // B.W, BL, BLX
  }
  return C::kAlu;
}

bool IsThirtyTwoBit(uint16_t first) {
  const unsigned top = first >> 11;
  return top == 0b11101 || top == 0b11110 || top == 0b11111;
}

}  // namespace

InstructionClass ClassifyThumb(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return C::kAlu;
  const uint16_t first = Halfword(bytes, 0);
  if (!IsThirtyTwoBit(first)) return Classify16(first);
  if (bytes.size() < 4) return C::kAlu;
  return Classify32(first, Halfword(bytes, 1));
}

}  // namespace hil::virtual_bench
