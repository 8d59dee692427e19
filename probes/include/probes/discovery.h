// Finds the power monitors attached to this host: serial ports through
// libserialport (the PPK2 and the LPM01A are USB CDC-ACM devices), USB
// devices through libusb (the Joulescopes), matched against the known
// VID:PIDs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::probes {

struct KnownModel {
  uint16_t vid, pid;
  std::string kind;  // what --probe takes; "" when hil has no driver for it
  std::string model;
  std::string note;  // caveats shown with the listing
};

// The models hil recognises: the probe table's USB identities, and models
// it has no driver for.
const std::vector<KnownModel>& KnownModels();

struct DiscoveredProbe {
  std::string kind;
  std::string model;
  std::string connect;  // what --connect takes: serial:/dev/ttyACM0 or usb:SERIAL
  std::string serial;   // "" when the device did not say
  uint16_t vid = 0, pid = 0;
  std::string note;
};

// Every attached device with a known VID:PID. A bus that cannot be read is
// skipped with a note rather than failing the whole listing. Errors:
// infrastructure (neither libserialport nor libusb could list anything).
Result<std::vector<DiscoveredProbe>> DiscoverProbes(std::vector<std::string>& notes);

}  // namespace hil::probes
