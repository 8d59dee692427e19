// The LPM01A personality: ASCII commands answered with "ack" or "error", a
// configurable sample rate, ASCII (MMMM-EE lines, event lines for D7 edges,
// a TimeStamp line a second) or binary (16-bit words, metadata frames)
// streams. D7 is wired to the harness's timestamp pin, as MLPerf Tiny's
// energy mode expects.
#include <cmath>
#include <cstdio>
#include <string>

#include "probe_personality.h"
#include "probes/lpm01a/codec.h"

namespace hil::virtual_bench {
namespace {

constexpr uint8_t kD7Pin = 1u << 2;  // the timestamp pin's logic bit
constexpr double kAsciiMaxHz = 5'000;

bool AllowedFrequency(double hz) {
  for (double allowed : {100e3, 50e3, 20e3, 10e3, 5e3, 2e3, 1e3, 500.0, 200.0, 100.0, 50.0, 20.0,
                         10.0, 5.0, 2.0, 1.0}) {
    if (hz == allowed) return true;
  }
  return false;
}

class Lpm01aPersonality final : public ProbePersonality {
 public:
  explicit Lpm01aPersonality(double supply_v) : supply_v_(supply_v) {}

  Actions OnInput(std::vector<uint8_t>& input, std::vector<uint8_t>& reply) override {
    Actions actions;
    for (;;) {
      size_t newline = 0;
      while (newline < input.size() && input[newline] != '\n') ++newline;
      if (newline == input.size()) break;
      const std::string line(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(newline));
      input.erase(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(newline) + 1);
      const std::vector<std::string> words = lpm01a::SplitCommand(line);
      if (words.empty()) continue;
      Handle(words, actions, reply);
    }
    return actions;
  }

  uint64_t sample_period_ns() const override {
    return static_cast<uint64_t>(1e9 / frequency_hz_ + 0.5);
  }

  void OnStart() override { events_ = 0; }

  double ModelledAmps(const SyntheticSample& sample) const override {
    const double watts = sample.energy_pj * 1e-12 / (sample_period_ns() * 1e-9);
    return watts / supply_v_;
  }

  void EncodeSample(const SyntheticSample& sample, uint64_t index,
                    std::vector<uint8_t>& out) override {
    const double amps = ModelledAmps(sample);
    const uint64_t per_second = static_cast<uint64_t>(frequency_hz_);
    if (binary_) {
      const uint16_t word = lpm01a::EncodeBinaryCurrent(amps);
      out.push_back(static_cast<uint8_t>(word >> 8));
      out.push_back(static_cast<uint8_t>(word & 0xFF));
      if ((index + 1) % per_second == 0) {
        const auto frame =
            lpm01a::TimestampFrame(static_cast<uint32_t>((index + 1) * 1000 / per_second), 0);
        out.insert(out.end(), frame.begin(), frame.end());
      }
    } else {
      // Edges inside this sample are announced before the sample's value,
      // in the order they happened: a pin that ends high fell first.
      const bool rose = sample.rose & kD7Pin, fell = sample.fell & kD7Pin;
      const bool ends_high = sample.logic & kD7Pin;
      if (fell && (!rose || ends_high)) AppendEvent(out, "fal");
      if (rose) AppendEvent(out, "ris");
      if (fell && rose && !ends_high) AppendEvent(out, "fal");
      Append(out, lpm01a::FormatAsciiCurrent(amps));
      if ((index + 1) % per_second == 0) {
        char text[64];
        std::snprintf(text, sizeof(text), "TimeStamp: %llus 000ms, buff 00%%",
                      static_cast<unsigned long long>((index + 1) / per_second));
        Append(out, text);
      }
    }
  }

  void OnStop(std::vector<uint8_t>& out) override {
    if (binary_) {
      const auto frame =
          lpm01a::TextFrame(lpm01a::FrameType::kEndOfAcquisition, "Acquisition completed");
      out.insert(out.end(), frame.begin(), frame.end());
    } else {
      Append(out, "Acquisition completed");
    }
  }

 private:
  static void Append(std::vector<uint8_t>& out, const std::string& line) {
    out.insert(out.end(), line.begin(), line.end());
    out.push_back('\r');
    out.push_back('\n');
  }

  void AppendEvent(std::vector<uint8_t>& out, const char* edge) {
    Append(out, "event " + std::to_string(++events_) + " " + edge);
  }

  void Ack(std::vector<uint8_t>& reply, const std::string& what) {
    Append(reply, std::string(lpm01a::kPrompt) + "ack " + what);
  }

  void Refuse(std::vector<uint8_t>& reply, const std::string& what, const std::string& detail) {
    Append(reply, std::string(lpm01a::kPrompt) + "error " + what);
    Append(reply, "Error detail: " + detail);
  }

  void Handle(const std::vector<std::string>& words, Actions& actions,
              std::vector<uint8_t>& reply) {
    const std::string& command = words[0];
    const std::string argument = words.size() > 1 ? words[1] : "";
    std::string whole = command;
    for (size_t i = 1; i < words.size(); ++i) whole += " " + words[i];
    if (command == "htc") {
      host_control_ = true;
      return Ack(reply, whole);
    }
    if (command == "version") return Ack(reply, "version hil-virtual-lpm01a 1");
    if (command == "status") return Ack(reply, "status ok");
    if (!host_control_) return Refuse(reply, whole, "host control not taken: send htc first");
    if (command == "hrc") {
      host_control_ = false;
      return Ack(reply, whole);
    }
    if (command == "stop") {
      actions.stop = true;
      return Ack(reply, whole);
    }
    if (command == "start") {
      if (!binary_ && frequency_hz_ > kAsciiMaxHz) {
        return Refuse(reply, whole, "ascii_dec streams at most 5 kHz; use format bin_hexa");
      }
      actions.start = true;
      return Ack(reply, whole);
    }
    if (command == "volt") {
      if (argument == "get")
        return Ack(reply, "volt " + std::to_string(static_cast<int>(supply_v_ * 1000 + 0.5)) + "m");
      const auto volts = lpm01a::ParseSuffixedNumber(argument);
      // Compare whole millivolts: "3300m" parses to a hair above 3.3.
      const long millivolts = volts ? std::lround(*volts * 1000) : 0;
      if (millivolts < 1800 || millivolts > 3300) {
        return Refuse(reply, whole, "volt takes 1800m..3300m");
      }
      supply_v_ = static_cast<double>(millivolts) / 1000.0;
      return Ack(reply, whole);
    }
    if (command == "freq") {
      const auto hz = lpm01a::ParseSuffixedNumber(argument);
      if (!hz || !AllowedFrequency(*hz))
        return Refuse(reply, whole, "freq takes 100k, 50k, 20k, 10k, 5k, 2k, 1k, 500 ... 1");
      frequency_hz_ = *hz;
      return Ack(reply, whole);
    }
    if (command == "format") {
      if (argument != "ascii_dec" && argument != "bin_hexa")
        return Refuse(reply, whole, "format takes ascii_dec or bin_hexa");
      binary_ = argument == "bin_hexa";
      return Ack(reply, whole);
    }
    if (command == "output") {
      if (argument != "current")
        return Refuse(reply, whole, "the virtual LPM01A streams current only");
      return Ack(reply, whole);
    }
    // Accepted and without effect on the model: acquisition time, modes,
    // trigger and event sources, power switch, reset.
    for (const char* accepted :
         {"acqtime", "acqmode", "funcmode", "trigsrc", "trigdelay", "eventsrc", "pwr", "psrst"}) {
      if (command == accepted) return Ack(reply, whole);
    }
    Refuse(reply, whole, "unknown command '" + command + "'");
  }

  double supply_v_;
  double frequency_hz_ = 1'000;
  bool binary_ = false;
  bool host_control_ = false;
  uint64_t events_ = 0;
};

}  // namespace

std::unique_ptr<ProbePersonality> MakeLpm01aPersonality(double supply_v) {
  return std::make_unique<Lpm01aPersonality>(supply_v);
}

}  // namespace hil::virtual_bench
