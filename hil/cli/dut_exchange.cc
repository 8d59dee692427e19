#include "dut_exchange.h"

#include <cstdio>

namespace hil::cli {

Result<dut::Reply> SendDutCommand(dut::DutLink& link, const std::string& command,
                                  std::chrono::milliseconds infer_timeout) {
  const bool long_running = command.rfind("infer", 0) == 0;
  return long_running ? link.Command(command, infer_timeout) : link.Command(command);
}

bool PrintDutExchange(const std::string& command, const dut::Reply& reply) {
  std::printf("-> %s%%\n", command.c_str());
  for (const std::string& line : reply.lines) std::printf("%s\n", line.c_str());
  for (const std::string& line : reply.text) std::printf("%s\n", line.c_str());
  for (const std::string& error : reply.errors) std::printf("e-[%s]\n", error.c_str());
  return reply.rejected();
}

}  // namespace hil::cli
