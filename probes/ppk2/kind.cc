// The PPK2's entry in the probe table.
#include "probes/ppk2/ppk2_probe.h"
#include "probes/probe_kind.h"

namespace hil::probes::kinds {

ProbeKind ppk2() {
  ProbeKind kind;
  kind.name = "ppk2";
  kind.label = "PPK2";
  kind.model = "Nordic Power Profiler Kit II";
  kind.attachment = Attachment::kSerialPort;
  kind.usb = {{0x1915, 0xC00A, ""}};
  kind.connect_example = "serial:/dev/ttyACM0";
  kind.edges = EdgeReport::kSampled;
  kind.inputs = {"D0", "D1", "D2", "D3", "D4", "D5", "D6", "D7"};
  kind.inference_input = "D0";
  kind.layer_input = "D1";
  kind.timestamp_input = "D2";
  kind.supply = ProbeKind::DutSupply::kWhenSet;
  kind.supply_setting = "source_meter";
  kind.settings = {
      SettingSpec::Flag("source_meter",
                        "supply the DUT at supply_mv (source-meter mode) instead of measuring its "
                        "own supply"),
      SettingSpec::Flag("spike_filter",
                        "smooth the samples after a range switch, as the vendor app does"),
  };
  kind.virtual_twin = true;
  kind.make = [](const ProbeSettings& settings) -> Result<std::unique_ptr<PowerProbe>> {
    ppk2::Ppk2Options options;
    options.uri = settings.uri;
    options.supply_mv = settings.supply_mv;
    const bool source_meter = FlagSetting(settings, "source_meter");
    options.mode = source_meter ? ppk2::PowerMode::kSourceMeter : ppk2::PowerMode::kAmpereMeter;
    if (source_meter && !settings.supply_mv) {
      return ConfigurationError(
          "a PPK2 in source-meter mode needs the supply voltage it should set (e.g. 3300 mV)");
    }
    options.spike_filter = FlagSetting(settings, "spike_filter");
    options.record_path = settings.record_path;
    return std::unique_ptr<PowerProbe>(new ppk2::Ppk2Probe(options));
  };
  return kind;
}

}  // namespace hil::probes::kinds
