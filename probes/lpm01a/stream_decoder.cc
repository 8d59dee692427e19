#include "probes/lpm01a/stream_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "probes/lpm01a/codec.h"

namespace hil::lpm01a {
namespace {

constexpr uint8_t kFrameStart = 0xF0;
constexpr size_t kTimestampPayload = 5;  // u32 BE milliseconds, u8 buffer load
constexpr size_t kMaxFrameBytes = 512;

bool IsFrameType(uint8_t byte) { return byte >= 0xF1 && byte <= 0xF5; }

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

StreamDecoder::StreamDecoder(const DecoderOptions& options) : options_(options) {
  interval_.voltage_v = options_.supply_v;
}

std::vector<std::string> StreamDecoder::TakeMessages() {
  std::vector<std::string> taken;
  taken.swap(messages_);
  return taken;
}

void StreamDecoder::Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  out_ = &out;
  if (options_.format == StreamFormat::kAscii) {
    DecodeAscii(false);
  } else {
    DecodeBinary(false);
  }
  out_ = nullptr;
}

void StreamDecoder::Finish(std::vector<SampleBlock>& out) {
  out_ = &out;
  if (options_.format == StreamFormat::kAscii) {
    DecodeAscii(true);
  } else {
    DecodeBinary(true);
  }
  counts_.garbage_bytes += pending_.size();
  pending_.clear();
  HandOver(0, out);
  out_ = nullptr;
}

void StreamDecoder::AddSample(double amps) {
  if (interval_.current_a.empty()) {
    interval_.current_a.reserve(static_cast<size_t>(options_.rate_hz) + 16);
    interval_.logic.reserve(static_cast<size_t>(options_.rate_hz) + 16);
  }
  interval_.current_a.push_back(amps);
  interval_.logic.push_back(logic_);
}

void StreamDecoder::HandOver(uint64_t lost_inside, std::vector<SampleBlock>& out) {
  interval_.first_index = next_index_;
  interval_.lost_inside = lost_inside;
  next_index_ += interval_.size() + lost_inside;
  counts_.samples += interval_.size();
  counts_.lost_samples += lost_inside;
  if (!interval_.empty() || !interval_.events.empty()) out.push_back(std::move(interval_));
  interval_ = SampleBlock();
  interval_.voltage_v = options_.supply_v;
  interval_corrupt_ = false;
  interval_garbage_ = 0;
}

void StreamDecoder::CloseInterval(uint64_t elapsed_ms, std::vector<SampleBlock>& out) {
  if (elapsed_ms < last_timestamp_ms_ || elapsed_ms - last_timestamp_ms_ > kLongestTimestampGapMs) {
    // The interval goes on to the next timestamp that can be true, and its
    // samples are checked against that one.
    ++counts_.bad_timestamps;
    interval_corrupt_ = true;
    return;
  }
  const uint64_t span_ms = elapsed_ms > last_timestamp_ms_ ? elapsed_ms - last_timestamp_ms_ : 0;
  last_timestamp_ms_ = std::max(last_timestamp_ms_, elapsed_ms);
  const uint64_t expected =
      static_cast<uint64_t>(std::llround(options_.rate_hz * static_cast<double>(span_ms) / 1000.0));
  if (interval_corrupt_) {
    // Off the byte grid somewhere in this second: no value in it is sure.
    interval_.current_a.clear();
    interval_.logic.clear();
    return HandOver(expected, out);
  }
  const uint64_t received = interval_.size();
  if (received > expected) counts_.surplus_samples += received - expected;
  HandOver(received < expected ? expected - received : 0, out);
}

// --- ASCII ------------------------------------------------------------------

void StreamDecoder::DecodeAscii(bool final) {
  size_t start = 0;
  for (;;) {
    // Each byte is searched once, however the stream is cut into reads.
    const auto newline =
        std::find(pending_.begin() + static_cast<std::ptrdiff_t>(std::max(start, scanned_)),
                  pending_.end(), '\n');
    if (newline == pending_.end()) {
      scanned_ = pending_.size();
      if (pending_.size() - start > kLongestAsciiLine) {
        // No line is this long: what is held is garbage, and so is the
        // rest of it up to the next line end.
        counts_.garbage_bytes += pending_.size() - start;
        interval_corrupt_ = true;
        start = pending_.size();
        scanned_ = 0;
      }
      break;
    }
    const size_t end = static_cast<size_t>(newline - pending_.begin());
    std::string line(pending_.begin() + static_cast<std::ptrdiff_t>(start), newline);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    AsciiLine(std::move(line));
    start = end + 1;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(start));
  scanned_ = scanned_ > start ? scanned_ - start : 0;
  if (final && !pending_.empty()) {
    AsciiLine(std::string(pending_.begin(), pending_.end()));
    pending_.clear();
  }
}

void StreamDecoder::AsciiLine(std::string line) {
  // Stray bytes before a line's text are skipped and counted; the line is
  // still read.
  size_t skip = 0;
  while (skip < line.size() && !std::isalnum(static_cast<unsigned char>(line[skip]))) ++skip;
  counts_.garbage_bytes += skip;
  line.erase(0, skip);
  if (line.empty()) return;
  if (std::optional<double> amps = ParseAsciiCurrent(line)) return AddSample(*amps);
  if (StartsWith(line, "event ")) {
    const bool rising = line.size() >= 3 && line.compare(line.size() - 3, 3, "ris") == 0;
    const bool falling = line.size() >= 3 && line.compare(line.size() - 3, 3, "fal") == 0;
    if (rising || falling) {
      LogicEvent event;
      event.sample_index = next_index_ + interval_.size();
      event.line = kD7Line;
      event.rising = rising;
      interval_.events.push_back(event);
      ++counts_.events;
      logic_ = rising ? static_cast<uint8_t>(logic_ | 1u << kD7Line)
                      : static_cast<uint8_t>(logic_ & ~(1u << kD7Line));
      return;
    }
  }
  if (StartsWith(line, "TimeStamp:")) {
    // "TimeStamp: 12s 345ms, buff 00%"
    const char* text = line.c_str() + 10;
    char* end = nullptr;
    const unsigned long long seconds = std::strtoull(text, &end, 10);
    unsigned long long milliseconds = 0;
    if (end != nullptr && *end == 's') milliseconds = std::strtoull(end + 1, nullptr, 10);
    if (out_ != nullptr) CloseInterval(seconds * 1000 + milliseconds, *out_);
    return;
  }
  if (line == "Acquisition completed") {
    completed_ = true;
    messages_.push_back(line);
    return;
  }
  if (line.find("ack") != std::string::npos || line.find("error") != std::string::npos ||
      StartsWith(line, "Error detail:") || StartsWith(line, std::string(kPrompt))) {
    messages_.push_back(line);
    return;
  }
  counts_.garbage_bytes += line.size() + 1;  // a line that is none of the above
}

// --- Binary -----------------------------------------------------------------

void StreamDecoder::DecodeBinary(bool final) {
  size_t p = 0;
  const size_t size = pending_.size();
  while (p < size) {
    const uint8_t byte = pending_[p];
    if (byte == kFrameStart && p + 1 < size && IsFrameType(pending_[p + 1])) {
      const auto type = static_cast<FrameType>(pending_[p + 1]);
      size_t end;  // index of the first 0xFF of the closing pair
      if (type == FrameType::kTimestamp) {
        end = p + 2 + kTimestampPayload;
        if (end + 2 > size) break;
      } else {
        end = p + 2;
        while (end + 1 < size && !(pending_[end] == 0xFF && pending_[end + 1] == 0xFF)) ++end;
        if (end + 1 >= size) {
          if (size - p > kMaxFrameBytes) {  // never closed: not a frame
            ++counts_.garbage_bytes;
            interval_corrupt_ = true;
            ++p;
            continue;
          }
          break;
        }
      }
      if (pending_[end] != 0xFF || pending_[end + 1] != 0xFF) {
        ++counts_.garbage_bytes;
        interval_corrupt_ = true;
        ++p;
        continue;
      }
      if (type == FrameType::kTimestamp) {
        const uint32_t ms = static_cast<uint32_t>(pending_[p + 2]) << 24 |
                            static_cast<uint32_t>(pending_[p + 3]) << 16 |
                            static_cast<uint32_t>(pending_[p + 4]) << 8 | pending_[p + 5];
        CloseInterval(ms, *out_);
      } else {
        std::string text(pending_.begin() + static_cast<std::ptrdiff_t>(p + 2),
                         pending_.begin() + static_cast<std::ptrdiff_t>(end));
        if (type == FrameType::kEndOfAcquisition) completed_ = true;
        if (type == FrameType::kOvercurrent && text.empty()) text = "overcurrent";
        messages_.push_back(text);
      }
      p = end + 2;
      continue;
    }
    // A reply line inside the stream (the ack of "stop").
    if (byte == static_cast<uint8_t>(kPrompt[0])) {
      const size_t compare = std::min(kPrompt.size(), size - p);
      if (std::memcmp(&pending_[p], kPrompt.data(), compare) == 0) {
        if (compare < kPrompt.size() && !final) break;
        if (compare == kPrompt.size()) {
          const auto newline =
              std::find(pending_.begin() + static_cast<std::ptrdiff_t>(p), pending_.end(), '\n');
          if (newline == pending_.end() && size - p > kLongestAsciiLine) {
            // A prompt followed by no line end: not a reply, garbage.
            ++counts_.garbage_bytes;
            interval_corrupt_ = true;
            ++p;
            continue;
          }
          if (newline == pending_.end() && !final) break;
          std::string text(pending_.begin() + static_cast<std::ptrdiff_t>(p), newline);
          if (!text.empty() && text.back() == '\r') text.pop_back();
          messages_.push_back(text);
          p = newline == pending_.end() ? size
                                        : static_cast<size_t>(newline - pending_.begin()) + 1;
          continue;
        }
      }
    }
    // A sample, unless a frame starts at its second byte: then this byte was
    // a stray one and the grid is off.
    if (p + 2 >= size && !final) break;
    if (p + 1 >= size) {
      ++counts_.garbage_bytes;
      ++p;
      continue;
    }
    if (pending_[p + 1] == kFrameStart && p + 2 < size && IsFrameType(pending_[p + 2])) {
      ++counts_.garbage_bytes;
      interval_corrupt_ = true;
      ++p;
      continue;
    }
    AddSample(DecodeBinaryCurrent(static_cast<uint16_t>(pending_[p] << 8 | pending_[p + 1])));
    p += 2;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(p));
}

}  // namespace hil::lpm01a
