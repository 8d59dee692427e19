// The umockdev tests run inside umockdev's preload environment, where the
// testbed's emulated /sys and /dev are what libserialport and libusb see.
// Started directly (by ctest, or a developer), the binary re-executes itself
// under umockdev-wrapper.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  // umockdev_in_mock_environment() only turns true once a testbed exists;
  // the preload is what matters here.
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload == nullptr || std::string(preload).find("umockdev-preload") == std::string::npos) {
    std::vector<char*> arguments;
    arguments.push_back(const_cast<char*>("umockdev-wrapper"));
    for (int i = 0; i < argc; ++i) arguments.push_back(argv[i]);
    arguments.push_back(nullptr);
    // The preload library comes before a sanitizer's runtime; tell it so.
    ::setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
    ::execvp("umockdev-wrapper", arguments.data());
    std::perror("cannot run umockdev-wrapper (apt-get install umockdev)");
    return 3;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
