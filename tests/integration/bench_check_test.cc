// `hil bench check`: every part of the virtual bench answers; a bench file
// naming hardware this machine lacks gets each missing part reported on
// its own, with what to do, and exit code 3.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

const std::string kLabBenches = std::string(CMAKE_SOURCE_DIR) + "/testplans/benches/lab.yaml";

TEST(BenchCheck, EveryPartOfTheVirtualBenchIsHealthy) {
  const CliRun run = RunHil("bench check --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json report = nlohmann::json::parse(run.output);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_TRUE(report[0]["healthy"]);
  std::vector<std::string> parts;
  for (const nlohmann::json& part : report[0]["parts"]) {
    parts.push_back(part["part"]);
    EXPECT_TRUE(part["healthy"]) << part.dump();
  }
  EXPECT_EQ(parts, (std::vector<std::string>{"board", "QEMU", "debug probe", "DUT UART",
                                             "power monitor"}));
  const auto detail = [&](size_t i) { return report[0]["parts"][i]["detail"].get<std::string>(); };
  EXPECT_NE(detail(2).find("OpenOCD examined the core through the virtual debug probe (Cortex-M4 "
                           "r0p0 processor detected), loaded and verified"),
            std::string::npos)
      << detail(2);
  EXPECT_NE(detail(3).find("answers name%: hil-mps2-an386"), std::string::npos);
  EXPECT_NE(detail(4).find("Power Profiler Kit II"), std::string::npos);
}

TEST(BenchCheck, AbsentHardwareIsReportedPartByPart) {
  const CliRun run = RunHil("bench check " + kLabBenches + " --bench f767-lpm01a");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  const auto line_of = [&](const std::string& part) {
    const size_t at = run.output.find("  " + part + " ");
    if (at == std::string::npos) return std::string();
    return run.output.substr(at, run.output.find('\n', at) - at);
  };
  EXPECT_NE(line_of("board").find("ok"), std::string::npos) << run.output;
  const std::string debug = line_of("debug probe");
  EXPECT_NE(debug.find("MISSING"), std::string::npos) << run.output;
  EXPECT_NE(debug.find("no debug probe (\"Error: open failed\"); is the probe with serial "
                       "066DFF555185754867172947 plugged in?"),
            std::string::npos)
      << debug;
  EXPECT_NE(line_of("DUT UART").find("MISSING  no serial port /dev/ttyACM3"), std::string::npos)
      << run.output;
  EXPECT_NE(line_of("power monitor").find("MISSING  LPM01A: no serial port /dev/ttyACM4"),
            std::string::npos)
      << run.output;
  EXPECT_NE(line_of("host GPIO").find("MISSING  cannot open GPIO chip 'gpiochip0'"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("=> not ready: debug probe, DUT UART, power monitor, host GPIO"),
            std::string::npos)
      << run.output;
}

TEST(BenchCheck, ABadBenchFileIsAConfigurationErrorWithItsLine) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("bad.yaml")) << "benches:\n  - name: lab\n    kind: real\n"
                                             "    board: nucleo-l496zg\n";
  const CliRun run = RunHil("bench check " + scratch.File("bad.yaml"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("bad.yaml:2:5: real bench 'lab' needs probe: connect:"),
            std::string::npos)
      << run.output;
  const CliRun unknown = RunHil("bench check " + kLabBenches + " --bench nope");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("benches: l4r5-ppk2, f767-lpm01a, virtual"), std::string::npos)
      << unknown.output;
}

}  // namespace
}  // namespace hil::testing
