// The OpenOCD flasher against Debian's real openocd 0.12 binary, with no
// debug probe attached (none is, here): every generated configuration is
// accepted and understood, and each failure ends classified within its
// deadline instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "drivers/flash/openocd.h"
#include "hil/bench/bench_spec.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using flash::OpenOcdConfig;
using flash::OpenOcdFlasher;
using flash::OpenOcdOptions;
using flash::OpenOcdSession;
using Clock = std::chrono::steady_clock;

// A real bench on `board` with a probe serial number that matches nothing.
bench::BenchSpec LabBench(const BoardSpec& board) {
  bench::BenchSpec spec;
  spec.name = "lab";
  spec.kind = BenchKind::kReal;
  spec.board = std::string(board.name);
  spec.debug.adapter_serial = "HIL0000NOSUCHPROBE";
  return spec;
}

class OpenOcdProfileTest : public ::testing::TestWithParam<const BoardSpec*> {};

// OpenOCD loads the whole generated file (interface, serial, transport,
// target, speed, ports) with `noinit`, then says over its Tcl RPC port what
// it made of it.
TEST_P(OpenOcdProfileTest, RealOpenOcdAcceptsTheGeneratedConfiguration) {
  const BoardSpec& board = *GetParam();
  ScratchFolder scratch;
  OpenOcdConfig config = bench::OpenOcdConfigFor(LabBench(board), board);
  config.tcl_port = FreeTcpPort();
  Result<std::unique_ptr<OpenOcdSession>> session =
      OpenOcdSession::Start(config, scratch.File(""), /*noinit=*/true);
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  Result<std::string> targets = (*session)->Command("target names");
  ASSERT_TRUE(targets.ok()) << targets.error().ToString();
  EXPECT_EQ(*targets, board.openocd.target_name);
  Result<std::string> transport = (*session)->Command("transport select");
  ASSERT_TRUE(transport.ok());
  EXPECT_EQ(*transport, board.openocd.transport.empty() ? "hla_swd" : board.openocd.transport);
  Result<std::string> speed = (*session)->Command("adapter speed");
  ASSERT_TRUE(speed.ok());
  EXPECT_NE(speed->find(std::to_string(board.openocd.speed_khz)), std::string::npos) << *speed;
  (*session)->Stop();
  const std::string log = (*session)->Log();
  EXPECT_EQ(log.find("Error"), std::string::npos) << log;
  EXPECT_NE(log.find("telnet server disabled"), std::string::npos) << log;
}

std::vector<const BoardSpec*> OpenOcdBoards() {
  std::vector<const BoardSpec*> boards;
  for (const BoardSpec& board : AllBoards()) {
    if (board.flashed_by_openocd()) boards.push_back(&board);
  }
  return boards;
}

INSTANTIATE_TEST_SUITE_P(BoardProfiles, OpenOcdProfileTest, ::testing::ValuesIn(OpenOcdBoards()),
                         [](const ::testing::TestParamInfo<const BoardSpec*>& param) {
                           std::string name(param.param->name);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(OpenOcdFlasher, NoProbeAttachedIsAClassifiedInfrastructureErrorNotAHang) {
  ScratchFolder scratch;
  const BoardSpec& board = **FindBoard("nucleo-l4r5zi");
  OpenOcdOptions options;
  options.timeout = std::chrono::seconds(20);
  options.attempts = 2;
  options.work_dir = scratch.File("openocd");
  int attempts = 0;
  options.progress = [&](const std::string&) { ++attempts; };
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(LabBench(board), board), options);
  ASSERT_TRUE(flasher.ok());
  const auto start = Clock::now();
  Status flashed = (*flasher)->Flash(BuiltImage("nucleo-l4r5zi", "mb-conv3x3"));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kInfrastructure);
  const std::string message = flashed.error().message();
  EXPECT_NE(message.find("no debug probe"), std::string::npos) << message;
  EXPECT_NE(message.find("Error: open failed"), std::string::npos) << message;
  EXPECT_NE(message.find("HIL0000NOSUCHPROBE"), std::string::npos) << message;
  EXPECT_NE(message.find("log: " + options.work_dir + "/flash-2.log"), std::string::npos)
      << message;
  EXPECT_EQ(attempts, 2);  // a missing probe may be re-enumerating: retried
  EXPECT_LT(took, options.timeout * options.attempts);
}

TEST(OpenOcdFlasher, AHungOpenOcdIsKilledAtItsDeadlineWithItsChildren) {
  ScratchFolder scratch;
  // An "openocd" that prints its banner, starts a child and hangs.
  const std::string fake = scratch.File("fake-openocd");
  std::ofstream(fake) << "#!/bin/sh\necho 'Open On-Chip Debugger 0.12.0'\n"
                         "sleep 60 &\necho $! > "
                      << scratch.File("child.pid") << "\nwait\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const BoardSpec& board = **FindBoard("nucleo-f767zi");
  OpenOcdOptions options;
  options.binary = fake;
  options.timeout = std::chrono::milliseconds(700);
  options.attempts = 2;
  options.work_dir = scratch.File("openocd");
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(LabBench(board), board), options);
  ASSERT_TRUE(flasher.ok());
  const auto start = Clock::now();
  Status flashed = (*flasher)->Flash(BuiltImage("nucleo-f767zi", "mb-conv3x3"));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(flashed.error().message().find("timed out"), std::string::npos)
      << flashed.error().message();
  EXPECT_LT(took, std::chrono::seconds(10));
  std::ifstream pid_file(scratch.File("child.pid"));
  pid_t child = 0;
  ASSERT_TRUE(pid_file >> child);
  // Gone, or a zombie waiting for init to reap it: either way not running.
  // A killed process may need a moment to be scheduled and die, and a busy
  // machine may already have given the pid to another program.
  std::string state = "gone";
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid_field, command;
    if (!(stat >> pid_field >> command >> state) || command != "(sleep)") state = "gone";
    if (state == "gone" || state == "Z") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(state == "gone" || state == "Z")
      << "the hung openocd's child " << child << " survived (state " << state << ")";
}

TEST(OpenOcdFlasher, AConfigFileOpenOcdCannotFindIsAConfigurationErrorTriedOnce) {
  ScratchFolder scratch;
  const BoardSpec& board = **FindBoard("nrf52840dk");
  bench::BenchSpec spec = LabBench(board);
  spec.debug.interface_config = "interface/no-such-probe.cfg";
  OpenOcdOptions options;
  options.timeout = std::chrono::seconds(20);
  options.work_dir = scratch.File("openocd");
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(spec, board), options);
  ASSERT_TRUE(flasher.ok());
  Status flashed = (*flasher)->Flash(BuiltImage("nrf52840dk", "mb-conv3x3"));
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(flashed.error().message().find("Can't find interface/no-such-probe.cfg"),
            std::string::npos)
      << flashed.error().message();
  EXPECT_TRUE(std::filesystem::exists(options.work_dir + "/flash-1.log"));
  EXPECT_FALSE(std::filesystem::exists(options.work_dir + "/flash-2.log"));
}

TEST(OpenOcdFlasher, MissingOpenOcdBinarySaysSo) {
  const BoardSpec& board = **FindBoard("nucleo-l496zg");
  OpenOcdOptions options;
  options.binary = "/nonexistent/openocd";
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(LabBench(board), board), options);
  ASSERT_TRUE(flasher.ok());
  Status flashed = (*flasher)->Flash(BuiltImage("nucleo-l496zg", "mb-conv3x3"));
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(flashed.error().message().find("cannot run /nonexistent/openocd"), std::string::npos)
      << flashed.error().message();
}

TEST(OpenOcdFlasher, ExamineWithoutAProbeNamesTheMissingProbe) {
  const BoardSpec& board = **FindBoard("disco-f469ni");
  OpenOcdOptions options;
  options.timeout = std::chrono::seconds(20);
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(LabBench(board), board), options);
  ASSERT_TRUE(flasher.ok());
  Result<std::string> examined = (*flasher)->Examine();
  ASSERT_FALSE(examined.ok());
  EXPECT_EQ(examined.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(examined.error().message().find("no debug probe"), std::string::npos)
      << examined.error().message();
}

// Strings a plan or a bench file could hand to OpenOCD, each with Tcl's
// metacharacters { } [ ] $ \ " and a newline, and each a command that
// would leave `marker` behind if Tcl ran it.
std::vector<std::string> HostileTclWords(const std::string& marker) {
  return {"/tmp/i/x} [exec touch " + marker + "] {/fw.elf", "a\"; exec touch " + marker + "; \"b",
          "$::env(HOME) [exec touch " + marker + "] \\ \\\n{ \"",
          "line one\n[exec touch " + marker + "]\nline three}", "tail backslash \\"};
}

// OpenOCD's own Tcl reads every quoted word back byte for byte and runs
// nothing inside it.
TEST(OpenOcdTclQuoting, OpenOcdEchoesEveryHostileWordExactlyAndRunsNothing) {
  ScratchFolder scratch;
  const std::string marker = scratch.File("ran");
  for (const std::string& word : HostileTclWords(marker)) {
    Result<ChildOutcome> outcome = RunWithDeadline(
        {"openocd", "-c", "echo " + flash::TclQuote("<" + word + ">"), "-c", "shutdown"},
        std::chrono::seconds(20));
    ASSERT_TRUE(outcome.ok()) << outcome.error().ToString();
    EXPECT_NE(outcome->output.find("<" + word + ">\n"), std::string::npos)
        << "word: " << word << "\noutput: " << outcome->output;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "Tcl ran a command inside: " << word;
  }
}

// An adapter serial number and an interface path from a bench file are
// quoted too: OpenOCD looks for exactly that file, and runs nothing.
TEST(OpenOcdTclQuoting, BenchFileStringsReachOpenOcdAsPlainWords) {
  ScratchFolder scratch;
  const std::string marker = scratch.File("ran");
  const BoardSpec& board = **FindBoard("nucleo-l4r5zi");
  bench::BenchSpec spec = LabBench(board);
  spec.debug.adapter_serial = "SN] [exec touch " + marker + "] [";
  spec.debug.interface_config = "interface/x}] [exec touch " + marker + "] {.cfg";
  OpenOcdOptions options;
  options.timeout = std::chrono::seconds(20);
  options.attempts = 1;
  options.work_dir = scratch.File("openocd");
  Result<std::unique_ptr<OpenOcdFlasher>> flasher =
      OpenOcdFlasher::Create(bench::OpenOcdConfigFor(spec, board), options);
  ASSERT_TRUE(flasher.ok());
  Status flashed = (*flasher)->Flash(BuiltImage("nucleo-l4r5zi", "mb-conv3x3"));
  ASSERT_FALSE(flashed.ok());
  EXPECT_EQ(flashed.error().kind(), ErrorKind::kConfiguration) << flashed.error().ToString();
  EXPECT_NE(flashed.error().message().find("Can't find interface/x}] [exec touch"),
            std::string::npos)
      << flashed.error().message();
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace hil::testing
