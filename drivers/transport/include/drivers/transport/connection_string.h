// Connection strings name where a device's bytes come from:
//   unix:PATH                 a Unix-domain stream socket (emulated devices)
//   tcp:HOST:PORT             a TCP socket
//   serial:/dev/ttyACM0[@BAUD] a serial port through libserialport
//   replay:FILE               the bytes of a recorded capture
// The string picks the transport, so a driver never knows whether its
// device is real.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hil/error.h"

namespace hil::transport {

enum class Scheme { kUnix, kTcp, kSerial, kReplay };

struct ConnectionString {
  Scheme scheme;
  std::string path;   // unix, serial, replay
  std::string host;   // tcp
  uint16_t port = 0;  // tcp
  uint32_t baud = 0;  // serial; 0 when the string does not say

  // The canonical text form, e.g. "serial:/dev/ttyACM0@115200".
  std::string ToString() const;
};

// Parses a connection string. Errors are configuration errors that say what
// form was expected.
Result<ConnectionString> ParseConnectionString(std::string_view text);

}  // namespace hil::transport
