#include "probes/ppk2/ppk2_probe.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace hil::ppk2 {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kMinRegulatorMv = 800, kMaxRegulatorMv = 5000;
// After AverageStop the device has no end marker: the stream is over once
// it has been quiet this long (or after the longer limit, if it never is).
constexpr milliseconds kQuietAfterStop{200};
constexpr milliseconds kStopLimit{3000};

bool IsText(uint8_t byte) { return byte == '\n' || byte == '\r' || (byte >= 0x20 && byte < 0x7F); }

// The metadata text ends with "END\n"; stale sample bytes can come before it.
// The text is the run of printable bytes that ends there. Returns the text
// and moves what followed it into rest.
std::optional<std::string> ExtractMetadataText(std::vector<uint8_t>& bytes,
                                               std::vector<uint8_t>& rest) {
  static constexpr char kEnd[] = "END\n";
  const auto end = std::search(bytes.begin(), bytes.end(), kEnd, kEnd + 4);
  if (end == bytes.end()) return std::nullopt;
  auto start = end;
  while (start != bytes.begin() && IsText(*(start - 1))) --start;
  rest.assign(end + 4, bytes.end());
  return std::string(start, end + 4);
}

std::vector<uint8_t> UserGainCommand(int range, float gain) {
  uint8_t arguments[5] = {static_cast<uint8_t>(range)};
  std::memcpy(arguments + 1, &gain, 4);  // float32 little-endian, as is the host
  return EncodeCommand(Opcode::kSetUserGains, arguments);
}

}  // namespace

Ppk2Probe::Ppk2Probe(Ppk2Options options)
    : StreamingProbe(options.queue_blocks), options_(std::move(options)) {
  info_.kind = "ppk2";
  info_.model = "Nordic Power Profiler Kit II";
  info_.uri = options_.uri;
  info_.sample_rate_hz = kSampleRateHz;
}

Ppk2Probe::~Ppk2Probe() { (void)Stop(); }

Status Ppk2Probe::Send(const std::vector<uint8_t>& bytes) { return stream_->Write(bytes); }

Result<Metadata> Ppk2Probe::ReadMetadata() {
  std::vector<uint8_t> received;
  for (int attempt = 1; attempt <= options_.metadata_attempts; ++attempt) {
    HIL_RETURN_IF_ERROR(Send(EncodeCommand(Opcode::kGetMetadata)));
    const Clock::time_point deadline = Clock::now() + options_.metadata_timeout;
    while (Clock::now() < deadline) {
      uint8_t buffer[4096];
      Result<size_t> n =
          stream_->Read(buffer, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      if (!n.ok()) return n.error().WithContext("PPK2 at " + options_.uri + ": reading metadata");
      CountBytes(*n);
      received.insert(received.end(), buffer, buffer + *n);
      // The metadata is a few hundred bytes: from a device that babbles,
      // keep only the tail it could end in.
      constexpr size_t kMostKept = 64 * 1024;
      if (received.size() > kMostKept) {
        received.erase(received.begin(), received.end() - static_cast<std::ptrdiff_t>(kMostKept));
      }
      if (std::optional<std::string> text = ExtractMetadataText(received, after_metadata_)) {
        Result<Metadata> metadata = ParseMetadata(*text);
        if (metadata.ok()) return metadata;
        return metadata.error().WithContext("PPK2 at " + options_.uri);
      }
    }
  }
  return InfrastructureError("PPK2 at " + options_.uri + " did not answer GetMetadata in " +
                             std::to_string(options_.metadata_attempts) + " attempts (" +
                             std::to_string(received.size()) +
                             " bytes came, none ending in END); is it a PPK2, and is it "
                             "already streaming to another program?");
}

Status Ppk2Probe::Open() {
  if (options_.supply_mv &&
      (*options_.supply_mv < kMinRegulatorMv || *options_.supply_mv > kMaxRegulatorMv)) {
    return ConfigurationError("PPK2 supply " + std::to_string(*options_.supply_mv) +
                              " mV is outside 800..5000 mV");
  }
  Result<std::unique_ptr<transport::ByteStream>> stream = transport::OpenByteStream(options_.uri);
  if (!stream.ok()) return stream.error().WithContext("PPK2");
  stream_ = std::move(*stream);
  if (!options_.record_path.empty()) {
    Result<std::unique_ptr<transport::ByteStream>> recorded =
        transport::RecordReads(std::move(stream_), options_.record_path);
    if (!recorded.ok()) return recorded.error();
    stream_ = std::move(*recorded);
  }
  Result<Metadata> metadata = ReadMetadata();
  if (!metadata.ok()) return metadata.error();
  metadata_ = *metadata;
  info_.model = "Nordic Power Profiler Kit II (HW " + metadata_.hw + ")";

  const uint32_t supply_mv = options_.supply_mv.value_or(metadata_.vdd_mv);
  if (supply_mv < kMinRegulatorMv || supply_mv > kMaxRegulatorMv) {
    return InfrastructureError("PPK2 at " + options_.uri + " reports VDD " +
                               std::to_string(metadata_.vdd_mv) +
                               " mV, outside 800..5000 mV; give the supply explicitly");
  }
  supply_v_ = supply_mv / 1000.0;
  info_.supply_v = supply_v_;
  // The vendor's order: regulator, user gains, power mode, DUT power.
  HIL_RETURN_IF_ERROR(Send(RegulatorSetCommand(supply_mv)));
  for (int range = 0; range < kRanges; ++range) {
    HIL_RETURN_IF_ERROR(
        Send(UserGainCommand(range, static_cast<float>(metadata_.calibration.ug[range]))));
  }
  const uint8_t mode = static_cast<uint8_t>(options_.mode);
  HIL_RETURN_IF_ERROR(Send(EncodeCommand(Opcode::kSetPowerMode, {&mode, 1})));
  HIL_RETURN_IF_ERROR(Send(EncodeCommand(options_.spike_filter ? Opcode::kSpikeFilteringOn
                                                               : Opcode::kSpikeFilteringOff)));
  return SetDutPower(options_.dut_power_on);
}

Status Ppk2Probe::SetDutPower(bool on) {
  if (stream_ == nullptr) return ConfigurationError("PPK2 is not open");
  const uint8_t argument = on ? 1 : 0;
  return Send(EncodeCommand(Opcode::kDeviceRunningSet, {&argument, 1}));
}

Status Ppk2Probe::BeginStream() {
  if (stream_ == nullptr) return ConfigurationError("PPK2 is not open");
  DecoderOptions decoder;
  decoder.calibration = metadata_.calibration;
  decoder.vdd_v = supply_v_;
  decoder.spike_filter = options_.spike_filter;
  decoder_ = std::make_unique<StreamDecoder>(decoder);  // filter state resets at AverageStart
  return Send(EncodeCommand(Opcode::kAverageStart));
}

Status Ppk2Probe::RequestEnd() { return Send(EncodeCommand(Opcode::kAverageStop)); }

Status Ppk2Probe::Acquire() {
  std::vector<uint8_t> buffer(64 * 1024);
  std::vector<SampleBlock> blocks;
  uint64_t garbage_reported = 0;
  auto hand_over = [&] {
    for (SampleBlock& block : blocks) Publish(std::move(block));
    blocks.clear();
    CountGarbage(decoder_->counts().garbage_bytes - garbage_reported);
    garbage_reported = decoder_->counts().garbage_bytes;
  };
  StreamEndTimer timer(kQuietAfterStop, kStopLimit, options_.stall_timeout);
  decoder_->Feed(after_metadata_, blocks);
  after_metadata_.clear();
  for (;;) {
    const StreamEndTimer::State state = timer.Check(stop_requested());
    if (state == StreamEndTimer::State::kOver) break;
    if (state == StreamEndTimer::State::kStalled) {
      decoder_->Finish(blocks);
      hand_over();
      return InfrastructureError("no samples for " + std::to_string(timer.stall_timeout().count()) +
                                 " ms after " + std::to_string(decoder_->counts().samples) +
                                 " samples: the PPK2 stopped streaming");
    }
    Result<size_t> n = stream_->Read(buffer, milliseconds(50));
    if (!n.ok()) {
      decoder_->Finish(blocks);
      hand_over();
      // After AverageStop, a closed connection is just the end.
      if (timer.stopping()) return OkStatus();
      return n.error().WithContext("stream ended after " +
                                   std::to_string(decoder_->counts().samples) + " samples");
    }
    if (*n > 0) {
      CountBytes(*n);
      const uint64_t before = decoder_->counts().samples;
      decoder_->Feed({buffer.data(), *n}, blocks);
      decoder_->Flush(blocks);
      hand_over();
      // Samples are progress; bytes that decode to none (garbage) are not,
      // or a babbling device would keep a capture alive forever.
      if (decoder_->counts().samples != before) timer.DataArrived();
    }
  }
  decoder_->Finish(blocks);
  hand_over();
  return OkStatus();
}

}  // namespace hil::ppk2
