// The virtual debug probe's layers on hand-built bit sequences and a fake
// core: the SW-DP wire (Debian's OpenOCD 0.12 cannot drive SWD over
// remote_bitbang, so only these tests exercise it), the JTAG-DP TAP, and the
// Cortex-M debug block's ordering and coalescing.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "drivers/flash/virtual_debug_probe/adi_dap.h"
#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"
#include "drivers/flash/virtual_debug_probe/wire.h"
#include "fake_core.h"

namespace hil::virtual_bench {
namespace {

// The host side of an SWD wire, bit by bit as a bit-banging adapter drives
// it: data set while the clock is low, sampled by the target on the rise.
class SwdHost {
 public:
  explicit SwdHost(SwdDp& wire) : wire_(wire) {}
  void Write(bool bit) {
    wire_.SetPins(false, bit);
    wire_.SetPins(true, bit);
  }
  void WriteBits(uint64_t bits, int count) {
    for (int i = 0; i < count; ++i) Write(((bits >> i) & 1u) != 0);
  }
  bool Read() {  // the target's bit, read while the clock is low
    wire_.SetPins(false, false);
    const bool bit = wire_.ReadData();
    wire_.SetPins(true, false);
    return bit;
  }
  uint64_t ReadBits(int count) {
    uint64_t bits = 0;
    for (int i = 0; i < count; ++i) bits |= static_cast<uint64_t>(Read()) << i;
    return bits;
  }
  void LineReset() {
    for (int i = 0; i < 56; ++i) Write(true);
  }
  // Request bits: start, APnDP, RnW, A2, A3, parity, stop, park.
  static uint8_t Request(bool ap, bool read, uint32_t address, bool good_parity = true) {
    const bool a2 = (address & 4u) != 0, a3 = (address & 8u) != 0;
    const bool parity = (ap ^ read ^ a2 ^ a3) ^ !good_parity;
    return static_cast<uint8_t>(1u | ap << 1 | read << 2 | a2 << 3 | a3 << 4 | parity << 5 |
                                0u << 6 | 1u << 7);
  }
  // Returns the ACK (0b001 = OK) and the value, and whether its parity held.
  uint32_t ReadRegister(bool ap, uint32_t address, uint32_t& ack, bool& parity_ok) {
    WriteBits(Request(ap, true, address), 8);
    Read();  // turnaround
    ack = static_cast<uint32_t>(ReadBits(3));
    const uint32_t value = static_cast<uint32_t>(ReadBits(32));
    parity_ok = Read() == (__builtin_parity(value) != 0);
    Read();           // turnaround back
    WriteBits(0, 2);  // idle cycles
    return value;
  }
  uint32_t WriteRegister(bool ap, uint32_t address, uint32_t value, bool good_parity = true) {
    WriteBits(Request(ap, false, address), 8);
    Read();  // turnaround
    const uint32_t ack = static_cast<uint32_t>(ReadBits(3));
    Read();  // turnaround
    WriteBits(value, 32);
    Write((__builtin_parity(value) != 0) ^ !good_parity);
    WriteBits(0, 2);
    return ack;
  }

 private:
  SwdDp& wire_;
};

class SwdWireTest : public ::testing::Test {
 protected:
  FakeCore core;
  CortexMDebug debug{core};
  AdiDap dap{debug};
  SwdDp wire{dap};
  SwdHost host{wire};

  // Line reset, the JTAG-to-SWD sequence (0xE79E, LSB first), line reset,
  // idle: what every SWD host sends first. To an SW-DP the switch sequence
  // is a malformed request, which the second line reset forgives.
  void SwitchToSwd() {
    host.LineReset();
    host.WriteBits(0xE79E, 16);
    host.LineReset();
    host.WriteBits(0, 4);
    errors_before = wire.protocol_errors();
  }
  uint32_t NewErrors() const { return wire.protocol_errors() - errors_before; }
  uint32_t errors_before = 0;
};

TEST_F(SwdWireTest, LockedOutUntilALineResetThenReadsDpidr) {
  // Before any reset the target ignores requests: nothing drives the line.
  host.WriteBits(SwdHost::Request(false, true, 0x0), 8);
  EXPECT_TRUE(wire.locked_out());

  SwitchToSwd();
  EXPECT_FALSE(wire.locked_out());
  uint32_t ack = 0;
  bool parity_ok = false;
  const uint32_t dpidr = host.ReadRegister(false, 0x0, ack, parity_ok);
  EXPECT_EQ(ack, 0b001u);
  EXPECT_EQ(dpidr, AdiDap::kSwdDpidr);
  EXPECT_TRUE(parity_ok);
  EXPECT_EQ(NewErrors(), 0u);
}

TEST_F(SwdWireTest, PowerUpSelectAndAnApWriteReachMemory) {
  SwitchToSwd();
  uint32_t ack = 0;
  bool parity_ok = false;
  (void)host.ReadRegister(false, 0x0, ack, parity_ok);
  EXPECT_EQ(host.WriteRegister(false, 0x4, 0x50000000), 0b001u);  // CSYSPWRUPREQ|CDBGPWRUPREQ
  const uint32_t status = host.ReadRegister(false, 0x4, ack, parity_ok);
  EXPECT_EQ(status & 0xF0000000u, 0xF0000000u) << "both power-up requests acknowledged";
  EXPECT_EQ(host.WriteRegister(false, 0x8, 0x00000000), 0b001u);  // SELECT: AP 0, bank 0
  EXPECT_EQ(host.WriteRegister(true, 0x4, 0x20000000), 0b001u);   // TAR
  EXPECT_EQ(host.WriteRegister(true, 0xC, 0xCAFEF00D), 0b001u);   // DRW
  ASSERT_TRUE(debug.Idle().ok());
  EXPECT_EQ(Word(core, 0x20000000), 0xCAFEF00Du);

  // AP reads are posted: the value comes with the next read, or RDBUFF.
  EXPECT_EQ(host.WriteRegister(true, 0x4, 0x20000000), 0b001u);
  (void)host.ReadRegister(true, 0xC, ack, parity_ok);
  EXPECT_EQ(host.ReadRegister(false, 0xC, ack, parity_ok), 0xCAFEF00Du);  // RDBUFF
  EXPECT_TRUE(parity_ok);
}

TEST_F(SwdWireTest, AWriteWithBadDataParityIsDropped) {
  SwitchToSwd();
  ASSERT_EQ(host.WriteRegister(true, 0x4, 0x20000100), 0b001u);
  EXPECT_EQ(host.WriteRegister(true, 0xC, 0x11111111, /*good_parity=*/false), 0b001u);
  ASSERT_TRUE(debug.Idle().ok());
  EXPECT_EQ(Word(core, 0x20000100), 0u);
  EXPECT_EQ(NewErrors(), 1u);
}

TEST_F(SwdWireTest, ARequestWithBadParityLocksTheWireOutUntilTheNextLineReset) {
  SwitchToSwd();
  host.WriteBits(SwdHost::Request(false, true, 0x0, /*good_parity=*/false), 8);
  EXPECT_TRUE(wire.locked_out());
  EXPECT_EQ(NewErrors(), 1u);
  host.Read();
  EXPECT_EQ(host.ReadBits(3), 0b111u) << "no ACK: the line floats high";
  host.LineReset();
  host.WriteBits(0, 2);
  uint32_t ack = 0;
  bool parity_ok = false;
  EXPECT_EQ(host.ReadRegister(false, 0x0, ack, parity_ok), AdiDap::kSwdDpidr);
  EXPECT_EQ(ack, 0b001u);
}

// The JTAG-DP: IDCODE after reset, then a DPACC read of CTRL/STAT whose
// value arrives with the next scan.
class JtagHost {
 public:
  explicit JtagHost(JtagDp& tap) : tap_(tap) {}
  bool Clock(bool tms, bool tdi = false) {
    tap_.SetPins(false, tms, tdi);
    const bool tdo = tap_.Tdo();
    tap_.SetPins(true, tms, tdi);
    return tdo;
  }
  void Reset() {
    for (int i = 0; i < 5; ++i) Clock(true);
    Clock(false);  // Run-Test/Idle
  }
  uint64_t Scan(bool ir, uint64_t out, int length) {
    Clock(true);          // Select-DR
    if (ir) Clock(true);  // Select-IR
    Clock(false);         // Capture
    Clock(false);         // Shift
    uint64_t in = 0;
    for (int i = 0; i < length; ++i) {
      const bool last = i == length - 1;
      in |= static_cast<uint64_t>(Clock(last, ((out >> i) & 1u) != 0)) << i;
    }
    Clock(true);   // Update
    Clock(false);  // Run-Test/Idle
    return in;
  }

 private:
  JtagDp& tap_;
};

TEST(JtagDpTest, IdcodeThenAPostedDpRead) {
  FakeCore core;
  CortexMDebug debug(core);
  AdiDap dap(debug);
  JtagDp tap(dap);
  JtagHost host(tap);
  host.Reset();
  EXPECT_EQ(host.Scan(false, 0, 32), JtagDp::kIdcode);
  EXPECT_EQ(host.Scan(true, 0xA, 4) & 0x3u, 0b01u);                  // IR capture; now DPACC
  host.Scan(false, (0x1ull << 1) | 1u, 35);                          // read CTRL/STAT (A=0x4)
  const uint64_t result = host.Scan(false, (0x3ull << 1) | 1u, 35);  // RDBUFF
  EXPECT_EQ(result & 0x7u, 0b010u) << "OK/FAULT";
  EXPECT_EQ(result >> 3, dap.ReadDp(0x4));
}

TEST(CortexMDebugTest, ResetRunResumesOnlyAfterTheReset) {
  FakeCore core;
  CortexMDebug debug(core);
  // OpenOCD's `reset run`: clear C_HALT, then SYSRESETREQ at once.
  ASSERT_TRUE(debug.Write(0xE000EDF0, 4, 0xA05F0001).ok());
  EXPECT_TRUE(core.log.empty()) << "no resume of the old firmware before the reset";
  ASSERT_TRUE(debug.Write(0xE000ED0C, 4, 0x05FA0004).ok());
  EXPECT_EQ(core.log, (std::vector<std::string>{"reset", "resume"}));
  // S_RESET_ST is set once, then clears on read.
  Result<uint32_t> first = debug.Read(0xE000EDF0, 4);
  Result<uint32_t> second = debug.Read(0xE000EDF0, 4);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first & (1u << 25), 0u);
  EXPECT_EQ(*second & (1u << 25), 0u);
  EXPECT_EQ(*second & (1u << 17), 0u) << "running: S_HALT clear";
}

TEST(CortexMDebugTest, AHeldResumeHappensAtTheNextOtherAccess) {
  FakeCore core;
  CortexMDebug debug(core);
  ASSERT_TRUE(debug.Write(0xE000EDF0, 4, 0xA05F0001).ok());
  ASSERT_TRUE(debug.Read(0xE000EDF0, 4).ok());
  EXPECT_EQ(core.log, (std::vector<std::string>{"resume"}));
}

TEST(CortexMDebugTest, ContiguousWritesGoOutAsOneAndCoreRegistersPassThroughDcrsr) {
  FakeCore core;
  DebugFaults faults;
  CortexMDebug debug(core, faults);
  for (uint32_t i = 0; i < 1024; ++i) ASSERT_TRUE(debug.Write(0x100 + 4 * i, 4, i).ok());
  EXPECT_TRUE(core.log.empty());
  ASSERT_TRUE(debug.Idle().ok());
  EXPECT_EQ(core.log, (std::vector<std::string>{"write 4096"}));
  EXPECT_EQ(Word(core, 0x100 + 4 * 1000), 1000u);

  ASSERT_TRUE(debug.Write(0xE000EDF8, 4, 0x08000401).ok());        // DCRDR
  ASSERT_TRUE(debug.Write(0xE000EDF4, 4, (1u << 16) | 15u).ok());  // write PC
  EXPECT_EQ(core.registers[15], 0x08000401u);
  core.registers[0x19] = 0x01000000;                  // xPSR
  ASSERT_TRUE(debug.Write(0xE000EDF4, 4, 16u).ok());  // read xPSR
  Result<uint32_t> xpsr = debug.Read(0xE000EDF8, 4);
  ASSERT_TRUE(xpsr.ok());
  EXPECT_EQ(*xpsr, 0x01000000u);
}

TEST(CortexMDebugTest, TheInjectedCorruptionLandsAfterTheLoad) {
  FakeCore core;
  DebugFaults faults;
  faults.corrupt_after_load = 0x208;
  CortexMDebug debug(core, faults);
  for (uint32_t i = 0; i < 64; ++i) ASSERT_TRUE(debug.Write(0x200 + 4 * i, 4, 0x12345678).ok());
  Result<uint32_t> read = debug.Read(0x208, 4);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, ~0x12345678u);
  Result<uint32_t> neighbour = debug.Read(0x20C, 4);
  ASSERT_TRUE(neighbour.ok());
  EXPECT_EQ(*neighbour, 0x12345678u);
}

}  // namespace
}  // namespace hil::virtual_bench
