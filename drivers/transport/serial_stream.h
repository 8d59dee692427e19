// A ByteStream over a serial port, through libserialport.
#pragma once

#include <memory>

#include "drivers/transport/byte_stream.h"
#include "drivers/transport/connection_string.h"

namespace hil::transport {

// The baud rate used when the connection string gives none: MLPerf Tiny's
// performance-mode rate.
inline constexpr uint32_t kDefaultBaud = 115200;

// Opens the port 8N1 without flow control, with DTR asserted (USB CDC
// devices such as the PPK2 only send once DTR is set). Errors:
// infrastructure, naming the port and libserialport's reason.
Result<std::unique_ptr<ByteStream>> OpenSerialPort(const ConnectionString& connection);

}  // namespace hil::transport
