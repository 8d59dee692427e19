#include "probes/lpm01a/lpm01a_probe.h"

#include <algorithm>
#include <cmath>

#include "probes/lpm01a/codec.h"

namespace hil::lpm01a {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kStopLimit{3000};
constexpr milliseconds kQuietAfterStop{500};
constexpr double kAsciiMaxHz = 5000;

// "PowerShield > ack volt 3300m" -> "ack volt 3300m"
std::string WithoutPrompt(const std::string& line) {
  const size_t at = line.find(kPrompt);
  return at == std::string::npos ? line : line.substr(at + kPrompt.size());
}

}  // namespace

std::string FrequencyArgument(double hz) {
  const long whole = std::lround(hz);
  if (whole >= 1000 && whole % 1000 == 0) return std::to_string(whole / 1000) + "k";
  return std::to_string(whole);
}

Lpm01aProbe::Lpm01aProbe(Lpm01aOptions options)
    : StreamingProbe(options.queue_blocks), options_(std::move(options)) {
  info_.kind = "lpm01a";
  info_.model = "ST X-NUCLEO-LPM01A";
  info_.uri = options_.uri;
  info_.sample_rate_hz = options_.rate_hz;
  info_.supply_v = options_.supply_mv / 1000.0;
}

Lpm01aProbe::~Lpm01aProbe() { (void)Stop(); }

Result<std::optional<std::string>> Lpm01aProbe::ReadLine(Clock::time_point deadline) {
  for (;;) {
    const auto newline = std::find(line_buffer_.begin(), line_buffer_.end(), '\n');
    if (newline != line_buffer_.end()) {
      std::string line(line_buffer_.begin(), newline);
      line_buffer_.erase(line_buffer_.begin(), newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return std::optional<std::string>(std::move(line));
    }
    // Replies are short lines: a device that sends this much without a
    // line end is not speaking the LPM01A's protocol.
    constexpr size_t kLongestLine = 4096;
    if (line_buffer_.size() > kLongestLine) {
      return InfrastructureError("the LPM01A at " + options_.uri + " sent " +
                                 std::to_string(line_buffer_.size()) +
                                 " bytes without a line end: is it an LPM01A, at the right baud "
                                 "rate?");
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return std::optional<std::string>();
    uint8_t buffer[512];
    Result<size_t> n =
        stream_->Read(buffer, std::chrono::duration_cast<milliseconds>(deadline - now));
    if (!n.ok()) return n.error();
    CountBytes(*n);
    line_buffer_.insert(line_buffer_.end(), buffer, buffer + *n);
  }
}

Result<std::string> Lpm01aProbe::Command(const std::string& command) {
  if (stream_ == nullptr) return ConfigurationError("LPM01A is not open");
  // Output the device queued earlier (a stream's tail, an old reply) would
  // otherwise be read as this command's answer. A replay has no such
  // output: what was read ahead there is this command's reply.
  if (!stream_->replays()) line_buffer_.clear();
  HIL_RETURN_IF_ERROR(stream_->Drain());
  HIL_RETURN_IF_ERROR(stream_->Write(command + "\n"));
  const std::string context = "LPM01A at " + options_.uri + ", command '" + command + "'";
  const Clock::time_point deadline = Clock::now() + options_.command_timeout;
  for (;;) {
    Result<std::optional<std::string>> line = ReadLine(deadline);
    if (!line.ok()) return line.error().WithContext(context);
    if (!line->has_value()) {
      return InfrastructureError(context + ": no answer in " +
                                 std::to_string(options_.command_timeout.count()) + " ms");
    }
    const std::string reply = WithoutPrompt(**line);
    if (reply.rfind("ack", 0) == 0) {
      // "ack volt get 3300m" or "ack volt 3300m": the value is what follows
      // the command's own words.
      std::string value = reply.size() > 4 ? reply.substr(4) : "";
      if (value.rfind(command, 0) == 0) value.erase(0, command.size());
      value.erase(0, value.find_first_not_of(' '));
      return value;
    }
    if (reply.rfind("error", 0) == 0) {
      std::string detail = reply;
      Result<std::optional<std::string>> next = ReadLine(Clock::now() + milliseconds(200));
      if (next.ok() && next->has_value() && (*next)->rfind("Error detail:", 0) == 0) {
        detail = (*next)->substr(13);
        detail.erase(0, detail.find_first_not_of(' '));
      }
      return ConfigurationError(context + " refused: " + detail);
    }
    // Anything else is a leftover of earlier output: skip it.
  }
}

Status Lpm01aProbe::Open() {
  if (options_.supply_mv < 1800 || options_.supply_mv > 3300) {
    return ConfigurationError("LPM01A supply " + std::to_string(options_.supply_mv) +
                              " mV is outside 1800..3300 mV");
  }
  if (options_.format == StreamFormat::kAscii && options_.rate_hz > kAsciiMaxHz) {
    return ConfigurationError("LPM01A ASCII streams at most 5 kHz; asked for " +
                              FrequencyArgument(options_.rate_hz) +
                              " (use the binary format for up to 100 kHz, without D7 events)");
  }
  Result<std::unique_ptr<transport::ByteStream>> stream = transport::OpenByteStream(options_.uri);
  if (!stream.ok()) return stream.error().WithContext("LPM01A");
  stream_ = std::move(*stream);
  if (!options_.record_path.empty()) {
    Result<std::unique_ptr<transport::ByteStream>> recorded =
        transport::RecordReads(std::move(stream_), options_.record_path);
    if (!recorded.ok()) return recorded.error();
    stream_ = std::move(*recorded);
  }
  HIL_RETURN_IF_ERROR(Command("htc"));
  Result<std::string> version = Command("version");
  if (version.ok() && !version->empty()) info_.model = "ST X-NUCLEO-LPM01A (" + *version + ")";
  const std::string format = options_.format == StreamFormat::kAscii ? "ascii_dec" : "bin_hexa";
  for (const std::string& command :
       {"format " + format, "freq " + FrequencyArgument(options_.rate_hz),
        "volt " + std::to_string(options_.supply_mv) + "m", std::string("acqtime 0"),
        std::string("output current"), std::string("trigsrc sw"), std::string("eventsrc d7 fal")}) {
    Result<std::string> acked = Command(command);
    if (!acked.ok()) return acked.error();
  }
  return OkStatus();
}

Status Lpm01aProbe::SetDutPower(bool on) {
  Result<std::string> acked = Command(on ? "pwr on" : "pwr off");
  return acked.ok() ? OkStatus() : Status(acked.error());
}

Status Lpm01aProbe::BeginStream() {
  DecoderOptions decoder;
  decoder.format = options_.format;
  decoder.rate_hz = options_.rate_hz;
  decoder.supply_v = options_.supply_mv / 1000.0;
  decoder_ = std::make_unique<StreamDecoder>(decoder);
  Result<std::string> acked = Command("start");
  return acked.ok() ? OkStatus() : Status(acked.error());
}

Status Lpm01aProbe::RequestEnd() { return stream_->Write(std::string_view("stop\n")); }

Status Lpm01aProbe::Acquire() {
  std::vector<SampleBlock> blocks;
  uint64_t garbage_reported = 0;
  auto hand_over = [&] {
    for (SampleBlock& block : blocks) Publish(std::move(block));
    blocks.clear();
    CountGarbage(decoder_->counts().garbage_bytes - garbage_reported);
    garbage_reported = decoder_->counts().garbage_bytes;
  };
  // What came right after the ack of "start" is already the stream.
  decoder_->Feed(line_buffer_, blocks);
  line_buffer_.clear();
  hand_over();
  std::vector<uint8_t> buffer(16 * 1024);
  StreamEndTimer timer(kQuietAfterStop, kStopLimit, options_.stall_timeout);
  for (;;) {
    const StreamEndTimer::State state = timer.Check(stop_requested());
    if (state == StreamEndTimer::State::kOver) break;
    if (state == StreamEndTimer::State::kStalled) {
      decoder_->Finish(blocks);
      hand_over();
      return InfrastructureError("no data for " + std::to_string(timer.stall_timeout().count()) +
                                 " ms after " + std::to_string(decoder_->counts().samples) +
                                 " samples: the LPM01A stopped streaming");
    }
    Result<size_t> n = stream_->Read(buffer, milliseconds(50));
    if (!n.ok()) {
      decoder_->Finish(blocks);
      hand_over();
      if (timer.stopping()) return OkStatus();
      return n.error().WithContext("stream ended after " +
                                   std::to_string(decoder_->counts().samples) + " samples");
    }
    if (*n == 0) continue;
    CountBytes(*n);
    const uint64_t before = decoder_->counts().samples + decoder_->counts().events;
    const size_t messages = decoder_->pending_messages();
    decoder_->Feed({buffer.data(), *n}, blocks);
    hand_over();
    // Samples, events and replies are progress; garbage is not, or a
    // babbling device would keep a capture alive forever.
    if (decoder_->counts().samples + decoder_->counts().events != before ||
        decoder_->pending_messages() != messages) {
      timer.DataArrived();
    }
    for (const std::string& message : decoder_->TakeMessages()) {
      if (WithoutPrompt(message).rfind("error", 0) == 0 && !timer.stopping()) {
        decoder_->Finish(blocks);
        hand_over();
        return InfrastructureError("the LPM01A reported: " + message);
      }
    }
    if (decoder_->completed()) break;
  }
  decoder_->Finish(blocks);
  hand_over();
  return OkStatus();
}

}  // namespace hil::lpm01a
