// The virtual bench's debug probe: an emulated debug adapter that answers
// as a Cortex-M's JTAG-DP (and SW-DP), with one AHB MEM-AP onto the core's
// bus, forwarding to QEMU's gdbstub. The real OpenOCD then examines,
// halts, loads, verifies and resets the emulated board as it would a real
// one. Two adapters, both drivers of Debian's OpenOCD 0.12:
//
// - a Bus Pirate (`adapter driver buspirate`) on a pseudo-terminal, the
//   default: its TAP shift carries a whole queue of scans per round trip
//   (bus_pirate.h); it loads about 12 times faster than remote_bitbang.
// - a remote_bitbang server (`adapter driver remote_bitbang`) on a Unix or
//   TCP socket: '0'..'7' set tck<<2|tms<<1|tdi; 'R' reads TDO ('0'/'1');
//   'r'..'u' set trst<<1|srst; 'B'/'b' the LED; 'Q' quits; SWD: 'd'..'g'
//   set swclk<<1|swdio, 'c' reads SWDIO, 'O'/'o' drive or release it.
//   One scan costs a round trip, and OpenOCD 0.12 speaks only JTAG over it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"
#include "hil/error.h"

namespace hil::virtual_bench {

enum class DebugAdapter { kBusPirate, kRemoteBitbang };
const char* DebugAdapterName(DebugAdapter adapter);  // "buspirate", "remote_bitbang"

struct DebugProbeOptions {
  std::string gdb_socket;  // QEMU's gdbstub (-gdb unix:PATH,server=on)
  DebugAdapter adapter = DebugAdapter::kBusPirate;
  // remote_bitbang only: a Unix socket path (OpenOCD's `remote_bitbang host
  // PATH` with `port 0`: lower latency than TCP), or empty for a free TCP
  // port on loopback.
  std::string socket_path;
  DebugFaults faults;
};

struct DebugProbeStats {
  uint64_t connections = 0;     // OpenOCD sessions: connections, or entries to OpenOCD mode
  uint64_t bytes_received = 0;  // adapter protocol bytes from OpenOCD
  uint64_t round_trips = 0;     // Bus Pirate TAP shifts, or remote_bitbang TDO reads
  uint64_t bytes_written = 0;   // memory written to the target
  uint64_t protocol_errors = 0;
};

class VirtualDebugProbe {
 public:
  // Connects to QEMU's gdbstub and opens the adapter's port: a new
  // pseudo-terminal (Bus Pirate), or a listening socket (remote_bitbang).
  // Errors: infrastructure.
  static Result<std::unique_ptr<VirtualDebugProbe>> Start(const DebugProbeOptions& options);
  ~VirtualDebugProbe();

  DebugAdapter adapter() const { return adapter_; }
  // Bus Pirate: the serial port OpenOCD opens (`buspirate port`).
  const std::string& tty_path() const { return tty_path_; }
  // remote_bitbang: the TCP port, or 0 when listening on socket_path().
  int port() const { return port_; }
  const std::string& socket_path() const { return socket_path_; }
  // Unplugs the probe: its port disappears and any session ends. Returns
  // once it has.
  void Stop();
  DebugProbeStats stats() const;
  // Why the server stopped serving, if it did (QEMU went away...).
  std::string failure() const;

 private:
  VirtualDebugProbe() = default;
  Status OpenTty();
  Status Listen(const std::string& socket_path);
  void ServeTty();
  void ServeSockets();
  void ServeConnection(int fd);
  // OpenOCD is quiet: the core catches up. False once that failed.
  bool Idle();
  // Counts what OpenOCD sent (and a session it began); false once the probe
  // is to be pulled out (DebugFaults).
  bool Received(size_t bytes, bool session_began);
  void CloseEverything();

  class Session;
  std::unique_ptr<Session> session_;
  DebugAdapter adapter_ = DebugAdapter::kBusPirate;
  int tty_master_ = -1;
  int tty_slave_ = -1;  // held open, so the port stays configured between sessions
  std::string tty_path_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string socket_path_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  DebugProbeStats stats_;
  std::string failure_;
};

}  // namespace hil::virtual_bench
