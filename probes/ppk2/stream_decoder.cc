#include "probes/ppk2/stream_decoder.h"

#include <cstring>

namespace hil::ppk2 {
namespace {

constexpr double kFastAlpha = 0.18;  // the vendor filter's average, ranges 0..3
constexpr double kSlowAlpha = 0.06;  // and for range 4
constexpr int kFilteredAfterRangeChange = 3;

uint8_t CounterOf(uint32_t word) { return static_cast<uint8_t>((word >> 18) & 0x3F); }
int RangeOf(uint32_t word) { return static_cast<int>((word >> 14) & 0x7); }

}  // namespace

StreamDecoder::StreamDecoder(const DecoderOptions& options) : options_(options) {
  // The conversion is a fixed function of (range, ADC value): tabulate it
  // once, so decoding is a lookup.
  for (int range = 0; range < kRanges; ++range) {
    amps_table_[range].resize(kAdcMax + 1);
    for (uint32_t adc = 0; adc <= kAdcMax; ++adc) {
      amps_table_[range][adc] = AdcToAmps(adc, range, options_.calibration, options_.vdd_v);
    }
  }
  block_.voltage_v = options_.vdd_v;
}

uint32_t StreamDecoder::WordAt(size_t offset) const {
  uint32_t word;
  std::memcpy(&word, pending_.data() + offset, 4);  // the wire and the host are little-endian
  return word;
}

bool StreamDecoder::CountsOn(size_t offset, size_t words) const {
  for (size_t k = 0; k < words; ++k) {
    const uint32_t word = WordAt(offset + 4 * k);
    if (RangeOf(word) >= kRanges) return false;
    if (k > 0 && CounterOf(word) != ((CounterOf(WordAt(offset + 4 * (k - 1))) + 1) & 0x3F)) {
      return false;
    }
  }
  return true;
}

void StreamDecoder::Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  Decode(false, out);
}

void StreamDecoder::Finish(std::vector<SampleBlock>& out) {
  Decode(true, out);
  counts_.garbage_bytes += pending_.size();
  pending_.clear();
  CutBlock(out);
}

void StreamDecoder::Decode(bool final, std::vector<SampleBlock>& out) {
  size_t offset = 0;
  while (offset + 4 <= pending_.size()) {
    const uint32_t word = WordAt(offset);
    if (have_counter_ && CounterOf(word) == ((counter_ + 1) & 0x3F) && RangeOf(word) < kRanges) {
      Accept(word, out);
      offset += 4;
      continue;
    }
    const std::optional<size_t> used = Resynchronise(offset, final, out);
    if (!used) break;
    offset += *used;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(offset));
}

std::optional<size_t> StreamDecoder::Resynchronise(size_t offset, bool final,
                                                   std::vector<SampleBlock>& out) {
  const size_t available = pending_.size() - offset;
  // Look ahead at every alignment; near the end of a finished stream, with
  // whatever words are left.
  size_t confirm = kConfirmWords;
  if (available < 3 + 4 * confirm) {
    if (!final) return std::nullopt;
    confirm = available >= 3 + 4 ? (available - 3) / 4 : available / 4;
    if (confirm == 0) return std::nullopt;
  }
  const uint8_t expected = static_cast<uint8_t>((counter_ + 1) & 0x3F);
  int counting_shift = -1;
  for (size_t shift = 0; shift < 4; ++shift) {
    if (offset + shift + 4 * confirm > pending_.size()) break;
    if (!CountsOn(offset + shift, confirm)) continue;
    if (have_counter_ && CounterOf(WordAt(offset + shift)) == expected) {
      // The count goes on after some stray bytes: garbage, no loss.
      counts_.garbage_bytes += shift;
      return shift;  // nonzero: shift 0 would have been accepted
    }
    if (counting_shift < 0) counting_shift = static_cast<int>(shift);
  }
  if (counting_shift < 0) {
    ++counts_.garbage_bytes;  // nothing counts consistently here
    return 1;
  }
  counts_.garbage_bytes += static_cast<uint64_t>(counting_shift);
  const size_t at = offset + static_cast<size_t>(counting_shift);
  if (have_counter_) {
    // A gap: the samples the counter skipped never arrived.
    const uint64_t lost = (CounterOf(WordAt(at)) - expected) & 0x3F;
    CutBlock(out);
    block_.lost_before += lost;
    counts_.lost_samples += lost;
    next_index_ += lost;
    block_.first_index = next_index_;
  }
  have_counter_ = true;
  counter_ = static_cast<uint8_t>((CounterOf(WordAt(at)) - 1) & 0x3F);
  return static_cast<size_t>(counting_shift);
}

void StreamDecoder::Accept(uint32_t word, std::vector<SampleBlock>& out) {
  const Sample sample = DecodeWord(word);
  double amps = amps_table_[sample.range][sample.adc];
  if (options_.spike_filter) {
    if (previous_range_ < 0) {
      average_fast_ = average_slow_ = amps;
    } else {
      average_fast_ += kFastAlpha * (amps - average_fast_);
      average_slow_ += kSlowAlpha * (amps - average_slow_);
    }
    if (previous_range_ < 0) {
      since_range_change_ = kFilteredAfterRangeChange;  // the first sample is not a change
    } else if (sample.range != previous_range_) {
      since_range_change_ = 0;
    }
    if (since_range_change_ < kFilteredAfterRangeChange) {
      amps = sample.range == kRanges - 1 ? average_slow_ : average_fast_;
      ++since_range_change_;
    }
    previous_range_ = sample.range;
  }
  if (block_.current_a.empty()) {
    block_.current_a.reserve(options_.block_samples);
    block_.logic.reserve(options_.block_samples);
  }
  block_.current_a.push_back(amps);
  block_.logic.push_back(sample.logic);
  counter_ = sample.counter;
  ++next_index_;
  ++counts_.samples;
  if (block_.current_a.size() >= options_.block_samples) CutBlock(out);
}

void StreamDecoder::CutBlock(std::vector<SampleBlock>& out) {
  if (!block_.empty()) out.push_back(std::move(block_));
  block_ = SampleBlock();
  block_.first_index = next_index_;
  block_.voltage_v = options_.vdd_v;
}

}  // namespace hil::ppk2
