// Helpers shared by the integration tests that boot the harness in QEMU.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace hil::testing {

inline constexpr const char* kQemuBoards[] = {"mps2-an386", "mps2-an500", "mps3-an547"};

// The firmware tree this test binary was built with, whatever the environment.
inline std::string BuiltImage(const std::string& board, const std::string& workload) {
  return std::string(HIL_FIRMWARE_BUILD_DIR) + "/" + board + "/harness-" + workload + ".elf";
}

// A real keyword-spotting input tensor (49 x 10 int8 MFCC features) from
// the shared dataset.
inline std::vector<uint8_t> KwsTensor() {
  const std::string path = std::string(HIL_SHARED_DIR) + "/datasets/kws01/tst_000000_Stop_7.bin";
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing shared dataset file " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
}

}  // namespace hil::testing
