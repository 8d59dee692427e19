// On-device test cases: the NN runtime's HIL_TEST cases pass on every
// emulated board, and the one that fails on purpose is reported as a
// failure with the DUT's message, file and line, in gtest's style and in
// JUnit XML that passes the schema.
#include <gtest/gtest.h>

#include <fstream>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

TEST(DeviceTestCli, TheNnRuntimesTestsPassOnEveryBoard) {
  for (const char* board : {"mps2-an386", "mps2-an500", "mps3-an547"}) {
    const CliRun run = RunHil(std::string("device-test --board ") + board);
    EXPECT_EQ(run.exit_code, 0) << board << "\n" << run.output;
    EXPECT_NE(run.output.find("[==========] 5 on-device tests ran."), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("[       OK ] Float.ExponentialMatchesKnownValues"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("YOU HAVE 1 DISABLED TESTS"), std::string::npos) << run.output;
  }
}

TEST(DeviceTestCli, AFailureOnPurposeIsReportedWithItsMessageAndLine) {
  ScratchFolder scratch;
  const std::string junit = scratch.File("device.xml");
  const CliRun run =
      RunHil("device-test --also-run-disabled --filter 'Demo.*:Int8.*' --junit " + junit);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("nn_device_tests.c:67: two == 3: actual 2, expected 3"),
            std::string::npos)
      << run.output;
  // The ASSERT on line 68 holds, so the test goes on to line 69.
  EXPECT_NE(run.output.find("nn_device_tests.c:69: nn_expf(1.0f) near 3.0f: actual 2.718, "
                            "expected 3.000 within 0.010"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("[  FAILED  ] Demo.DISABLED_FailsOnPurpose"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("[       OK ] Int8.AddOfEqualScalesIsTheSum"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("Float."), std::string::npos) << "the filter left them out";
  const std::string check =
      "xmllint --noout --schema " CMAKE_SOURCE_DIR "/tests/data/junit.xsd " + junit + " 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0);
  std::ifstream in(junit);
  const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(xml.find("<failure message=\"nn_device_tests.c:67: two == 3: actual 2, expected 3\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<skipped message=\"left out by the filter\"/>"), std::string::npos) << xml;
}

TEST(DeviceTestCli, AnImageWithoutTestsSaysSo) {
  const CliRun run =
      RunHil("device-test --firmware " HIL_FIRMWARE_BUILD_DIR "/mps2-an386/harness-mb-dense.elf");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[==========] 0 on-device tests ran."), std::string::npos)
      << run.output;
}

}  // namespace
}  // namespace hil::testing
