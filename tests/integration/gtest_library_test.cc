// hil::testing as its users meet it: the example device-test suite passes
// on the virtual bench; tightening one limit fails exactly that test with
// the measured and the expected value; and an installed hil is found by
// another CMake project, which builds and runs the example against it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

TEST(GtestLibrary, TheExampleSuitePassesOnTheVirtualBench) {
  const CliRun run = RunCommand(HIL_EXAMPLE_PATH);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 4 tests."), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("measuring on the virtual bench"), std::string::npos) << run.output;
}

TEST(GtestLibrary, TighteningOneLimitFailsExactlyThatTestWithBothValues) {
  const CliRun run = RunCommand("HIL_EXAMPLE_LATENCY_LIMIT_US=1000 " HIL_EXAMPLE_PATH);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("[  FAILED  ] 1 test, listed below:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("[  FAILED  ] AnomalyDetectionTest.RunsWithinItsLatencyBudget"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("has a median latency below 1000 us"), std::string::npos)
      << "the expected value: " << run.output;
  EXPECT_NE(run.output.find("Actual: ad/config/mps2-an386 (pass, median latency 5"),
            std::string::npos)
      << "the measured value: " << run.output;
  // And the energy matcher, against a baseline half the real one. (A limit
  // of a few millionths once passed: the measured median can equal the
  // baseline to the last digit.)
  const CliRun energy =
      RunCommand("HIL_EXAMPLE_AD_BASELINE_UJ=1000 " HIL_EXAMPLE_PATH " --gtest_filter=*Energy*");
  EXPECT_EQ(energy.exit_code, 1) << energy.output;
  EXPECT_NE(energy.output.find("[  FAILED  ] AnomalyDetectionTest.StaysNearItsEnergyBaseline"),
            std::string::npos)
      << energy.output;
  EXPECT_NE(energy.output.find("[       OK ] AnomalyDetectionTest.SimdUsesLessEnergyThanReference"),
            std::string::npos)
      << energy.output;
}

TEST(GtestLibrary, TheExampleSuiteAlsoMeasuresThroughHild) {
  ScratchFolder scratch;
  // The example's plans name the shared models and an input it writes to
  // the temporary folder: hild reads only there.
  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n  - {name: virtual-a}\nstate_dir: state\nroots: ['" << HIL_SHARED_DIR << "', '"
      << std::filesystem::temp_directory_path().string() << "']\n";
  const pid_t hild =
      SpawnProgram(HILD_PATH, {"--config", scratch.File("benches.yaml")}, scratch.File("hild.log"));
  ASSERT_GT(hild, 0);
  const std::string socket = scratch.File("state/hild.sock");
  for (int i = 0; i < 200 && !std::filesystem::exists(socket); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const CliRun run =
      RunCommand(std::string(HIL_EXAMPLE_PATH) + " --hil_bench=daemon:unix:" + socket +
                 " --gtest_filter=*Outputs*:*Latency*");
  ::kill(hild, SIGTERM);
  ::waitpid(hild, nullptr, 0);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("measuring on hild at unix:" + socket), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 2 tests."), std::string::npos) << run.output;
}

TEST(GtestLibrary, AnInstalledHilIsFoundByAnotherProject) {
  ScratchFolder scratch;
  const std::string prefix = scratch.File("prefix");
  const CliRun installed = RunCommand("cmake --install " CMAKE_BINARY_DIR " --prefix " + prefix);
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  const std::string build = scratch.File("example");
  // A sanitized hil links only into a program built the same way.
  const std::string sanitize = HIL_SANITIZE_FLAGS;
  const std::string flags =
      sanitize.empty() ? ""
                       : " -DCMAKE_CXX_FLAGS=" + sanitize + " -DCMAKE_EXE_LINKER_FLAGS=" + sanitize;
  const CliRun configured = RunCommand("cmake -S " CMAKE_SOURCE_DIR "/examples/device_tests -B " +
                                       build + " -G Ninja -DCMAKE_PREFIX_PATH=" + prefix +
                                       " -DHIL_EXAMPLE_SHARED_DIR=" HIL_SHARED_DIR + flags);
  ASSERT_EQ(configured.exit_code, 0) << configured.output;
  const CliRun built = RunCommand("cmake --build " + build);
  ASSERT_EQ(built.exit_code, 0) << built.output;
  // The installed hil measures: the case runs on the virtual bench, flashed
  // by QEMU as $HIL_FLASHER asks.
  const CliRun run = RunCommand("HIL_FLASHER=qemu HIL_CLI=" + prefix + "/bin/hil " + build +
                                "/anomaly_detection_test --gtest_filter=*Outputs*");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[  PASSED  ] 1 test."), std::string::npos) << run.output;
}

}  // namespace
}  // namespace hil::testing
