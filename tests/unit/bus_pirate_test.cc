// The virtual Bus Pirate's byte protocol, on hand-built commands as OpenOCD
// 0.12's buspirate driver sends them: entering binary and OpenOCD mode, TAP
// shifts that read the IDCODE and write memory through the MEM-AP in one
// round trip, the speed change, the ADC readings, leaving, and commands cut
// into pieces as a serial line delivers them.
#include "drivers/flash/virtual_debug_probe/bus_pirate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drivers/flash/virtual_debug_probe/adi_dap.h"
#include "drivers/flash/virtual_debug_probe/wire.h"
#include "fake_core.h"

namespace hil::virtual_bench {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string bytes;
  for (int v : values) bytes += static_cast<char>(v);
  return bytes;
}

// The TMS/TDI bits of one CMD_TAP_SHIFT, built scan by scan from
// Run-Test/Idle as OpenOCD's driver does, and where each scan's TDO lands.
class TapShift {
 public:
  void Bit(bool tms, bool tdi = false) {
    tms_.push_back(tms);
    tdi_.push_back(tdi);
  }
  void TestLogicResetThenIdle() {
    for (int i = 0; i < 5; ++i) Bit(true);
    Bit(false);
  }
  // Returns the bit index of the scan's first TDO bit.
  size_t Scan(bool ir, uint64_t value, int length) {
    Bit(true);          // Select-DR
    if (ir) Bit(true);  // Select-IR
    Bit(false);         // Capture
    Bit(false);         // Shift
    const size_t first = tms_.size();
    for (int i = 0; i < length; ++i) Bit(i == length - 1, ((value >> i) & 1u) != 0);
    Bit(true);   // Update
    Bit(false);  // Run-Test/Idle
    return first;
  }
  // A JTAG-DP DPACC/APACC write: RnW 0, A[3:2], 32 data bits.
  void Write(uint32_t address, uint32_t data) {
    Scan(false, (static_cast<uint64_t>(data) << 3) | ((address >> 2) << 1), 35);
  }
  std::string Command() const {
    const size_t bits = tms_.size();
    std::string command = Bytes({0x05, static_cast<int>(bits >> 8), static_cast<int>(bits & 0xFF)});
    for (size_t byte = 0; byte < (bits + 7) / 8; ++byte) {
      uint8_t tdi = 0, tms = 0;
      for (size_t bit = 0; bit < 8 && byte * 8 + bit < bits; ++bit) {
        tdi |= static_cast<uint8_t>(tdi_[byte * 8 + bit] << bit);
        tms |= static_cast<uint8_t>(tms_[byte * 8 + bit] << bit);
      }
      command += static_cast<char>(tdi);
      command += static_cast<char>(tms);
    }
    return command;
  }
  size_t bits() const { return tms_.size(); }

 private:
  std::vector<bool> tms_, tdi_;
};

uint64_t TdoBits(const std::string& reply, size_t first, int length) {
  uint64_t value = 0;
  for (int i = 0; i < length; ++i) {
    const size_t bit = first + static_cast<size_t>(i);
    const uint8_t byte = static_cast<uint8_t>(reply[3 + bit / 8]);
    value |= static_cast<uint64_t>((byte >> (bit % 8)) & 1u) << i;
  }
  return value;
}

class BusPirateTest : public ::testing::Test {
 protected:
  std::string Send(const std::string& bytes) {
    std::string replies;
    pirate.Feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), replies);
    return replies;
  }
  void EnterOpenOcdMode() {
    ASSERT_EQ(Send(std::string(20, '\0')), "BBIO1");
    ASSERT_EQ(Send(Bytes({0x06})), "OCD1");
  }

  FakeCore core;
  CortexMDebug debug{core};
  AdiDap dap{debug};
  JtagDp tap{dap};
  BusPirateOcd pirate{tap};
};

TEST_F(BusPirateTest, TwentyNulsEnterBinaryModeThenOpenOcdMode) {
  EXPECT_EQ(Send(std::string(19, '\0')), "") << "the terminal needs twenty";
  EXPECT_EQ(pirate.mode(), BusPirateOcd::Mode::kTerminal);
  EXPECT_EQ(Send(std::string(1, '\0')), "BBIO1");
  // Already in binary mode, each further NUL is answered (OpenOCD reads on
  // until OCD1).
  EXPECT_EQ(Send(std::string(2, '\0') + Bytes({0x06})), "BBIO1BBIO1OCD1");
  EXPECT_EQ(pirate.mode(), BusPirateOcd::Mode::kOpenOcd);
  // OpenOCD's quit: back to binary mode, then a reset to the terminal.
  EXPECT_EQ(Send(Bytes({0x00})), "BBIO1");
  EXPECT_EQ(Send(Bytes({0x0F})), Bytes({0x01}));
  EXPECT_EQ(pirate.mode(), BusPirateOcd::Mode::kTerminal);
  EXPECT_EQ(pirate.protocol_errors(), 0u);
}

TEST_F(BusPirateTest, ATapShiftReadsTheIdcodeWithTdoSampledBeforeEachRisingEdge) {
  EnterOpenOcdMode();
  TapShift shift;
  shift.TestLogicResetThenIdle();
  const size_t first = shift.Scan(false, 0, 32);  // IDCODE is the instruction after reset
  const std::string reply = Send(shift.Command());
  ASSERT_EQ(reply.size(), 3 + (shift.bits() + 7) / 8);
  EXPECT_EQ(reply.substr(0, 3), shift.Command().substr(0, 3)) << "the header is echoed";
  EXPECT_EQ(TdoBits(reply, first, 32), JtagDp::kIdcode);
  EXPECT_EQ(TdoBits(reply, 0, static_cast<int>(first)), 0u) << "TDO is low outside Shift-DR";
  EXPECT_EQ(pirate.tap_shifts(), 1u);
  EXPECT_EQ(pirate.bits_shifted(), shift.bits());
}

TEST_F(BusPirateTest, OneShiftPowersUpTheDapAndWritesMemoryThroughTheMemAp) {
  EnterOpenOcdMode();
  TapShift shift;
  shift.TestLogicResetThenIdle();
  shift.Scan(true, 0xA, 4);                   // DPACC
  shift.Write(0x4, (1u << 30) | (1u << 28));  // CTRL/STAT: debug and system power-up
  shift.Write(0x8, 0);                        // SELECT: AP 0, bank 0
  shift.Scan(true, 0xB, 4);                   // APACC
  shift.Write(0x0, 0x23000052);               // CSW: 32-bit, single increment
  shift.Write(0x4, 0x20000100);               // TAR
  shift.Write(0xC, 0xCAFEF00D);               // DRW
  shift.Write(0xC, 0x12345678);               // DRW, TAR incremented
  const std::string reply = Send(shift.Command());
  ASSERT_EQ(reply.size(), 3 + (shift.bits() + 7) / 8);
  ASSERT_TRUE(debug.Idle().ok());  // the coalesced writes go out
  EXPECT_EQ(Word(core, 0x20000100), 0xCAFEF00Du);
  EXPECT_EQ(Word(core, 0x20000104), 0x12345678u);
  EXPECT_EQ(pirate.tap_shifts(), 1u) << "one round trip for the whole sequence";
}

TEST_F(BusPirateTest, ACommandCutIntoPiecesIsAnsweredOnceWhole) {
  EnterOpenOcdMode();
  TapShift shift;
  shift.TestLogicResetThenIdle();
  const size_t first = shift.Scan(false, 0, 32);
  const std::string command = shift.Command();
  std::string replies;
  for (size_t i = 0; i + 1 < command.size(); ++i) replies += Send(command.substr(i, 1));
  EXPECT_EQ(replies, "") << "nothing before the last byte";
  replies += Send(command.substr(command.size() - 1) + Bytes({0x07, 0x01}));
  replies += Send(Bytes({0xAA}));
  replies += Send(Bytes({0x55}));
  ASSERT_EQ(replies.size(), 3 + (shift.bits() + 7) / 8 + 2);
  EXPECT_EQ(TdoBits(replies, first, 32), JtagDp::kIdcode);
  EXPECT_EQ(replies.substr(replies.size() - 2), Bytes({0x07, 0x01})) << "the speed change";
}

TEST_F(BusPirateTest, SpeedChangeIsAnsweredOnlyAfterTheHostsAck) {
  EnterOpenOcdMode();
  EXPECT_EQ(Send(Bytes({0x07, 0x01})), "") << "the host changes its baud rate first";
  EXPECT_EQ(Send(Bytes({0xAA, 0x55})), Bytes({0x07, 0x01}));
  EXPECT_EQ(Send(Bytes({0x07, 0x00, 0x12, 0x34})), "") << "no ack, no answer";
  EXPECT_EQ(pirate.protocol_errors(), 1u);
}

TEST_F(BusPirateTest, AdcsReadTheSuppliesAndFeaturesDriveTheResetLines) {
  EnterOpenOcdMode();
  const std::string adcs = Send(Bytes({0x03}));
  ASSERT_EQ(adcs.size(), 10u);
  EXPECT_EQ(adcs.substr(0, 2), Bytes({0x03, 0x08}));
  const auto volts = [&](int at) {
    return ((static_cast<uint8_t>(adcs[at]) << 8) | static_cast<uint8_t>(adcs[at + 1])) / 155.1515;
  };
  EXPECT_NEAR(volts(6), 3.3, 0.01);  // V33
  EXPECT_NEAR(volts(8), 5.0, 0.01);  // V50
  // Mode and features have no reply; SRST "disable" drives the line low.
  EXPECT_EQ(Send(Bytes({0x01, 0x01, 0x02, 0x08, 0x00})), "");
  EXPECT_FALSE(pirate.srst_released());
  EXPECT_EQ(Send(Bytes({0x02, 0x08, 0x01})), "");
  EXPECT_TRUE(pirate.srst_released());
}

TEST_F(BusPirateTest, AShiftLongerThanTheFirmwareTakesIsRefused) {
  EnterOpenOcdMode();
  EXPECT_EQ(Send(Bytes({0x05, 0x20, 0x01})), "");
  EXPECT_EQ(pirate.protocol_errors(), 1u);
  EXPECT_EQ(pirate.tap_shifts(), 0u);
}

TEST_F(BusPirateTest, AHalfCommandFromAHostThatLeftIsDropped) {
  EnterOpenOcdMode();
  EXPECT_EQ(Send(Bytes({0x05, 0x00, 0x40, 0x00})), "");  // 64 bits announced, one byte sent
  pirate.DropPartialCommand();
  // The next OpenOCD starts over: its NULs leave OpenOCD mode as usual.
  EXPECT_EQ(Send(std::string(20, '\0')).substr(0, 5), "BBIO1");
  EXPECT_EQ(pirate.mode(), BusPirateOcd::Mode::kBinary);
}

}  // namespace
}  // namespace hil::virtual_bench
