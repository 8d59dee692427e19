// The MLPerf Tiny / EEMBC DUT protocol as data: how replies are classified
// and how the reply lines of each command are read. Pure: no I/O. The harness
// side is documented in firmware/PROTOCOL.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hil/error.h"

namespace hil::dut {

// The largest command the protocol allows, '%' included.
inline constexpr size_t kMaxCommandBytes = 80;
// Data bytes per "db" command, as the MLPerf Tiny runner sends them.
inline constexpr size_t kDbBytesPerCommand = 31;

enum class LineKind {
  kReady,     // "m-ready": the command is complete
  kError,     // "e-[...]": the DUT rejected the command
  kBoot,      // "m-init-done" or "m-timestamp-mode-...": the DUT (re)booted
  kProtocol,  // any other "m-..." line
  kText,      // anything else (help text, or noise that looked printable)
};

LineKind ClassifyLine(std::string_view line);

// Everything the DUT said in answer to one command, m-ready excluded.
struct Reply {
  std::string command;
  std::vector<std::string> lines;   // kProtocol lines, in order
  std::vector<std::string> errors;  // contents of e-[...] lines
  std::vector<std::string> text;    // kText lines

  bool rejected() const { return !errors.empty(); }

  // The text inside the brackets of the first line "PREFIX[...]".
  std::optional<std::string> Bracketed(std::string_view prefix) const;
  // Same, for every such line.
  std::vector<std::string> AllBracketed(std::string_view prefix) const;
  // The rest of the first line that starts with prefix.
  std::optional<std::string> After(std::string_view prefix) const;
};

struct Profile {
  std::string profile;  // e.g. "ulp-mlperf"
  std::string model;    // e.g. "kws01"
};

// hil-info% (an hil extension; absent on plain MLPerf Tiny firmware).
struct HarnessInfo {
  std::string protocol;
  std::string board;
  std::string core;
  uint32_t clock_hz = 0;
  std::string workload;
  std::string kernels;
  std::string build_flags;
  std::string window_style;
  uint32_t db_capacity = 0;
  uint32_t input_bytes = 0;
  // Working memory the network used (m-hil-info-arena-bytes; optional):
  // TFLM's arena_used_bytes, or hil's planned arena. 0 when not reported.
  uint32_t arena_bytes = 0;
};

struct Layer {
  uint32_t index = 0;
  std::string op;
  uint64_t macs = 0;
};

enum class WindowStyle { kPerInference, kTimestamp };
std::string_view WindowStyleName(WindowStyle style);

// One "infer N W" run.
struct InferenceRun {
  uint32_t inferences = 0;
  uint32_t warmups = 0;
  // The firmware timer at the window's start and end (m-lap-us), if printed.
  std::optional<uint64_t> lap_start_us;
  std::optional<uint64_t> lap_end_us;
  // Per-inference durations by the firmware timer (hil extension).
  std::vector<uint32_t> inference_us;
  std::vector<float> results;
  // The same outputs as the network computed them (m-hil-raw-[...], int8
  // values), when the workload reports them.
  std::vector<int32_t> raw;
};

// Parsers of each command's reply. A reply that does not follow the protocol
// is an infrastructure error naming what is missing or malformed: the
// firmware on the DUT does not speak the protocol the host expects.
Result<std::string> ParseName(const Reply& reply);
Result<Profile> ParseProfile(const Reply& reply);
Result<HarnessInfo> ParseHarnessInfo(const Reply& reply);
Result<std::vector<Layer>> ParseLayers(const Reply& reply);
Result<std::vector<uint8_t>> ParseBufferPrint(const Reply& reply);
Result<std::vector<float>> ParseResults(const Reply& reply);
Result<InferenceRun> ParseInference(const Reply& reply, uint32_t inferences, uint32_t warmups);

// "db HEX" commands that carry data in chunks of kDbBytesPerCommand.
std::vector<std::string> DbChunkCommands(const std::vector<uint8_t>& data);

}  // namespace hil::dut
