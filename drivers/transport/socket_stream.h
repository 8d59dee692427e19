// ByteStreams over Unix-domain and TCP sockets.
#pragma once

#include <memory>

#include "drivers/transport/byte_stream.h"
#include "drivers/transport/connection_string.h"

namespace hil::transport {

// Connects to a listening socket. Errors: infrastructure, with the OS reason.
Result<std::unique_ptr<ByteStream>> ConnectSocket(const ConnectionString& connection);

}  // namespace hil::transport
