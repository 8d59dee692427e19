#include "drivers/gpio/gpio_lines.h"

#include <fcntl.h>
#include <gpiod.h>
#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace hil::gpio {
namespace {

bool AllDigits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string ChipsPresent() {
  std::string found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("gpiochip", 0) == 0) found += (found.empty() ? "" : ", ") + name;
  }
  return found.empty() ? "this host has no GPIO chip" : "chips here: " + found;
}

}  // namespace

int64_t MonotonicNowNs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

Result<std::unique_ptr<GpioChip>> GpioChip::Open(const std::string& chip,
                                                 const std::string& consumer) {
  std::unique_ptr<GpioChip> opened(new GpioChip());
  opened->consumer_ = consumer;
  errno = 0;
  opened->chip_ = ::gpiod_chip_open_lookup(chip.c_str());
  if (opened->chip_ == nullptr) {
    const int error = errno;
    return InfrastructureError("cannot open GPIO chip '" + chip +
                               "': " + (error != 0 ? std::strerror(error) : "not found") + " (" +
                               ChipsPresent() + ")");
  }
  return opened;
}

GpioChip::~GpioChip() {
  // Closing the chip releases every line it requested.
  if (chip_ != nullptr) ::gpiod_chip_close(chip_);
}

std::string GpioChip::name() const { return ::gpiod_chip_name(chip_); }
std::string GpioChip::label() const { return ::gpiod_chip_label(chip_); }
unsigned GpioChip::line_count() const { return ::gpiod_chip_num_lines(chip_); }

Result<gpiod_line*> GpioChip::FindLine(const std::string& line) {
  gpiod_line* found = nullptr;
  if (AllDigits(line)) {
    const unsigned long offset = std::stoul(line);
    if (offset < line_count()) found = ::gpiod_chip_get_line(chip_, static_cast<unsigned>(offset));
  } else {
    found = ::gpiod_chip_find_line(chip_, line.c_str());
  }
  if (found != nullptr) return found;
  std::string named;
  for (unsigned i = 0; i < line_count(); ++i) {
    gpiod_line* candidate = ::gpiod_chip_get_line(chip_, i);
    const char* candidate_name = candidate != nullptr ? ::gpiod_line_name(candidate) : nullptr;
    if (candidate_name != nullptr && *candidate_name != '\0') {
      named += (named.empty() ? "" : ", ") + std::string(candidate_name);
    }
  }
  return ConfigurationError("GPIO chip " + name() + " (" + label() + ") has no line '" + line +
                            "'; give an offset 0.." + std::to_string(line_count() - 1) +
                            (named.empty() ? "" : " or a name: " + named));
}

Status GpioChip::HasLine(const std::string& line) {
  Result<gpiod_line*> found = FindLine(line);
  return found.ok() ? OkStatus() : Status(found.error());
}

Status GpioChip::WatchEdges(const std::vector<std::string>& lines) {
  for (const std::string& wanted : lines) {
    Result<gpiod_line*> line = FindLine(wanted);
    if (!line.ok()) return line.error();
    if (::gpiod_line_request_both_edges_events(*line, consumer_.c_str()) != 0) {
      const char* owner = ::gpiod_line_consumer(*line);
      return InfrastructureError("cannot watch GPIO line '" + wanted + "' on " + name() + ": " +
                                 std::strerror(errno) +
                                 (owner != nullptr ? std::string(" (used by ") + owner + ")" : ""));
    }
    // Non-blocking reads: a wake-up without an event never hangs the reader.
    const int fd = ::gpiod_line_event_get_fd(*line);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    inputs_.push_back(*line);
    input_names_.push_back(wanted);
  }
  return OkStatus();
}

Result<std::vector<HostEdge>> GpioChip::ReadEdges(std::chrono::milliseconds timeout) {
  std::vector<HostEdge> edges;
  if (inputs_.empty()) return edges;
  const auto end = std::chrono::steady_clock::now() + timeout;
  std::vector<pollfd> watched(inputs_.size());
  for (;;) {
    for (size_t i = 0; i < inputs_.size(); ++i) {
      watched[i] = {::gpiod_line_event_get_fd(inputs_[i]), POLLIN, 0};
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    const int ready = ::poll(watched.data(), watched.size(),
                             static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno != EINTR) {
      return InfrastructureError(std::string("waiting for GPIO edges: ") + std::strerror(errno));
    }
    for (size_t i = 0; ready > 0 && i < inputs_.size(); ++i) {
      if ((watched[i].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        return InfrastructureError("GPIO line '" + input_names_[i] + "' on " + name() +
                                   " went away");
      }
      if ((watched[i].revents & POLLIN) == 0) continue;
      gpiod_line_event events[16];
      const int got = ::gpiod_line_event_read_fd_multiple(watched[i].fd, events, 16);
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return InfrastructureError("reading GPIO line '" + input_names_[i] +
                                   "': " + std::strerror(errno));
      }
      for (int k = 0; k < got; ++k) {
        edges.push_back(
            {i, events[k].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
             static_cast<int64_t>(events[k].ts.tv_sec) * 1'000'000'000 + events[k].ts.tv_nsec});
      }
    }
    if (!edges.empty() || std::chrono::steady_clock::now() >= end) return edges;
    // Readable without an event (a spurious wake-up): do not spin.
    if (ready > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<size_t> GpioChip::AddOutput(const std::string& wanted, bool initial) {
  Result<gpiod_line*> line = FindLine(wanted);
  if (!line.ok()) return line.error();
  if (::gpiod_line_request_output(*line, consumer_.c_str(), initial ? 1 : 0) != 0) {
    return InfrastructureError("cannot drive GPIO line '" + wanted + "' on " + name() + ": " +
                               std::strerror(errno));
  }
  outputs_.push_back(*line);
  output_levels_.push_back(initial);
  return outputs_.size() - 1;
}

Status GpioChip::SetOutput(size_t output, bool level) {
  if (output >= outputs_.size()) return ConfigurationError("no such GPIO output");
  if (::gpiod_line_set_value(outputs_[output], level ? 1 : 0) != 0) {
    return InfrastructureError("cannot set GPIO line " +
                               std::to_string(::gpiod_line_offset(outputs_[output])) + ": " +
                               std::strerror(errno));
  }
  output_levels_[output] = level;
  return OkStatus();
}

Status GpioChip::Pulse(size_t output, bool level, std::chrono::microseconds width) {
  HIL_RETURN_IF_ERROR(SetOutput(output, level));
  std::this_thread::sleep_for(width);
  return SetOutput(output, !level);
}

}  // namespace hil::gpio
