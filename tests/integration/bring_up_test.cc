// The one bring-up: both strategies turn a bench description into a DUT
// answering on its link, its power monitor open and its triggers wired from
// the probe table, and refuse what cannot be brought up with the right
// error class. The "real" bench here is `hil bench up`: QEMU's UART socket
// and the virtual PPK2's, reached as a real bench reaches its hardware.
#include "hil/bench/bring_up.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "cli_runner.h"
#include "drivers/dut/running_dut.h"
#include "hil/boards.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

// What every brought-up bench must give, whichever strategy.
void ExpectAnsweringBench(bench::UpBench& up, const std::string& probe_kind) {
  ASSERT_NE(up.link(), nullptr);
  Result<std::string> name = up.link()->Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_FALSE(name->empty());
  ASSERT_NE(up.probe, nullptr) << "asked for the power monitor";
  EXPECT_EQ(up.probe->info().kind, probe_kind);
  ASSERT_NE(up.probe_kind, nullptr);
  EXPECT_EQ(up.probe_kind->name, probe_kind);
  // The default wiring of the kind (ppk2: D0, D1, D2, sampled).
  EXPECT_EQ(up.triggers[static_cast<size_t>(measure::Role::kInference)].source,
            measure::EdgeSource::kSampled);
  EXPECT_EQ(up.triggers[static_cast<size_t>(measure::Role::kLayer)].line, 1);
}

TEST(BringUp, TheVirtualStrategyBootsFlashesAndOpensTheTwinProbe) {
  ScratchFolder scratch;
  bench::BenchSpec spec = bench::DefaultVirtualBench();
  bench::BringUpOptions options;
  options.firmware = HarnessImagePath(spec.board, kDefaultWorkload);
  options.open_probe = true;
  options.virtual_dut.energy.profile = spec.board;
  options.virtual_dut.energy.truth_path = scratch.File("truth.jsonl");
  options.virtual_dut.energy.probe_socket = scratch.File("probe.sock");
  std::vector<std::string> steps;
  options.progress = [&steps](const std::string& step) { steps.push_back(step); };
  Result<bench::UpBench> up = bench::BringUp(spec, options);
  ASSERT_TRUE(up.ok()) << up.error().ToString();
  ASSERT_TRUE(up->virtual_dut.has_value());
  EXPECT_NE(up->virtual_dut->flasher, nullptr) << "flashed through OpenOCD, the default";
  ExpectAnsweringBench(*up, "ppk2");
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.front(), "booting mps2-an386 in QEMU, flashed through OpenOCD");
}

// hil bench up's way: QEMU loads the image and the UART is left to an
// outside client, on which the harness then boots; ground truth is kept.
TEST(BringUp, TheVirtualStrategyCanLeaveTheUartToAnOutsideClient) {
  ScratchFolder scratch;
  bench::BenchSpec spec = bench::DefaultVirtualBench();
  bench::BringUpOptions options;
  options.firmware = HarnessImagePath(spec.board, kDefaultWorkload);
  options.leave_uart = true;
  options.virtual_dut.energy.profile = spec.board;
  options.virtual_dut.energy.truth_path = scratch.File("truth.jsonl");
  options.virtual_dut.energy.probe_socket = scratch.File("probe.sock");
  // OpenOCD can reach the core only once the UART has its client.
  Result<bench::UpBench> refused = bench::BringUp(spec, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(refused.error().message().find("flasher: qemu"), std::string::npos);

  spec.flasher = Flasher::kQemu;
  Result<bench::UpBench> up = bench::BringUp(spec, options);
  ASSERT_TRUE(up.ok()) << up.error().ToString();
  EXPECT_EQ(up->link(), nullptr) << "nothing connected";
  EXPECT_TRUE(up->has_ground_truth());
  Result<std::unique_ptr<dut::DutLink>> client =
      dut::ConnectRunningDut(up->virtual_dut->machine->uart_uri(), std::chrono::seconds(20));
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  Result<std::string> name = (*client)->Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_FALSE(name->empty());
}

TEST(BringUp, TheRealStrategyConnectsToAPreflashedDutAndItsProbe) {
  ScratchFolder scratch;
  const std::string log = scratch.File("bench-up.log");
  const BenchUp bench_up = StartBenchUp(scratch.File("bench"), log);
  ASSERT_GT(bench_up.pid, 0);
  ASSERT_FALSE(bench_up.uart.empty()) << ReadWholeFile(log);
  bench::BenchSpec spec;
  spec.name = "preflashed";
  spec.kind = BenchKind::kReal;
  spec.board = "mps2-an386";
  spec.flasher = Flasher::kNone;
  spec.uart = bench_up.uart;
  spec.probe.kind = "ppk2";
  spec.probe.connect = "unix:" + scratch.File("bench/ppk2.sock");
  spec.inference.input = "D0";
  spec.layer.input = "D1";
  spec.timestamp.input = "D2";
  bench::BringUpOptions options;
  options.open_probe = true;
  {
    Result<bench::UpBench> up = bench::BringUp(spec, options);
    ASSERT_TRUE(up.ok()) << up.error().ToString();
    EXPECT_FALSE(up->virtual_dut.has_value());
    ExpectAnsweringBench(*up, "ppk2");
  }

  // An image for a bench whose DUT is flashed outside hil: refused as
  // configuration, before anything is touched.
  options.firmware = HarnessImagePath(spec.board, kDefaultWorkload);
  Result<bench::UpBench> flashed = bench::BringUp(spec, options);
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(flashed.error().message().find("flasher: none"), std::string::npos);
  ::kill(bench_up.pid, SIGTERM);
  ::waitpid(bench_up.pid, nullptr, 0);

  // A UART nothing answers on: infrastructure (retried), naming it.
  options.firmware.clear();
  options.open_probe = false;
  options.connect_timeout = std::chrono::milliseconds(500);
  spec.uart = "unix:" + scratch.File("nobody.sock");
  Result<bench::UpBench> unreachable = bench::BringUp(spec, options);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(unreachable.error().message().find("nobody.sock"), std::string::npos)
      << unreachable.error().message();
}

}  // namespace
}  // namespace hil::testing
