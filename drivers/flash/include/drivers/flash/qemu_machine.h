// QemuMachine: a virtual board. Starting it "flashes" the firmware: QEMU
// loads the ELF and the harness boots, its UART on a Unix socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::flash {

struct QemuOptions {
  std::string machine;             // e.g. "mps2-an386"
  std::filesystem::path firmware;  // the ELF to run
  // One instruction takes 2^icount_shift ns of virtual time. 5 (32 ns) is
  // close to the 25-32 MHz of the MPS2/MPS3 images, and makes SysTick and
  // every figure derived from it deterministic. sleep=off: while the core
  // waits in WFI, virtual time jumps to the next timer event instead of
  // following the wall clock.
  int icount_shift = 5;
  std::string qemu_binary = "qemu-system-arm";
  // true: QEMU loads the ELF itself (-kernel). false: the board starts
  // empty and stopped (-S) with its gdbstub on gdb_socket(), for a debugger
  // to load the image, as on a real board.
  bool load_firmware = true;
  // Extra arguments, e.g. a TCG plugin.
  std::vector<std::string> extra_arguments;
  // Time allowed for QEMU to create its UART socket.
  std::chrono::milliseconds start_timeout{10000};
  // Keep the working folder (socket, QEMU's log) after Stop, for debugging.
  bool keep_work_dir = false;
};

// How QEMU ended.
struct QemuExit {
  bool signaled = false;
  int code = 0;    // exit status (the firmware's semihosting exit code)
  int signal = 0;  // when signaled

  // "exited with status 3 (the firmware reported a fault)", ...
  std::string Describe() const;
};

class QemuMachine {
 public:
  // Starts QEMU and waits until its UART socket accepts a connection. QEMU
  // holds the guest until that connection, so no boot output is lost.
  // Errors: configuration (no such firmware file), infrastructure (QEMU
  // missing, failed to start, exited early; its log is quoted).
  static Result<std::unique_ptr<QemuMachine>> Start(const QemuOptions& options);

  // Stops QEMU if it still runs and removes the working folder.
  ~QemuMachine();

  QemuMachine(const QemuMachine&) = delete;
  QemuMachine& operator=(const QemuMachine&) = delete;

  // The connection string of the UART, e.g. "unix:/tmp/hil-qemu-XXXX/uart.sock".
  // Connect to it exactly once: QEMU serves one client.
  std::string uart_uri() const { return "unix:" + uart_socket_.string(); }
  // The gdbstub's Unix socket (when started without loading the firmware).
  // QEMU opens it once the UART has its client.
  std::string gdb_socket() const { return (work_dir_ / "gdb.sock").string(); }
  // A private folder for files that live as long as this QEMU.
  std::string work_dir() const { return work_dir_.string(); }

  // Non-blocking: how QEMU ended, if it has.
  std::optional<QemuExit> Poll();

  // Waits up to timeout for QEMU to end by itself.
  std::optional<QemuExit> WaitForExit(std::chrono::milliseconds timeout);

  // Ends QEMU: SIGTERM, then SIGKILL if it has not exited within grace.
  QemuExit Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_path() const { return log_path_; }
  // The last lines QEMU wrote to stdout/stderr, for error messages; empty
  // if it said nothing of note.
  std::string LogTail(size_t max_bytes = 2000) const;

 private:
  QemuMachine() = default;

  pid_t pid_ = -1;
  std::optional<QemuExit> exit_;
  std::filesystem::path work_dir_;
  std::filesystem::path uart_socket_;
  std::filesystem::path log_path_;
  bool keep_work_dir_ = false;
};

}  // namespace hil::flash
