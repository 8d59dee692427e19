// Turns the DUT's byte stream into text lines, discarding line noise.
//
// UART lines pick up noise: bytes outside printable ASCII are dropped and
// counted. A line longer than the limit is dropped and counted too, so a
// stream of junk cannot grow memory. Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hil::dut {

class LineAssembler {
 public:
  // The longest protocol line is m-results-[...] of a network with many
  // outputs (an autoencoder's 640 values take ~5 KB): 64 KiB leaves room,
  // and still drops a runaway stream of garbage.
  explicit LineAssembler(size_t max_line_length = 65536) : max_line_length_(max_line_length) {}

  // Appends complete lines (without "\r\n") to lines.
  void Push(std::span<const uint8_t> bytes, std::vector<std::string>& lines);

  // Forgets a partial line.
  void Reset() {
    partial_.clear();
    overlong_ = false;
  }

  bool has_partial_line() const { return !partial_.empty(); }
  // Bytes dropped because they were not printable ASCII.
  uint64_t noise_bytes() const { return noise_bytes_; }
  // Lines dropped because they exceeded the limit.
  uint64_t overlong_lines() const { return overlong_lines_; }

 private:
  size_t max_line_length_;
  std::string partial_;
  bool overlong_ = false;
  uint64_t noise_bytes_ = 0;
  uint64_t overlong_lines_ = 0;
};

}  // namespace hil::dut
