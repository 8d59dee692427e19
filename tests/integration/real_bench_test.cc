// The real-bench case runner, as far as this machine reaches: a bench file
// names a DUT that already runs the harness (flasher: none) on a UART, and a
// PPK2, and hil runs a plan on it through the real-bench path. Here the
// "hardware" is `hil bench up`: QEMU's UART socket and the virtual PPK2's
// socket, whose ground truth lets the test check the figures. With OpenOCD
// and no probe attached, every case ends as a classified infrastructure
// error.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

TEST(RealBench, APreflashedDutIsMeasuredThroughTheBenchFile) {
  ScratchFolder scratch;
  const std::string log = scratch.File("bench-up.log");
  const BenchUp bench_up = StartBenchUp(scratch.File("bench"), log);
  ASSERT_GT(bench_up.pid, 0);
  const pid_t bench = bench_up.pid;
  const std::string uart = bench_up.uart;
  ASSERT_FALSE(uart.empty()) << ReadWholeFile(log);

  std::ofstream(scratch.File("benches.yaml"))
      << "benches:\n  - name: preflashed\n    kind: real\n    board: mps2-an386\n"
         "    flasher: none\n    uart: "
      << uart << "\n    probe: {kind: ppk2, connect: 'unix:" << scratch.File("bench/ppk2.sock")
      << "'}\n";
  std::ofstream(scratch.File("plan.yaml"))
      << "plan: real-path\nbench: {kind: real}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
         "matrix: {boards: [mps2-an386]}\nmeasurement: {runs: 5}\n";
  const CliRun run = RunHil("run " + scratch.File("plan.yaml") + " --bench-file " +
                            scratch.File("benches.yaml") + " --out " + scratch.File("out"));
  ::kill(bench, SIGTERM);
  ::waitpid(bench, nullptr, 0);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("connecting to the harness on " + uart), std::string::npos);

  const nlohmann::json results =
      nlohmann::json::parse(ReadWholeFile(scratch.File("out/results.json")));
  EXPECT_EQ(results["bench"]["kind"], "real");
  EXPECT_EQ(results["bench"]["name"], "preflashed");
  EXPECT_EQ(results["bench"]["flasher"], "none");
  const nlohmann::json& c = results["cases"][0];
  EXPECT_EQ(c["status"], "pass");
  EXPECT_TRUE(c["verification"]["ground_truth"].is_null());  // a real bench has none
  EXPECT_EQ(c["verification"]["samples_lost"], 0);

  // The emulator's exact windows: the real path measured them.
  double truth_ns = 0, truth_nj = 0;
  int windows = 0;
  for (const nlohmann::json& record : ReadJsonLines(scratch / "bench/truth.jsonl")) {
    if (record["kind"] != "inference") continue;
    truth_ns += record["duration_ns"].get<double>();
    truth_nj += record["energy_nJ"].get<double>();
    ++windows;
  }
  ASSERT_EQ(windows, 5);  // the measured inferences (the warm-up is no window)
  const double latency_us = c["latency_us"]["median"], energy_uj = c["energy_uJ"]["median"];
  EXPECT_NEAR(latency_us, truth_ns / windows / 1e3, 0.002 * latency_us);
  EXPECT_NEAR(energy_uj, truth_nj / windows / 1e3, 0.005 * energy_uj);
}

TEST(RealBench, WithNoDebugProbeEveryCaseIsAnInfrastructureError) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("plan.yaml"))
      << "plan: lab\nbench: {kind: real}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
         "matrix: {boards: [nucleo-l4r5zi]}\nretries: 0\n";
  const CliRun run =
      RunHil("run " + scratch.File("plan.yaml") + " --bench-file " + std::string(CMAKE_SOURCE_DIR) +
             "/testplans/benches/lab.yaml --bench l4r5-ppk2 --out " + scratch.File("out"));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  const nlohmann::json results =
      nlohmann::json::parse(ReadWholeFile(scratch.File("out/results.json")));
  const nlohmann::json& c = results["cases"][0];
  EXPECT_EQ(c["status"], "error");
  const std::string error = c["error"];
  EXPECT_NE(error.find("OpenOCD could not flash"), std::string::npos) << error;
  EXPECT_NE(error.find("no debug probe (\"Error: open failed\")"), std::string::npos) << error;
  EXPECT_NE(ReadWholeFile(scratch.File("out/junit.xml")).find("<error"), std::string::npos);
}

TEST(RealBench, ARealPlanNeedsARealBenchAndTheBenchItsBoard) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("plan.yaml"))
      << "plan: lab\nbench: {kind: real}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
         "matrix: {boards: [nucleo-f767zi]}\nretries: 0\n";
  const CliRun alone = RunHil("run " + scratch.File("plan.yaml") + " --out " + scratch.File("a"));
  EXPECT_EQ(alone.exit_code, 2) << alone.output;
  EXPECT_NE(alone.output.find("the plan is for a real bench, but no bench was given; run it with "
                              "--bench-file FILE --bench NAME"),
            std::string::npos)
      << alone.output;
  const CliRun other =
      RunHil("run " + scratch.File("plan.yaml") + " --bench-file " + std::string(CMAKE_SOURCE_DIR) +
             "/testplans/benches/lab.yaml --bench l4r5-ppk2 --out " + scratch.File("b"));
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("is for board nucleo-f767zi, but bench l4r5-ppk2 has a "
                              "nucleo-l4r5zi"),
            std::string::npos)
      << other.output;
}

TEST(RealBench, HilFlashEndsAsTheContractSays) {
  const CliRun missing = RunHil("flash --board nucleo-l4r5zi --serial HIL0000NOSUCHPROBE " +
                                BuiltImage("nucleo-l4r5zi", "mb-conv3x3"));
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
  EXPECT_NE(missing.output.find("no debug probe (\"Error: open failed\"); is the probe with "
                                "serial HIL0000NOSUCHPROBE plugged in?"),
            std::string::npos)
      << missing.output;
  const CliRun emulated =
      RunHil("flash --board mps2-an386 " + BuiltImage("mps2-an386", "mb-conv3x3"));
  EXPECT_EQ(emulated.exit_code, 0) << emulated.output;
  EXPECT_NE(
      emulated.output.find("flashed to mps2-an386 (QEMU) through OpenOCD, verified and started"),
      std::string::npos)
      << emulated.output;
  const CliRun no_board = RunHil("flash " + BuiltImage("mps2-an386", "mb-conv3x3"));
  EXPECT_EQ(no_board.exit_code, 2) << no_board.output;
}

}  // namespace
}  // namespace hil::testing
