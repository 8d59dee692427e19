#include "running_dut.h"

#include <chrono>

#include "drivers/transport/byte_stream.h"

namespace hil::cli {

Result<std::unique_ptr<dut::DutLink>> ConnectRunningDut(const std::string& connect) {
  Result<std::unique_ptr<transport::ByteStream>> stream = transport::OpenByteStream(connect);
  if (!stream.ok()) return stream.error();
  auto link = std::make_unique<dut::DutLink>(std::move(*stream));
  Status synced = link->Resync(std::chrono::milliseconds(5000));
  if (!synced.ok()) return synced.error();
  return link;
}

}  // namespace hil::cli
