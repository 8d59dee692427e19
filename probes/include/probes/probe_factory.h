// Opens any supported power monitor by kind, from settings a CLI flag or a
// plan can give. The one place that knows every driver.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hil/power_probe.h"

namespace hil::probes {

struct ProbeSettings {
  std::string kind;  // "ppk2", "lpm01a", "js110"
  // Connection string for serial probes (serial:/dev/ttyACM0, unix:PATH,
  // replay:FILE); for the JS110, "usb" or "usb:SERIAL" (first one, or that
  // serial number).
  std::string uri;
  std::optional<uint32_t> supply_mv;  // DUT supply: set (source meter) or stated
  bool source_meter = false;          // PPK2: supply the DUT
  bool spike_filter = false;          // PPK2 host-side filter
  std::optional<double> rate_hz;      // LPM01A sample rate
  bool binary = false;                // LPM01A binary stream
  std::string record_path;            // raw bytes read, for replay:FILE
};

// The kinds Make accepts, for --help and messages.
const std::vector<std::string>& ProbeKinds();

// Builds the driver (not yet opened). Errors: configuration (unknown kind,
// settings the kind does not take).
Result<std::unique_ptr<PowerProbe>> MakeProbe(const ProbeSettings& settings);

}  // namespace hil::probes
