// Reads what hil needs from a firmware ELF: section sizes and symbols.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::flash {

struct ElfSymbol {
  std::string name;
  uint32_t address = 0;  // for Thumb functions, without the Thumb bit
  uint32_t size = 0;
};

struct ElfImage {
  uint16_t machine = 0;  // e_machine: 40 (EM_ARM) for Cortex-M firmware
  uint32_t entry = 0;
  // Sizes as arm-none-eabi-size reports them (Berkeley format).
  uint64_t text_bytes = 0;
  uint64_t data_bytes = 0;
  uint64_t bss_bytes = 0;
  std::vector<ElfSymbol> symbols;

  std::optional<ElfSymbol> Find(const std::string& name) const;
};

// Parses a 32-bit little-endian ELF file. Errors: configuration (missing,
// unreadable, not a 32-bit little-endian ELF, truncated), naming the file.
Result<ElfImage> ReadElfImage(const std::string& path);

}  // namespace hil::flash
