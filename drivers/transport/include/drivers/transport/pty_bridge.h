// A byte stream (an emulated DUT's UART) presented as a pseudo-terminal, so
// that tools written for a USB serial port (pyserial, minicom, MLPerf Tiny's
// runner) open it by a path like /dev/ttyACM0.
//
// A serial port has no history: a client that opens it sees only what the
// device says from then on. So the bridge forwards the device's bytes only
// while a client holds the terminal open, drops them otherwise, and clears
// what a client left unread when it closes; a client may close and reopen
// the terminal any number of times. The bridge notices a client leave within
// a few milliseconds (the terminal hangs up); one that closes and reopens
// faster than that is taken for the same client.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/transport/byte_stream.h"
#include "hil/error.h"

namespace hil::transport {

struct PtyBridgeStats {
  uint64_t to_client = 0;    // device bytes a client received
  uint64_t from_client = 0;  // client bytes sent to the device
  uint64_t dropped = 0;      // device bytes said while no client listened
  uint64_t sessions = 0;     // times a client opened the terminal
};

class PtyBridge {
 public:
  // Opens a pseudo-terminal in raw mode and, if link_path is given, points
  // a symbolic link there at it (replacing an earlier link, never a file).
  // Errors: configuration (link_path is a file or its folder is missing),
  // infrastructure (no pseudo-terminal).
  static Result<std::unique_ptr<PtyBridge>> Start(std::unique_ptr<ByteStream> device,
                                                  const std::string& link_path);
  ~PtyBridge();
  PtyBridge(const PtyBridge&) = delete;
  PtyBridge& operator=(const PtyBridge&) = delete;

  const std::string& terminal() const { return terminal_; }  // e.g. /dev/pts/3
  PtyBridgeStats stats() const;
  // Set once the device's stream failed (QEMU exited): the bridge stopped.
  std::optional<Error> failure() const;

 private:
  PtyBridge() = default;
  void Pump();
  bool ClientPresent();
  void ClearUnread();
  void SendToClient(const uint8_t* data, size_t size);

  std::unique_ptr<ByteStream> device_;
  int master_ = -1;
  std::string terminal_, link_;
  std::atomic<bool> stop_{false};
  bool client_ = false;
  mutable std::mutex mutex_;
  PtyBridgeStats stats_;
  std::optional<Error> failure_;
  std::thread thread_;
};

}  // namespace hil::transport
