// What hil knows of one kind of power monitor, in one place (the probe
// table, in libsigrok's manner): its names, how it is found on USB, how it
// is reached, how it reports trigger edges, whether it can power the DUT,
// the settings it takes and how its driver is made. Each probe's folder
// describes its own kind (kind.cc); probe_table.h lists them all.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hil/power_probe.h"

namespace hil::probes {

// How the host is told of an edge on one of the probe's logic inputs.
enum class EdgeReport {
  kSampled,  // every sample carries the inputs' levels
  kEvents,   // timestamped events, even of pulses shorter than a sample
};

// How the host reaches the probe.
enum class Attachment {
  kSerialPort,  // a byte stream (USB CDC-ACM): serial:, unix:, tcp:, replay:
  kUsb,         // a USB device driven through libusb: usb or usb:SERIAL
};

struct UsbIdentity {
  uint16_t vid = 0, pid = 0;
  std::string note;  // a caveat `hil probes` shows with a match
};

// One setting a kind takes, beyond the connection and the supply voltage:
// the keys of a bench file's `probe:` and of `--probe-setting KEY=VALUE`.
struct SettingSpec {
  enum class Type { kFlag, kNumber, kChoice };
  std::string key;
  Type type = Type::kFlag;
  std::string meaning;               // for --help and messages
  double min = 0, max = 0;           // kNumber
  std::vector<std::string> choices;  // kChoice

  static SettingSpec Flag(std::string key, std::string meaning) {
    return {std::move(key), Type::kFlag, std::move(meaning), 0, 0, {}};
  }
  static SettingSpec Number(std::string key, std::string meaning, double min, double max) {
    return {std::move(key), Type::kNumber, std::move(meaning), min, max, {}};
  }
  static SettingSpec Choice(std::string key, std::string meaning,
                            std::vector<std::string> choices) {
    return {std::move(key), Type::kChoice, std::move(meaning), 0, 0, std::move(choices)};
  }
};

// What opens a probe: a kind of the table, where it is, and its settings
// as text, checked against the kind's SettingSpecs.
struct ProbeSettings {
  std::string kind;
  // serial:/dev/ttyACM0, unix:PATH, replay:FILE for a byte-stream probe;
  // usb or usb:SERIAL for a USB one.
  std::string uri;
  std::optional<uint32_t> supply_mv;           // DUT supply: set (when it powers the DUT) or stated
  std::map<std::string, std::string> options;  // key -> value, per the kind's settings
  std::string record_path;                     // a byte-stream probe's raw bytes, for replay:FILE
};

struct ProbeKind {
  std::string name;   // what plans, bench files and --probe say: "ppk2"
  std::string label;  // how messages name it: "PPK2"
  std::string model;  // "Nordic Power Profiler Kit II"
  Attachment attachment = Attachment::kSerialPort;
  std::vector<UsbIdentity> usb;  // for `hil probes`
  std::string connect_example;   // for messages: serial:/dev/ttyACM0
  EdgeReport edges = EdgeReport::kSampled;
  std::vector<std::string> inputs;  // its logic inputs: "D0".."D7"
  // Where each trigger is wired unless the plan or bench file says:
  // an input, or "none".
  std::string inference_input = "none", layer_input = "none", timestamp_input = "none";
  // Whether it supplies the DUT (at supply_mv): never (it measures the
  // DUT's own supply), when `supply_setting` is true, or always.
  enum class DutSupply { kNever, kWhenSet, kAlways };
  DutSupply supply = DutSupply::kNever;
  std::string supply_setting;  // kWhenSet: the flag that makes it supply the DUT
  std::vector<SettingSpec> settings;
  bool virtual_twin = false;  // the virtual bench serves one (probes/virtual)
  // Builds the driver, not yet opened, from settings already checked.
  // Errors: configuration (a combination of settings the device refuses).
  std::function<Result<std::unique_ptr<PowerProbe>>(const ProbeSettings&)> make;

  bool can_power_dut() const { return supply != DutSupply::kNever; }
  bool has_input(const std::string& input) const;
  const SettingSpec* setting(const std::string& key) const;
};

// Checks `settings.options` against the kind's settings: every key known
// (with a did-you-mean), every value of its type and range. Errors:
// configuration.
Status CheckSettings(const ProbeKind& kind, const ProbeSettings& settings);

// A checked option's value, for a kind's `make`.
bool FlagSetting(const ProbeSettings& settings, const std::string& key);
std::optional<double> NumberSetting(const ProbeSettings& settings, const std::string& key);
std::string ChoiceSetting(const ProbeSettings& settings, const std::string& key,
                          const std::string& otherwise);

}  // namespace hil::probes
