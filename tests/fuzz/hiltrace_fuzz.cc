// libFuzzer target: any file as a .hiltrace reads as blocks or ends in a
// configuration error, never a crash or an allocation of what it claims.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_file.h"
#include "hil/trace_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = FuzzInputFile(data, size, ".hiltrace");
  if (path.empty()) return 0;
  hil::Result<std::unique_ptr<hil::TraceReader>> reader = hil::TraceReader::Open(path);
  if (!reader.ok()) return 0;
  hil::SampleBlock block;
  for (int blocks = 0; blocks < 10000; ++blocks) {
    hil::Result<bool> next = (*reader)->Next(block);
    if (!next.ok() || !*next) break;
  }
  return 0;
}
