// Turns the PPK2's raw sample stream into calibrated sample blocks. Pure: it
// sees bytes in whatever pieces the transport delivers them (a read may end
// inside a word) and never does I/O.
//
// Loss and garbage are told apart by the 6-bit rolling counter. A word whose
// counter does not follow the previous one is a discontinuity: the decoder
// looks at the next few words at each of the four byte alignments. If they
// continue the count at another alignment, the bytes before them were
// garbage (counted, skipped). If they count on from a later value at the
// current alignment, samples were lost (counted, an exact gap). If nothing
// counts consistently, one byte is skipped as garbage and the search goes on.
// A loss of a whole multiple of 64 samples is invisible to a 6-bit counter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hil/power_probe.h"
#include "probes/ppk2/codec.h"

namespace hil::ppk2 {

struct DecoderOptions {
  Calibration calibration;
  double vdd_v = 3.3;         // enters the conversion; also the voltage reported
  bool spike_filter = false;  // the vendor app's host-side filter
  size_t block_samples = 8192;
};

struct DecoderCounts {
  uint64_t samples = 0;
  uint64_t lost_samples = 0;
  uint64_t garbage_bytes = 0;
};

class StreamDecoder {
 public:
  explicit StreamDecoder(const DecoderOptions& options);

  // Decodes what it can; full blocks (and blocks cut by a gap) are appended
  // to out. Bytes of an unfinished word, or words held back to judge a
  // discontinuity, wait for the next call.
  void Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out);
  // Hands over the partly filled block now, so a slow trickle of samples
  // is not held until a block fills.
  void Flush(std::vector<SampleBlock>& out) { CutBlock(out); }
  // The stream is over: decodes what is held back, then hands over the
  // partly filled block. A trailing partial word counts as garbage.
  void Finish(std::vector<SampleBlock>& out);

  const DecoderCounts& counts() const { return counts_; }

 private:
  // Words needed after a discontinuity to trust an alignment.
  static constexpr size_t kConfirmWords = 4;

  void Decode(bool final, std::vector<SampleBlock>& out);
  // Bytes consumed at a discontinuity at offset (0 when the decoder now
  // counts on from the word there), or nullopt to wait for more bytes.
  std::optional<size_t> Resynchronise(size_t offset, bool final, std::vector<SampleBlock>& out);
  bool CountsOn(size_t offset, size_t words) const;
  void Accept(uint32_t word, std::vector<SampleBlock>& out);
  void CutBlock(std::vector<SampleBlock>& out);
  uint32_t WordAt(size_t offset) const;

  DecoderOptions options_;
  std::array<std::vector<double>, kRanges> amps_table_;  // amperes per ADC value, per range
  std::vector<uint8_t> pending_;
  SampleBlock block_;
  uint64_t next_index_ = 0;
  bool have_counter_ = false;
  uint8_t counter_ = 0;
  DecoderCounts counts_;
  // Spike filter state: the two moving averages and samples since a range
  // change.
  double average_fast_ = 0, average_slow_ = 0;
  int previous_range_ = -1;
  int since_range_change_ = 0;  // saturates at the filtered length
};

}  // namespace hil::ppk2
