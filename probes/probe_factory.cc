#include "probes/probe_factory.h"

#include "probes/js110/js110_probe.h"
#include "probes/lpm01a/lpm01a_probe.h"
#include "probes/ppk2/ppk2_probe.h"

namespace hil::probes {

const std::vector<std::string>& ProbeKinds() {
  static const std::vector<std::string> kinds = {"ppk2", "lpm01a", "js110"};
  return kinds;
}

Result<std::unique_ptr<PowerProbe>> MakeProbe(const ProbeSettings& settings) {
  if (settings.uri.empty()) return ConfigurationError("no connection string for the probe");
  if (settings.kind == "ppk2") {
    if (settings.rate_hz && *settings.rate_hz != ppk2::kSampleRateHz) {
      return ConfigurationError("the PPK2 samples at a fixed 100 kHz; drop the rate setting");
    }
    if (settings.binary) return ConfigurationError("the binary stream setting is for the LPM01A");
    ppk2::Ppk2Options options;
    options.uri = settings.uri;
    options.supply_mv = settings.supply_mv;
    options.mode =
        settings.source_meter ? ppk2::PowerMode::kSourceMeter : ppk2::PowerMode::kAmpereMeter;
    if (settings.source_meter && !settings.supply_mv) {
      return ConfigurationError(
          "a PPK2 in source-meter mode needs the supply voltage it should set (e.g. 3300 mV)");
    }
    options.spike_filter = settings.spike_filter;
    options.record_path = settings.record_path;
    return std::unique_ptr<PowerProbe>(new ppk2::Ppk2Probe(options));
  }
  if (settings.kind == "lpm01a") {
    if (settings.source_meter || settings.spike_filter) {
      return ConfigurationError("source-meter mode and the spike filter are PPK2 settings");
    }
    lpm01a::Lpm01aOptions options;
    options.uri = settings.uri;
    options.format = settings.binary ? lpm01a::StreamFormat::kBinary : lpm01a::StreamFormat::kAscii;
    if (settings.rate_hz) {
      options.rate_hz = *settings.rate_hz;
    } else if (settings.binary) {
      options.rate_hz = 100'000;
    }
    if (settings.supply_mv) options.supply_mv = *settings.supply_mv;
    options.record_path = settings.record_path;
    return std::unique_ptr<PowerProbe>(new lpm01a::Lpm01aProbe(options));
  }
  if (settings.kind == "js110") {
    if (settings.source_meter || settings.spike_filter || settings.binary || settings.rate_hz ||
        !settings.record_path.empty()) {
      return ConfigurationError(
          "the JS110 takes none of: source meter, spike filter, LPM01A format, rate, raw "
          "recording (it is a USB device, not a byte stream)");
    }
    js110::Js110Options options;
    options.uri = settings.uri;
    return std::unique_ptr<PowerProbe>(new js110::Js110Probe(options));
  }
  std::string known;
  for (const std::string& kind : ProbeKinds()) known += (known.empty() ? "" : ", ") + kind;
  return ConfigurationError("unknown probe kind '" + settings.kind + "'; known: " + known);
}

}  // namespace hil::probes
