// libFuzzer target: any file as a .hiltrace reads as blocks or ends in a
// configuration error, never a crash or an allocation of what it claims.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "hil/trace_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/hil-trace-fuzz-" + std::to_string(::getpid()) + ".hiltrace";
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  hil::Result<std::unique_ptr<hil::TraceReader>> reader = hil::TraceReader::Open(path);
  if (!reader.ok()) return 0;
  hil::SampleBlock block;
  for (int blocks = 0; blocks < 10000; ++blocks) {
    hil::Result<bool> next = (*reader)->Next(block);
    if (!next.ok() || !*next) break;
  }
  return 0;
}
