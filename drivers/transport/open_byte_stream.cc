#include "drivers/transport/byte_stream.h"
#include "drivers/transport/connection_string.h"
#include "replay_stream.h"
#include "serial_stream.h"
#include "socket_stream.h"

namespace hil::transport {

Result<std::unique_ptr<ByteStream>> OpenByteStream(std::string_view uri) {
  Result<ConnectionString> connection = ParseConnectionString(uri);
  if (!connection.ok()) return connection.error();
  switch (connection->scheme) {
    case Scheme::kUnix:
    case Scheme::kTcp:
      return ConnectSocket(*connection);
    case Scheme::kSerial:
      return OpenSerialPort(*connection);
    case Scheme::kReplay:
      return OpenReplay(*connection);
  }
  return ConfigurationError("unsupported connection string " + std::string(uri));
}

}  // namespace hil::transport
