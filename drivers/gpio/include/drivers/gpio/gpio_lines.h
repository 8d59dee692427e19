// Host GPIO through libgpiod 1.6 (Debian 12): trigger inputs whose edges
// the kernel timestamps, and outputs that drive the DUT (reset, start).
//
// The EdgeSource role of design.md: when the DUT's trigger pins are wired to
// host GPIO instead of the probe's logic inputs, these edges (CLOCK_MONOTONIC
// kernel timestamps) are placed on the probe's timeline by
// measure::ClockSync, whose host clock is the same CLOCK_MONOTONIC.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hil/error.h"

struct gpiod_chip;
struct gpiod_line;

namespace hil::gpio {

struct HostEdge {
  size_t input = 0;  // index into the inputs given to WatchEdges
  bool rising = false;
  int64_t timestamp_ns = 0;  // the kernel's timestamp (CLOCK_MONOTONIC)
};

// CLOCK_MONOTONIC now, in nanoseconds: the clock of HostEdge timestamps.
int64_t MonotonicNowNs();

class GpioChip {
 public:
  // `chip`: /dev/gpiochipN, gpiochipN, N or the chip's label. Errors:
  // infrastructure (no such chip: names it, and says whether any chip
  // exists), naming the chip.
  static Result<std::unique_ptr<GpioChip>> Open(const std::string& chip,
                                                const std::string& consumer = "hil");
  ~GpioChip();
  GpioChip(const GpioChip&) = delete;
  GpioChip& operator=(const GpioChip&) = delete;

  std::string name() const;
  std::string label() const;
  unsigned line_count() const;

  // Whether the chip has the line (a name or an offset), without requesting
  // it. Errors as WatchEdges.
  Status HasLine(const std::string& line);

  // Requests both-edge events on each line (a line name, or an offset).
  // Errors: configuration (no such line: lists the chip's named lines),
  // infrastructure (the kernel refused, e.g. the line is busy).
  Status WatchEdges(const std::vector<std::string>& lines);

  // Waits up to `timeout` for edges on the watched lines and returns every
  // one that is waiting, oldest first per line. Empty when none came.
  // Errors: infrastructure (the chip went away).
  Result<std::vector<HostEdge>> ReadEdges(std::chrono::milliseconds timeout);

  // Requests an output line at `initial` level; returns its index for
  // SetOutput. Errors as WatchEdges.
  Result<size_t> AddOutput(const std::string& line, bool initial);
  Status SetOutput(size_t output, bool level);
  // Drives the output to `level` for `width`, then back.
  Status Pulse(size_t output, bool level, std::chrono::microseconds width);

 private:
  GpioChip() = default;
  Result<gpiod_line*> FindLine(const std::string& line);

  gpiod_chip* chip_ = nullptr;
  std::string consumer_;
  std::vector<gpiod_line*> inputs_;
  std::vector<std::string> input_names_;
  std::vector<gpiod_line*> outputs_;
  std::vector<bool> output_levels_;
};

}  // namespace hil::gpio
