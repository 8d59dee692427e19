// libFuzzer target: any bytes as hild's bench file end in a configuration
// or a configuration error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_file.h"
#include "hil/daemon/daemon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = FuzzInputFile(data, size, ".yaml");
  if (path.empty()) return 0;
  (void)hil::daemon::ReadDaemonConfig(path);
  return 0;
}
