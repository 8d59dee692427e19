// A ByteStream that plays back a recorded byte stream.
#pragma once

#include <memory>

#include "drivers/transport/byte_stream.h"
#include "drivers/transport/connection_string.h"

namespace hil::transport {

// Reads come from the file, in the chunk sizes the reader asks for, so a
// recording decodes exactly as the live stream did. Writes are accepted and
// dropped: a recording does not listen. When the recording is used up, a read
// fails with an infrastructure error saying so, as a closed device would.
// Errors: configuration (the file is missing or unreadable).
Result<std::unique_ptr<ByteStream>> OpenReplay(const ConnectionString& connection);

}  // namespace hil::transport
