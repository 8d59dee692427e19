// main() for device-test programs: googletest and gmock's flags, then the
// bench: --hil_bench=virtual|daemon:unix:PATH|daemon:tcp:HOST:PORT, else
// $HIL_BENCH, else the virtual bench.
#include <gmock/gmock.h>

#include <cstring>
#include <string>

#include "hil/testing/device_bench.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  std::string address;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--hil_bench=", 12) == 0) address = argv[i] + 12;
  }
  ::testing::AddGlobalTestEnvironment(new hil::testing::BenchEnvironment(address));
  return RUN_ALL_TESTS();
}
