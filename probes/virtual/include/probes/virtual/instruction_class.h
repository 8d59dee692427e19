// Energy classes of Cortex-M (Thumb and Thumb-2) instructions.
//
// The virtual bench charges each executed instruction the energy of its
// class. The classes follow what the research found matters on Cortex-M4/M7:
// memory traffic, multipliers, the DSP extension's SIMD, the FPU, and
// control flow cost differently from plain ALU work. Pure: no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hil::virtual_bench {

enum class InstructionClass : uint8_t {
  kAlu,        // data processing, moves, compares, extends, hints
  kLoadStore,  // loads, stores, push/pop, load/store multiple
  kMultiply,   // MUL, MLA, 16x16 and long multiplies, divides
  kSimd,       // DSP-extension SIMD (SMLAD, SADD16, ...) and MVE vector ops
  kFpu,        // floating point (VFP data processing and transfers)
  kBranch,     // branches, calls, compare-and-branch, table branches
  kSleep,      // WFI / WFE: the core stops until an interrupt
};

inline constexpr size_t kInstructionClassCount = 7;

inline constexpr std::array<std::string_view, kInstructionClassCount> kInstructionClassNames = {
    "alu", "load_store", "multiply", "simd", "fpu", "branch", "sleep"};

inline std::string_view InstructionClassName(InstructionClass c) {
  return kInstructionClassNames[static_cast<size_t>(c)];
}

// Classifies one instruction from its bytes in memory (little-endian
// halfwords, 2 or 4 bytes). Unknown encodings count as ALU work.
InstructionClass ClassifyThumb(std::span<const uint8_t> bytes);

}  // namespace hil::virtual_bench
