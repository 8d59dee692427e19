// libFuzzer target: any bytes as hild's bench file end in a configuration
// or a configuration error, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "hil/daemon/daemon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/hil-bench-fuzz-" + std::to_string(::getpid()) + ".yaml";
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  (void)hil::daemon::ReadDaemonConfig(path);
  return 0;
}
