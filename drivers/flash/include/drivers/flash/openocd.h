// Flashing through OpenOCD: a configuration generated per bench, one
// `openocd` run per flash with a deadline and retries, and OpenOCD's output
// turned into a classified error. A long-lived OpenOCD can be driven over
// its Tcl RPC port (commands end with 0x1a, replies too).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hil/error.h"
#include "hil/process.h"

namespace hil::flash {

// What the generated configuration says. Paths of interface and target
// configs are looked up in OpenOCD's script library (`[find ...]`) unless
// absolute.
struct OpenOcdConfig {
  std::string interface_config;  // e.g. "interface/stlink.cfg"
  // Instead of an interface config file: its commands (the virtual bench's
  // remote_bitbang adapter).
  std::vector<std::string> interface_commands;
  std::string transport;                     // "swd", "jtag", or empty: the interface's default
  std::string target_config;                 // e.g. "target/stm32l4x.cfg"
  std::vector<std::string> target_commands;  // instead of a target config file
  uint32_t speed_khz = 0;                    // 0: the target config's own
  std::string adapter_serial;                // the probe's USB serial; empty: whichever is attached
  int tcl_port = 0;                          // 0: disabled (gdb and telnet are always disabled)
  std::vector<std::string> extra_commands;   // e.g. "reset_config srst_only"
  std::string title;                         // a comment line saying which bench and board
};

// `text` as one Tcl word that OpenOCD reads back exactly, whatever it holds
// (braces, brackets, dollars, quotes, backslashes, newlines): every path,
// serial number or other user string put into OpenOCD's Tcl goes through
// this, so none can run a command.
std::string TclQuote(std::string_view text);

// The configuration file's text. Parallel benches never clash: gdb and
// telnet are disabled and the Tcl port is the bench's own or disabled.
std::string RenderOpenOcdConfig(const OpenOcdConfig& config);

// What went wrong, read off OpenOCD's output.
enum class OpenOcdFailure {
  kNone,
  kNotInstalled,         // no openocd binary
  kBadConfiguration,     // a config file or command OpenOCD rejects: the user's to fix
  kNoProbe,              // the debug probe is not attached (or not the named serial)
  kProbeAccess,          // attached but not ours to open (permissions, busy)
  kTargetNotResponding,  // the probe answers, the MCU does not
  kVerifyFailed,         // written, but the flash does not read back as the image
  kTimedOut,             // OpenOCD hung and was killed
  kOther,
};
const char* OpenOcdFailureName(OpenOcdFailure failure);

struct OpenOcdDiagnosis {
  OpenOcdFailure failure = OpenOcdFailure::kNone;
  std::string evidence;  // OpenOCD's own line that shows it
};

// Classifies a finished run. `succeeded`: it exited 0.
OpenOcdDiagnosis DiagnoseOpenOcdOutput(std::string_view output, bool succeeded);

// The Error a diagnosis becomes: configuration for kBadConfiguration,
// infrastructure for the rest. `what` says what was attempted.
Error OpenOcdError(const OpenOcdDiagnosis& diagnosis, const std::string& what,
                   const OpenOcdConfig& config, const std::string& log_path);

struct OpenOcdOptions {
  std::string binary = "openocd";
  // false: `program ELF verify reset` (needs a flash bank: real boards).
  // true: `halt`, `load_image`, `verify_image`, `reset run`: for targets
  // whose image lives in RAM-like memory without a flash driver (QEMU's
  // boards), with no work area, so verify reads the image back.
  bool load_image = false;
  std::chrono::milliseconds timeout{60000};  // per attempt
  int attempts = 3;                          // for failures worth retrying
  std::string work_dir;                      // config and logs go here; empty: a temporary folder
  // Each attempt's start, for progress lines.
  std::function<void(const std::string&)> progress;
};

class OpenOcdFlasher {
 public:
  // Errors: infrastructure (cannot create the work folder or write the config).
  static Result<std::unique_ptr<OpenOcdFlasher>> Create(OpenOcdConfig config,
                                                        OpenOcdOptions options);
  ~OpenOcdFlasher();

  // `program ELF verify reset exit`: writes, verifies and starts the image.
  // Errors as OpenOcdError; retried on probe, target and timeout failures.
  Status Flash(const std::string& elf_path);

  // `init` examines the target; reports what OpenOCD found (the target's
  // name and state). Errors as OpenOcdError; not retried.
  Result<std::string> Examine();

  const std::string& config_path() const { return config_path_; }
  // OpenOCD's output of the last attempt (also in the work folder).
  const std::string& last_output() const { return last_output_; }

 private:
  OpenOcdFlasher(OpenOcdConfig config, OpenOcdOptions options);
  Result<ChildOutcome> RunOnce(const std::vector<std::string>& commands, const std::string& log);

  OpenOcdConfig config_;
  OpenOcdOptions options_;
  std::string work_dir_;
  bool remove_work_dir_ = false;
  std::string config_path_;
  std::string last_output_;
  int runs_ = 0;
};

// A client of OpenOCD's Tcl RPC server.
class OpenOcdRpc {
 public:
  // Connects to 127.0.0.1:port, retrying until `wait` has passed (OpenOCD
  // may still be starting). Errors: infrastructure.
  static Result<std::unique_ptr<OpenOcdRpc>> Connect(int port, std::chrono::milliseconds wait);
  ~OpenOcdRpc();

  // Sends one command and returns OpenOCD's reply. Errors: infrastructure
  // (connection lost, no reply within `timeout`).
  Result<std::string> Command(const std::string& command,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  explicit OpenOcdRpc(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// A long-lived OpenOCD with its Tcl RPC port: for reset and halt between
// runs, and to ask it what it made of a configuration.
class OpenOcdSession {
 public:
  // Starts `binary -f CONFIG [-c noinit]` (config.tcl_port must be set) and
  // connects. Errors: infrastructure (with OpenOCD's log when it exits at
  // once), configuration (OpenOCD rejected the configuration).
  static Result<std::unique_ptr<OpenOcdSession>> Start(const OpenOcdConfig& config,
                                                       const std::string& work_dir, bool noinit,
                                                       const std::string& binary = "openocd");
  ~OpenOcdSession();

  Result<std::string> Command(const std::string& command) { return rpc_->Command(command); }
  // `shutdown`, then stops the process.
  void Stop();
  std::string Log() const;

 private:
  OpenOcdSession() = default;
  std::optional<ChildProcess> process_;
  std::unique_ptr<OpenOcdRpc> rpc_;
  std::string log_path_;
};

}  // namespace hil::flash
