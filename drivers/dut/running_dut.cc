#include "drivers/dut/running_dut.h"

#include <chrono>

#include "drivers/transport/byte_stream.h"

namespace hil::dut {

Result<std::unique_ptr<DutLink>> ConnectRunningDut(const std::string& connect,
                                                   std::chrono::milliseconds resync_timeout) {
  Result<std::unique_ptr<transport::ByteStream>> stream = transport::OpenByteStream(connect);
  if (!stream.ok()) return stream.error();
  auto link = std::make_unique<DutLink>(std::move(*stream));
  Status synced = link->Resync(resync_timeout);
  if (!synced.ok()) return synced.error();
  return link;
}

}  // namespace hil::dut
