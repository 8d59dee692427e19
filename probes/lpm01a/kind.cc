// The LPM01A's entry in the probe table.
#include "probes/lpm01a/lpm01a_probe.h"
#include "probes/probe_kind.h"

namespace hil::probes::kinds {

ProbeKind lpm01a() {
  ProbeKind kind;
  kind.name = "lpm01a";
  kind.label = "LPM01A";
  kind.model = "ST X-NUCLEO-LPM01A";
  kind.attachment = Attachment::kSerialPort;
  kind.usb = {
      {0x0483, 0x5740, "0483:5740 is ST's generic virtual COM port: other ST boards share it"}};
  kind.connect_example = "serial:/dev/ttyACM0@3686400";
  // It reports edges of its D7 input only, as events: the timestamp pin of
  // MLPerf Tiny's energy mode.
  kind.edges = EdgeReport::kEvents;
  kind.inputs = {"D7"};
  kind.timestamp_input = "D7";
  kind.supply = ProbeKind::DutSupply::kAlways;
  kind.settings = {
      SettingSpec::Number(
          "rate_hz", "samples per second: up to 5000 in ascii, up to 100000 in binary", 1, 100000),
      SettingSpec::Choice("format",
                          "the stream: ascii (with D7 events) or binary (up to 100 kHz, no events)",
                          {"ascii", "binary"}),
  };
  kind.virtual_twin = true;
  kind.make = [](const ProbeSettings& settings) -> Result<std::unique_ptr<PowerProbe>> {
    lpm01a::Lpm01aOptions options;
    options.uri = settings.uri;
    const bool binary = ChoiceSetting(settings, "format", "ascii") == "binary";
    options.format = binary ? lpm01a::StreamFormat::kBinary : lpm01a::StreamFormat::kAscii;
    if (const std::optional<double> rate = NumberSetting(settings, "rate_hz")) {
      options.rate_hz = *rate;
    } else if (binary) {
      options.rate_hz = 100'000;
    }
    if (settings.supply_mv) options.supply_mv = *settings.supply_mv;
    options.record_path = settings.record_path;
    return std::unique_ptr<PowerProbe>(new lpm01a::Lpm01aProbe(options));
  };
  return kind;
}

}  // namespace hil::probes::kinds
