// The PPK2 personality: binary opcodes, metadata text, 100 kHz 32-bit words
// with range, counter and logic inputs D0..D7.
#include <optional>
#include <string>

#include "probe_personality.h"
#include "probes/ppk2/codec.h"

namespace hil::virtual_bench {
namespace {

// The calibration block of one real PPK2 (protocols.md), defaults elsewhere.
ppk2::Metadata RealisticMetadata(double supply_v) {
  ppk2::Metadata metadata;
  metadata.calibrated = true;
  metadata.calibration.r[0] = 1003.35;
  metadata.calibration.gs[1] = 112.789;
  metadata.calibration.o[0] = 112.94;
  metadata.calibration.s[4] = 0.00294;
  metadata.calibration.i[4] = -0.00939;
  metadata.vdd_mv = static_cast<uint32_t>(supply_v * 1000.0 + 0.5);
  metadata.hw = "9173";
  metadata.mode = "2";
  metadata.ia = "56";
  return metadata;
}

class Ppk2Personality final : public ProbePersonality {
 public:
  explicit Ppk2Personality(double supply_v)
      : supply_v_(supply_v), metadata_(RealisticMetadata(supply_v)) {}

  Actions OnInput(std::vector<uint8_t>& input, std::vector<uint8_t>& reply) override {
    Actions actions;
    size_t used = 0;
    // Commands are an opcode and a fixed number of argument bytes.
    while (used < input.size()) {
      const std::optional<size_t> arguments = ppk2::ArgumentBytes(input[used]);
      if (!arguments) {
        ++used;  // an unknown opcode: the device ignores it
        continue;
      }
      if (used + 1 + *arguments > input.size()) break;
      const uint8_t* argument = &input[used + 1];
      switch (static_cast<ppk2::Opcode>(input[used])) {
        case ppk2::Opcode::kGetMetadata: {
          const std::string text = ppk2::FormatMetadata(metadata_);
          reply.insert(reply.end(), text.begin(), text.end());
          break;
        }
        case ppk2::Opcode::kAverageStart:
          actions.start = true;
          break;
        case ppk2::Opcode::kAverageStop:
          actions.stop = true;
          break;
        case ppk2::Opcode::kRegulatorSet:
          regulator_v_ = ((argument[0] << 8) | argument[1]) / 1000.0;
          break;
        case ppk2::Opcode::kSetPowerMode:
          source_meter_ = argument[0] == static_cast<uint8_t>(ppk2::PowerMode::kSourceMeter);
          break;
        default:
          // DeviceRunningSet, spike filtering, user gains, reset: accepted;
          // the modelled DUT is always powered and unfiltered.
          break;
      }
      used += 1 + *arguments;
    }
    input.erase(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(used));
    return actions;
  }

  uint64_t sample_period_ns() const override { return 10'000; }

  double ModelledAmps(const SyntheticSample& sample) const override {
    const double watts = sample.energy_pj * 1e-12 / (sample_period_ns() * 1e-9);
    return watts / Vdd();
  }

  void EncodeSample(const SyntheticSample& sample, uint64_t index,
                    std::vector<uint8_t>& out) override {
    const double vdd = Vdd();
    ppk2::Sample word = ppk2::AmpsToSample(ModelledAmps(sample), metadata_.calibration, vdd);
    word.counter = static_cast<uint8_t>(index & 0x3F);
    word.logic = sample.logic;
    const uint32_t encoded = ppk2::EncodeWord(word);
    for (int shift = 0; shift < 32; shift += 8)
      out.push_back(static_cast<uint8_t>(encoded >> shift));
  }

 private:
  // In source-meter mode the PPK2 supplies the DUT at the regulator voltage.
  double Vdd() const { return source_meter_ && regulator_v_ > 0 ? regulator_v_ : supply_v_; }

  double supply_v_;
  ppk2::Metadata metadata_;
  double regulator_v_ = 0;
  bool source_meter_ = false;
};

}  // namespace

std::unique_ptr<ProbePersonality> MakePpk2Personality(double supply_v) {
  return std::make_unique<Ppk2Personality>(supply_v);
}

}  // namespace hil::virtual_bench
