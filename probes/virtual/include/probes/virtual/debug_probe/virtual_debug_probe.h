// The virtual bench's debug probe: a remote_bitbang server (OpenOCD's
// `adapter driver remote_bitbang`) that answers as a Cortex-M's JTAG-DP (and
// SW-DP, for OpenOCD builds that speak SWD over remote_bitbang), with one
// AHB MEM-AP onto the core's bus, forwarding to QEMU's gdbstub. The real
// OpenOCD then examines, halts, loads, verifies and resets the emulated
// board as it would a real one.
//
// remote_bitbang (OpenOCD 0.12): '0'..'7' set tck<<2|tms<<1|tdi; 'R' reads
// TDO ('0'/'1'); 'r'..'u' set trst<<1|srst; 'B'/'b' the LED; 'Q' quits;
// SWD: 'd'..'g' set swclk<<1|swdio, 'c' reads SWDIO, 'O'/'o' drive or
// release it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hil/error.h"
#include "probes/virtual/debug_probe/cortex_m_debug.h"

namespace hil::virtual_bench {

struct DebugProbeOptions {
  std::string gdb_socket;  // QEMU's gdbstub (-gdb unix:PATH,server=on)
  // Where OpenOCD finds the probe: a Unix socket path (OpenOCD's
  // `remote_bitbang host PATH` with `port 0`: lower latency than TCP, and
  // one scan costs a round trip), or empty for a free TCP port on loopback.
  std::string socket_path;
  DebugFaults faults;
};

struct DebugProbeStats {
  uint64_t connections = 0;
  uint64_t characters = 0;     // remote_bitbang characters received
  uint64_t bytes_written = 0;  // memory written to the target
};

class VirtualDebugProbe {
 public:
  // Connects to QEMU's gdbstub and listens on a free loopback port.
  // Errors: infrastructure.
  static Result<std::unique_ptr<VirtualDebugProbe>> Start(const DebugProbeOptions& options);
  ~VirtualDebugProbe();

  // The TCP port, or 0 when listening on options.socket_path.
  int port() const { return port_; }
  const std::string& socket_path() const { return socket_path_; }
  // "gone" unplugs the probe: the listening socket and any connection close.
  void Stop();
  DebugProbeStats stats() const;
  // Why the server stopped serving, if it did (QEMU went away...).
  std::string failure() const;

 private:
  VirtualDebugProbe() = default;
  void Serve();
  void ServeConnection(int fd);

  class Session;
  std::unique_ptr<Session> session_;
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
