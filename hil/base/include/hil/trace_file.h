// Capture files: a raw power trace as a CSV a person can open, or a compact
// binary file a program can read back exactly.
//
// CSV: a header line, then "time_s,current_a,voltage_v,logic" per sample;
// lost samples leave a jump in time_s and a "# gap" comment line saying how
// many.
//
// Binary (.hiltrace), little-endian:
//   header  "HILTRACE" | u32 version (1) | u32 0 | f64 sample rate (Hz)
//   blocks  u64 first sample index | u32 count | count x
//           (f64 current A, f32 voltage V, u8 logic)
// A block's first index says where it sits; lost samples are the indices
// no block covers.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "hil/power_probe.h"

namespace hil {

class TraceWriter {
 public:
  virtual ~TraceWriter() = default;
  // Appends a block; written through, so a capture cut short keeps what it
  // had. Errors: infrastructure (disk full, file gone).
  virtual Status Write(const SampleBlock& block) = 0;
  virtual Status Close() = 0;
};

enum class TraceFormat { kCsv, kBinary };

// The format a file name asks for: ".csv" is CSV, ".hiltrace" or ".bin"
// binary. Errors: configuration (another extension).
Result<TraceFormat> TraceFormatFor(const std::string& path);

// Errors: configuration (the file cannot be created).
Result<std::unique_ptr<TraceWriter>> OpenTraceWriter(const std::string& path, TraceFormat format,
                                                     double sample_rate_hz);

// Reads a binary trace block by block, so a trace of any length fits.
class TraceReader {
 public:
  // Errors: configuration (missing, not a trace, another version).
  static Result<std::unique_ptr<TraceReader>> Open(const std::string& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  double sample_rate_hz() const { return sample_rate_hz_; }
  // The next block; false at the end. Errors: configuration (truncated).
  Result<bool> Next(SampleBlock& block);

 private:
  TraceReader(std::string path, std::FILE* file, double sample_rate_hz);
  std::string path_;
  std::FILE* file_;
  double sample_rate_hz_;
  std::vector<uint8_t> record_;
};

// Reads a whole binary trace. Errors: configuration (not a trace, truncated).
struct Trace {
  double sample_rate_hz = 0;
  std::vector<SampleBlock> blocks;
};
Result<Trace> ReadBinaryTrace(const std::string& path);

}  // namespace hil
