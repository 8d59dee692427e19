// libFuzzer target: any bytes from a DUT's UART become lines of bounded
// length, and any reply built of them is parsed or refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "drivers/dut/line_assembler.h"
#include "drivers/dut/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hil::dut::LineAssembler assembler;
  std::vector<std::string> lines;
  assembler.Push(std::span<const uint8_t>(data, size), lines);
  hil::dut::Reply reply;
  for (const std::string& line : lines) {
    if (line.size() > 65536) __builtin_trap();  // the assembler's bound
    (void)hil::dut::ClassifyLine(line);
    reply.lines.push_back(line);
  }
  (void)hil::dut::ParseName(reply);
  (void)hil::dut::ParseProfile(reply);
  (void)hil::dut::ParseHarnessInfo(reply);
  (void)hil::dut::ParseLayers(reply);
  (void)hil::dut::ParseBufferPrint(reply);
  (void)hil::dut::ParseResults(reply);
  (void)hil::dut::ParseInference(reply, 3, 1);
  return 0;
}
