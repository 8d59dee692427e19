// Turns the LPM01A's acquisition stream into sample blocks. Pure: bytes in,
// blocks out, in whatever pieces the transport delivers.
//
// The device reports no per-sample counter, only a timestamp once a second
// (a "TimeStamp:" line in ASCII, an F3 frame in binary). Samples are held
// until the next timestamp and checked against it: a second with fewer
// samples than the rate says becomes a block whose lost_inside says how many
// are missing somewhere in it. In binary, a stray byte shows as a frame that
// starts off the 2-byte grid; every sample of that second is then suspect,
// so the whole second is handed over as lost rather than as wrong values.
// ASCII "event N ris|fal" lines (D7) become logic events on line 7 and set
// bit 7 of the logic byte of the samples that follow.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hil/power_probe.h"

namespace hil::lpm01a {

enum class StreamFormat { kAscii, kBinary };

struct DecoderOptions {
  StreamFormat format = StreamFormat::kAscii;
  double rate_hz = 1000;
  double supply_v = 3.3;
};

struct DecoderCounts {
  uint64_t samples = 0;
  uint64_t lost_samples = 0;
  uint64_t garbage_bytes = 0;
  uint64_t surplus_samples = 0;  // more samples in a second than the rate allows
  uint64_t events = 0;
  // Timestamps that cannot be true (backwards, or a jump of more than
  // kLongestTimestampGapMs): ignored, so they invent no lost samples.
  uint64_t bad_timestamps = 0;
};

// The LPM01A stamps every second; a longer gap than this is a corrupt
// timestamp, not a minute of lost samples.
inline constexpr uint64_t kLongestTimestampGapMs = 60000;
// No line of the LPM01A's (a current, an event, a reply) is this long; a
// longer run without a line end is dropped as garbage as it arrives.
inline constexpr size_t kLongestAsciiLine = 256;

inline constexpr uint8_t kD7Line = 7;

class StreamDecoder {
 public:
  explicit StreamDecoder(const DecoderOptions& options);

  void Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out);
  // The stream is over: what is held back is handed over unchecked (no
  // timestamp followed it).
  void Finish(std::vector<SampleBlock>& out);

  // The device said the acquisition is over.
  bool completed() const { return completed_; }
  // Text the device put in the stream that is not data (acks, errors, info
  // frames, the end-of-acquisition summary), in order; taking clears it.
  std::vector<std::string> TakeMessages();
  size_t pending_messages() const { return messages_.size(); }

  const DecoderCounts& counts() const { return counts_; }

 private:
  void DecodeAscii(bool final);
  void DecodeBinary(bool final);
  void AsciiLine(std::string line);
  void AddSample(double amps);
  // A timestamp at elapsed_ms since the start: checks and hands over the
  // second it closes.
  void CloseInterval(uint64_t elapsed_ms, std::vector<SampleBlock>& out);
  void HandOver(uint64_t lost_inside, std::vector<SampleBlock>& out);

  DecoderOptions options_;
  std::vector<uint8_t> pending_;
  size_t scanned_ = 0;                       // ASCII: bytes of pending_ known to hold no line end
  std::vector<SampleBlock>* out_ = nullptr;  // during Feed
  SampleBlock interval_;                     // samples since the last timestamp
  bool interval_corrupt_ = false;
  uint64_t interval_garbage_ = 0;
  uint64_t last_timestamp_ms_ = 0;
  uint64_t next_index_ = 0;
  uint8_t logic_ = 0;
  bool completed_ = false;
  std::vector<std::string> messages_;
  DecoderCounts counts_;
};

}  // namespace hil::lpm01a
