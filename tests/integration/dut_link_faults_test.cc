// The DutLink against a misbehaving line and a dying or hanging DUT.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "drivers/transport/byte_stream.h"
#include "uart_proxy.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::unique_ptr<flash::QemuMachine> StartQemu(const std::string& board) {
  flash::QemuOptions options;
  options.machine = board;
  options.firmware = BuiltImage(board, "mb-conv3x3");
  Result<std::unique_ptr<flash::QemuMachine>> machine = flash::QemuMachine::Start(options);
  EXPECT_TRUE(machine.ok()) << machine.error().ToString();
  return machine.ok() ? std::move(*machine) : nullptr;
}

std::string SocketPath(const flash::QemuMachine& machine) {
  return machine.uart_uri().substr(std::string("unix:").size());
}

TEST(DutLinkFaultsTest, SurvivesLineNoiseAndJunkLinesInTheDutOutput) {
  auto machine = StartQemu("mps2-an386");
  ASSERT_NE(machine, nullptr);
  UartProxy proxy(SocketPath(*machine), UartProxy::Noise{3.0, 2});
  auto stream = transport::OpenByteStream(proxy.uri());
  ASSERT_TRUE(stream.ok()) << stream.error().ToString();
  dut::DutLink link(std::move(*stream));
  ASSERT_TRUE(link.WaitForBoot().ok());

  std::vector<uint8_t> tensor = KwsTensor();
  for (int round = 0; round < 3; ++round) {
    Result<std::string> name = link.Name();
    ASSERT_TRUE(name.ok()) << name.error().ToString();
    EXPECT_EQ(*name, "hil-mps2-an386");
    ASSERT_TRUE(link.LoadBuffer(tensor).ok());
    Result<std::vector<uint8_t>> echoed = link.PrintBuffer();
    ASSERT_TRUE(echoed.ok()) << echoed.error().ToString();
    EXPECT_EQ(*echoed, tensor);
    Result<dut::InferenceRun> run = link.Infer(2, 1, milliseconds(30000));
    ASSERT_TRUE(run.ok()) << run.error().ToString();
    EXPECT_EQ(run->inference_us.size(), 2u);
  }
  // The noise really was there, and the link saw and dropped it.
  EXPECT_GT(proxy.noise_bytes_injected(), 50u);
  EXPECT_GT(proxy.junk_lines_injected(), 20u);
  EXPECT_EQ(link.stats().noise_bytes, proxy.noise_bytes_injected());
}

TEST(DutLinkFaultsTest, ResyncClearsGarbageSentToTheDut) {
  auto machine = StartQemu("mps2-an386");
  ASSERT_NE(machine, nullptr);
  UartProxy proxy(SocketPath(*machine), UartProxy::Noise{});
  auto stream = transport::OpenByteStream(proxy.uri());
  ASSERT_TRUE(stream.ok());
  dut::DutLink link(std::move(*stream));
  ASSERT_TRUE(link.WaitForBoot().ok());

  // A half command left in the DUT's buffer spoils the next command...
  proxy.InjectToDut("\x01zz");
  Result<std::string> spoiled = link.Name();
  ASSERT_FALSE(spoiled.ok());
  EXPECT_NE(spoiled.error().message().find("rejected"), std::string::npos);

  // ...unless the host resynchronises first.
  proxy.InjectToDut("qq\x7f");
  ASSERT_TRUE(link.Resync(milliseconds(5000)).ok());
  Result<std::string> name = link.Name();
  ASSERT_TRUE(name.ok()) << name.error().ToString();
  EXPECT_EQ(*name, "hil-mps2-an386");
}

TEST(DutLinkFaultsTest, QemuKilledMidCommandIsAClearInfrastructureErrorWellWithinTheTimeout) {
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"));
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  const pid_t pid = dut->machine->pid();
  // Kill QEMU while it works through a long inference run.
  std::thread killer([pid] {
    std::this_thread::sleep_for(milliseconds(300));
    ::kill(pid, SIGKILL);
  });
  const auto start = Clock::now();
  Result<dut::InferenceRun> run = dut->link->Infer(100000, 0, milliseconds(30000));
  const auto elapsed = Clock::now() - start;
  killer.join();

  ASSERT_FALSE(run.ok());
  Error error = dut->Explain(run.error());
  EXPECT_EQ(error.kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(error.message().find("connection closed"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("infer 100000 0"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("killed by signal 9"), std::string::npos) << error.message();
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST(DutLinkFaultsTest, FirmwareFaultIsReportedAsACrashWithTheFaultKind) {
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps3-an547"), BuiltImage("mps3-an547", "mb-dense"));
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  Result<dut::Reply> reply = dut->link->Command("hil-fault");
  ASSERT_FALSE(reply.ok());
  Error error = dut->Explain(reply.error());
  EXPECT_EQ(error.kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(error.message().find("the DUT said: fault: usagefault"), std::string::npos)
      << error.message();
  EXPECT_NE(error.message().find("exited with status 3"), std::string::npos) << error.message();
}

TEST(DutLinkFaultsTest, HungDutTimesOutThenRecoversByResync) {
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"));
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();
  ::kill(dut->machine->pid(), SIGSTOP);
  const auto start = Clock::now();
  Result<dut::Reply> reply = dut->link->Command("name", milliseconds(800));
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(reply.ok());
  Error error = dut->Explain(reply.error());
  EXPECT_EQ(error.kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(error.message().find("no complete reply to 'name'"), std::string::npos)
      << error.message();
  EXPECT_NE(error.message().find("the DUT hangs"), std::string::npos) << error.message();
  EXPECT_GE(elapsed, milliseconds(800));
  EXPECT_LT(elapsed, milliseconds(3000));

  // Once the DUT runs again the link resynchronises by itself: the late
  // reply to the first "name" must not be taken for the next command's.
  ::kill(dut->machine->pid(), SIGCONT);
  Result<dut::Profile> profile = dut->link->GetProfile();
  ASSERT_TRUE(profile.ok()) << profile.error().ToString();
  EXPECT_EQ(profile->model, "mb-conv3x3");
}

TEST(DutLinkFaultsTest, MissingFirmwareIsAConfigurationErrorAndBadQemuAnInfrastructureError) {
  Result<VirtualDut> missing =
      BootVirtualDut(**FindBoard("mps2-an386"), "/nonexistent/harness.elf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kConfiguration);

  Result<VirtualDut> not_elf = BootVirtualDut(**FindBoard("mps2-an386"), HIL_CLI_PATH);
  ASSERT_FALSE(not_elf.ok());
  EXPECT_EQ(not_elf.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(not_elf.error().message().find("not a 32-bit Arm ELF"), std::string::npos);

  VirtualDutOptions options;
  options.qemu.qemu_binary = "/nonexistent/qemu-system-arm";
  Result<VirtualDut> no_qemu =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
  ASSERT_FALSE(no_qemu.ok());
  EXPECT_EQ(no_qemu.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(no_qemu.error().message().find("cannot run /nonexistent/qemu-system-arm"),
            std::string::npos)
      << no_qemu.error().message();
  EXPECT_NE(no_qemu.error().message().find("is it installed?"), std::string::npos)
      << no_qemu.error().message();

  Result<VirtualDut> hardware =
      BootVirtualDut(**FindBoard("nucleo-l4r5zi"), BuiltImage("nucleo-l4r5zi", "mb-conv3x3"));
  ASSERT_FALSE(hardware.ok());
  EXPECT_EQ(hardware.error().kind(), ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace hil::testing
