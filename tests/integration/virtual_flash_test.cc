// The virtual bench flashes through Debian's real openocd 0.12: QEMU starts
// empty and halted, OpenOCD examines the core through the virtual debug
// probe (an emulated Bus Pirate on a pseudo-terminal, or remote_bitbang ->
// JTAG-DP -> MEM-AP -> QEMU's gdbstub), loads, verifies and starts the
// harness, which then answers. Failures end classified, as on a real bench.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "drivers/flash/elf_image.h"
#include "hil/boards.h"
#include "hil/virtual_dut.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct CoreOf {
  const char* board;
  const char* detected;  // what OpenOCD says once it has examined the core
};

class VirtualFlashTest : public ::testing::TestWithParam<CoreOf> {};

TEST_P(VirtualFlashTest, OpenOcdExaminesLoadsVerifiesAndStartsTheHarness) {
  const CoreOf& core = GetParam();
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard(core.board), BuiltImage(core.board, "mb-conv3x3"));
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  ASSERT_NE(dut->flasher, nullptr);
  const std::string log = dut->flasher->last_output();
  EXPECT_NE(log.find("Buspirate JTAG Interface ready!"), std::string::npos) << log;
  EXPECT_NE(log.find(core.detected), std::string::npos) << log;
  EXPECT_NE(log.find("verified"), std::string::npos) << log;
  // The only complaint: no work area, so verify reads the image back.
  for (size_t at = log.find("Error"); at != std::string::npos; at = log.find("Error", at + 1)) {
    EXPECT_EQ(log.compare(at, 35, "Error: No working memory available."), 0) << log.substr(at, 80);
  }
  Result<std::string> name = dut->link->Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, std::string("hil-") + core.board);
  EXPECT_GT(dut->debug_probe->stats().bytes_written, 10'000u);
}

INSTANTIATE_TEST_SUITE_P(
    QemuBoards, VirtualFlashTest,
    ::testing::Values(CoreOf{"mps2-an386", "Cortex-M4 r0p0 processor detected"},
                      CoreOf{"mps2-an500", "Cortex-M7 r1p2 processor detected"},
                      CoreOf{"mps3-an547", "Cortex-M55 r0p1 processor detected"}),
    [](const ::testing::TestParamInfo<CoreOf>& param) {
      std::string name = param.param.board;
      for (char& c : name) c = c == '-' ? '_' : c;
      return name;
    });

// The review's reproduction: a firmware path that closes OpenOCD's braces
// and runs `exec`. Every Tcl metacharacter and a newline are in the path;
// OpenOCD loads exactly that file and runs nothing.
TEST(VirtualFlash, AFirmwarePathWithTclMetacharactersIsFlashedAndRunsNothing) {
  ScratchFolder scratch;
  const std::string marker = scratch.File("ran");
  const std::filesystem::path folder =
      scratch.File("x} [exec touch " + marker + "] {$HOME \\ \"q\";\nline2 ]");
  std::filesystem::create_directories(folder);
  const std::string image = (folder / "fw.elf").string();
  std::filesystem::copy_file(BuiltImage("mps2-an386", "mb-conv3x3"), image);
  Result<VirtualDut> dut = BootVirtualDut(**FindBoard("mps2-an386"), image);
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  EXPECT_NE(dut->flasher->last_output().find("verified"), std::string::npos)
      << dut->flasher->last_output();
  Result<std::string> name = dut->link->Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, "hil-mps2-an386");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(VirtualFlash, ARunningBoardIsReflashedWithoutRestartingQemu) {
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"));
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  const pid_t qemu = dut->machine->pid();
  Result<std::vector<dut::Layer>> before = dut->link->Layers();
  ASSERT_TRUE(before.ok());
  ASSERT_FALSE(before->empty());
  EXPECT_EQ((*before)[0].op, "conv_2d_3x3");
  // The harness is busy answering; OpenOCD halts it, loads the other image
  // and resets it, as on a real bench.
  ASSERT_TRUE(dut->link->Infer(2, 0, std::chrono::seconds(60)).ok());
  Status reflashed = dut->Reflash(BuiltImage("mps2-an386", "mb-dense"));
  ASSERT_TRUE(reflashed.ok()) << reflashed.error().ToString();
  EXPECT_EQ(dut->machine->pid(), qemu);
  EXPECT_FALSE(dut->machine->Poll().has_value());
  Result<std::vector<dut::Layer>> after = dut->link->Layers();
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  ASSERT_FALSE(after->empty());
  EXPECT_EQ((*after)[0].op, "fully_connected");
  EXPECT_EQ(dut->debug_probe->stats().connections, 2u);
}

struct Unplugged {
  virtual_bench::DebugAdapter adapter;
  const char* openocd_says;  // OpenOCD's own line when the adapter is gone
};

class UnpluggedProbeTest : public ::testing::TestWithParam<Unplugged> {};

TEST_P(UnpluggedProbeTest, IsAnInfrastructureErrorWithOpenOcdsMessage) {
  VirtualDutOptions options;
  options.debug_adapter = GetParam().adapter;
  options.openocd.timeout = std::chrono::seconds(20);
  options.openocd.attempts = 2;
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an500"), BuiltImage("mps2-an500", "mb-conv3x3"), options);
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  dut->debug_probe->Stop();  // unplugged
  const auto start = Clock::now();
  Status reflashed = dut->Reflash(BuiltImage("mps2-an500", "mb-dense"));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(reflashed.ok());
  EXPECT_EQ(reflashed.error().kind(), ErrorKind::kInfrastructure);
  const std::string message = reflashed.error().message();
  EXPECT_NE(message.find("no debug probe"), std::string::npos) << message;
  EXPECT_NE(message.find(GetParam().openocd_says), std::string::npos)
      << "OpenOCD's own line: " << message;
  EXPECT_LT(took, options.openocd.timeout * options.openocd.attempts);
}

INSTANTIATE_TEST_SUITE_P(Adapters, UnpluggedProbeTest,
                         ::testing::Values(Unplugged{virtual_bench::DebugAdapter::kBusPirate,
                                                     "Error: Could not open serial port"},
                                           Unplugged{virtual_bench::DebugAdapter::kRemoteBitbang,
                                                     "Error on socket 'connect'"}),
                         [](const ::testing::TestParamInfo<Unplugged>& param) {
                           return std::string(virtual_bench::DebugAdapterName(param.param.adapter));
                         });

TEST_P(UnpluggedProbeTest, DuringTheLoadIsAnInfrastructureErrorNeverAPass) {
  VirtualDutOptions options;
  options.debug_adapter = GetParam().adapter;
  options.openocd.attempts = 1;
  options.debug_faults.unplug_after_bytes = 4096;  // the images are 12 KiB or more
  const auto start = Clock::now();
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
  ASSERT_FALSE(dut.ok()) << "a load cut short passed";
  EXPECT_EQ(dut.error().kind(), ErrorKind::kInfrastructure);
  const std::string message = dut.error().message();
  EXPECT_NE(message.find("no debug probe"), std::string::npos) << message;
  EXPECT_LT(Clock::now() - start, options.openocd.timeout);
}

TEST(VirtualFlash, RemoteBitbangStillExaminesLoadsAndStartsTheHarness) {
  VirtualDutOptions options;
  options.debug_adapter = virtual_bench::DebugAdapter::kRemoteBitbang;
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  const std::string log = dut->flasher->last_output();
  EXPECT_NE(log.find("remote_bitbang driver initialized"), std::string::npos) << log;
  EXPECT_NE(log.find("verified"), std::string::npos) << log;
  Result<std::string> name = dut->link->Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, "hil-mps2-an386");
}

TEST(VirtualFlash, AWordCorruptedAfterTheLoadFailsTheVerifyNeverASilentPass) {
  const std::string image = BuiltImage("mps3-an547", "mb-conv3x3");
  Result<flash::ElfImage> elf = flash::ReadElfImage(image);
  ASSERT_TRUE(elf.ok());
  VirtualDutOptions options;
  options.openocd.attempts = 1;
  options.debug_faults.corrupt_after_load = (elf->entry & ~1u) + 16;  // inside .text
  const auto start = Clock::now();
  Result<VirtualDut> dut = BootVirtualDut(**FindBoard("mps3-an547"), image, options);
  ASSERT_FALSE(dut.ok()) << "a corrupted image passed verification";
  EXPECT_EQ(dut.error().kind(), ErrorKind::kInfrastructure);
  const std::string message = dut.error().message();
  EXPECT_NE(message.find("verify failed"), std::string::npos) << message;
  EXPECT_LT(Clock::now() - start, options.openocd.timeout);
}

}  // namespace
}  // namespace hil::testing
