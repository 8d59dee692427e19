#include "drivers/dut/line_assembler.h"

namespace hil::dut {

void LineAssembler::Push(std::span<const uint8_t> bytes, std::vector<std::string>& lines) {
  for (uint8_t byte : bytes) {
    if (byte == '\n') {
      if (overlong_) {
        ++overlong_lines_;
      } else if (!partial_.empty()) {
        lines.push_back(std::move(partial_));
      }
      partial_.clear();
      overlong_ = false;
      continue;
    }
    if (byte == '\r') continue;
    if (byte < 0x20 || byte > 0x7E) {
      ++noise_bytes_;
      continue;
    }
    if (overlong_) continue;
    if (partial_.size() == max_line_length_) {
      overlong_ = true;
      partial_.clear();
      continue;
    }
    partial_.push_back(static_cast<char>(byte));
  }
}

}  // namespace hil::dut
