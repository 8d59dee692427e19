#include "drivers/flash/openocd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace hil::flash {
namespace {

using Clock = std::chrono::steady_clock;

// Lines of OpenOCD 0.12's output and what they mean. The first match in
// this order wins, so a specific line beats the generic "init failed".
struct Pattern {
  const char* text;
  OpenOcdFailure failure;
};
constexpr Pattern kPatterns[] = {
    // The configuration: files, commands, arguments.
    {"Can't find ", OpenOcdFailure::kBadConfiguration},
    {"invalid command name", OpenOcdFailure::kBadConfiguration},
    {"wrong # args", OpenOcdFailure::kBadConfiguration},
    {"couldn't open ", OpenOcdFailure::kBadConfiguration},  // program's ELF
    // Probe attached but not usable.
    {"LIBUSB_ERROR_ACCESS", OpenOcdFailure::kProbeAccess},
    {"LIBUSB_ERROR_BUSY", OpenOcdFailure::kProbeAccess},
    {"Permission denied", OpenOcdFailure::kProbeAccess},
    // No probe (ST-LINK, J-Link, CMSIS-DAP, remote_bitbang, Bus Pirate).
    {"open failed", OpenOcdFailure::kNoProbe},
    {"No J-Link device found", OpenOcdFailure::kNoProbe},
    {"unable to find a matching CMSIS-DAP device", OpenOcdFailure::kNoProbe},
    {"unable to find CMSIS-DAP device", OpenOcdFailure::kNoProbe},
    {"No device found", OpenOcdFailure::kNoProbe},
    {"Can't connect to remote_bitbang", OpenOcdFailure::kNoProbe},
    {"remote_bitbang: connection", OpenOcdFailure::kNoProbe},
    {"Connection refused", OpenOcdFailure::kNoProbe},
    {"Error on socket", OpenOcdFailure::kNoProbe},  // remote_bitbang: its socket is gone
    // ...or went while in use: OpenOCD 0.12 fails an assertion.
    {"remote_bitbang_read_sample: Assertion", OpenOcdFailure::kNoProbe},
    {"Could not open serial port", OpenOcdFailure::kNoProbe},  // buspirate
    {"Buspirate error", OpenOcdFailure::kNoProbe},             // ...answers nothing
    {"Buspirate did not", OpenOcdFailure::kNoProbe},
    {"Error: error reading\n", OpenOcdFailure::kNoProbe},  // ...gone while in use (the whole line)
    {"error writing :(", OpenOcdFailure::kNoProbe},
    // The image does not read back.
    {"Verify Failed", OpenOcdFailure::kVerifyFailed},
    {"verify failed", OpenOcdFailure::kVerifyFailed},
    {"checksum mismatch", OpenOcdFailure::kVerifyFailed},
    {"contents differ", OpenOcdFailure::kVerifyFailed},
    // The probe answers, the target does not.
    {"Error connecting DP", OpenOcdFailure::kTargetNotResponding},
    {"init mode failed", OpenOcdFailure::kTargetNotResponding},
    {"unable to connect to the target", OpenOcdFailure::kTargetNotResponding},
    {"Could not initialize the debug port", OpenOcdFailure::kTargetNotResponding},
    {"Target voltage may be too low", OpenOcdFailure::kTargetNotResponding},
    {"JTAG scan chain interrogation failed", OpenOcdFailure::kTargetNotResponding},
    {"IR capture error", OpenOcdFailure::kTargetNotResponding},
    {"Examination failed", OpenOcdFailure::kTargetNotResponding},
    {"Target not examined", OpenOcdFailure::kTargetNotResponding},
    {"timed out while waiting for target halted", OpenOcdFailure::kTargetNotResponding},
    {"target not halted", OpenOcdFailure::kTargetNotResponding},
    {"Failed to read memory", OpenOcdFailure::kTargetNotResponding},
};

std::string LineAround(std::string_view output, size_t at) {
  size_t begin = output.rfind('\n', at);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  size_t end = output.find('\n', at);
  if (end == std::string_view::npos) end = output.size();
  return std::string(output.substr(begin, end - begin));
}

std::string LastErrorLine(std::string_view output) {
  const size_t at = output.rfind("Error");
  return at == std::string_view::npos ? "" : LineAround(output, at);
}

bool Retryable(OpenOcdFailure failure) {
  return failure == OpenOcdFailure::kNoProbe || failure == OpenOcdFailure::kTargetNotResponding ||
         failure == OpenOcdFailure::kTimedOut || failure == OpenOcdFailure::kVerifyFailed ||
         failure == OpenOcdFailure::kOther;
}

std::string SourceLine(const std::string& config) {
  return std::filesystem::path(config).is_absolute() ? "source " + TclQuote(config)
                                                     : "source [find " + TclQuote(config) + "]";
}

}  // namespace

std::string TclQuote(std::string_view text) {
  // Braces cannot quote a lone '}' or a trailing backslash, so every
  // character Tcl (OpenOCD's Jim Tcl) would act on inside double quotes is
  // escaped instead; control characters become escapes that read back as
  // themselves.
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '\\':
      case '"':
      case '$':
      case '[':
      case ']':
      case '{':
      case '}':
      case ';':
        quoted += '\\';
        quoted += c;
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          quoted += "\\x";
          quoted += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          quoted += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string RenderOpenOcdConfig(const OpenOcdConfig& config) {
  std::ostringstream text;
  text << "# Generated by hil" << (config.title.empty() ? "" : ": " + config.title) << "\n";
  if (!config.interface_config.empty()) text << SourceLine(config.interface_config) << "\n";
  for (const std::string& command : config.interface_commands) text << command << "\n";
  if (!config.adapter_serial.empty()) {
    text << "adapter serial " << TclQuote(config.adapter_serial) << "\n";
  }
  if (!config.transport.empty()) text << "transport select " << config.transport << "\n";
  if (!config.target_config.empty()) text << SourceLine(config.target_config) << "\n";
  for (const std::string& command : config.target_commands) text << command << "\n";
  // After the target config, which sets a slow default of its own.
  if (config.speed_khz != 0) text << "adapter speed " << config.speed_khz << "\n";
  for (const std::string& command : config.extra_commands) text << command << "\n";
  text << "gdb_port disabled\ntelnet_port disabled\n";
  if (config.tcl_port != 0) {
    text << "tcl_port " << config.tcl_port << "\n";
  } else {
    text << "tcl_port disabled\n";
  }
  return text.str();
}

const char* OpenOcdFailureName(OpenOcdFailure failure) {
  switch (failure) {
    case OpenOcdFailure::kNone:
      return "ok";
    case OpenOcdFailure::kNotInstalled:
      return "openocd not installed";
    case OpenOcdFailure::kBadConfiguration:
      return "bad configuration";
    case OpenOcdFailure::kNoProbe:
      return "no debug probe";
    case OpenOcdFailure::kProbeAccess:
      return "debug probe not accessible";
    case OpenOcdFailure::kTargetNotResponding:
      return "target not responding";
    case OpenOcdFailure::kVerifyFailed:
      return "verify failed";
    case OpenOcdFailure::kTimedOut:
      return "timed out";
    case OpenOcdFailure::kOther:
      return "failed";
  }
  return "failed";
}

OpenOcdDiagnosis DiagnoseOpenOcdOutput(std::string_view output, bool succeeded) {
  OpenOcdDiagnosis diagnosis;
  for (const Pattern& pattern : kPatterns) {
    const size_t at = output.find(pattern.text);
    if (at == std::string_view::npos) continue;
    // Verify lines count even when OpenOCD exits 0; the rest only on failure.
    if (succeeded && pattern.failure != OpenOcdFailure::kVerifyFailed) continue;
    diagnosis.failure = pattern.failure;
    diagnosis.evidence = LineAround(output, at);
    return diagnosis;
  }
  if (!succeeded) {
    diagnosis.failure = OpenOcdFailure::kOther;
    diagnosis.evidence = LastErrorLine(output);
  }
  return diagnosis;
}

Error OpenOcdError(const OpenOcdDiagnosis& diagnosis, const std::string& what,
                   const OpenOcdConfig& config, const std::string& log_path) {
  std::string hint;
  switch (diagnosis.failure) {
    case OpenOcdFailure::kBadConfiguration:
      hint = "check the board's OpenOCD interface and target configs";
      break;
    case OpenOcdFailure::kNoProbe:
      hint = config.adapter_serial.empty()
                 ? "is the board plugged in? 'hil probes' lists attached debug probes"
                 : "is the probe with serial " + config.adapter_serial +
                       " plugged in? 'hil probes' lists attached debug probes";
      break;
    case OpenOcdFailure::kProbeAccess:
      hint =
          "the probe is busy or not readable by this user: install OpenOCD's udev rules "
          "(60-openocd.rules) or stop the other debugger";
      break;
    case OpenOcdFailure::kTargetNotResponding:
      hint =
          "the probe answers but the MCU does not: check power, the SWD cable and the "
          "board's jumpers, or lower the adapter speed";
      break;
    case OpenOcdFailure::kVerifyFailed:
      hint = "the flash does not read back as the image: the flash may be protected or worn";
      break;
    case OpenOcdFailure::kTimedOut:
      hint = "OpenOCD hung and was killed";
      break;
    default:
      break;
  }
  std::string message = "OpenOCD " + what + ": " + OpenOcdFailureName(diagnosis.failure);
  if (!diagnosis.evidence.empty()) message += " (\"" + diagnosis.evidence + "\")";
  if (!hint.empty()) message += "; " + hint;
  if (!log_path.empty()) message += "; log: " + log_path;
  if (diagnosis.failure == OpenOcdFailure::kBadConfiguration) return ConfigurationError(message);
  return InfrastructureError(message);
}

OpenOcdFlasher::OpenOcdFlasher(OpenOcdConfig config, OpenOcdOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

OpenOcdFlasher::~OpenOcdFlasher() {
  if (remove_work_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir_, ignored);
  }
}

Result<std::unique_ptr<OpenOcdFlasher>> OpenOcdFlasher::Create(OpenOcdConfig config,
                                                               OpenOcdOptions options) {
  std::unique_ptr<OpenOcdFlasher> flasher(new OpenOcdFlasher(std::move(config), options));
  if (options.work_dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hil-openocd-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return InfrastructureError("cannot create a folder for OpenOCD's files");
    }
    flasher->work_dir_ = pattern;
    flasher->remove_work_dir_ = true;
  } else {
    std::error_code error;
    std::filesystem::create_directories(options.work_dir, error);
    if (error) {
      return InfrastructureError("cannot create " + options.work_dir + ": " + error.message());
    }
    flasher->work_dir_ = options.work_dir;
  }
  flasher->config_path_ = flasher->work_dir_ + "/openocd.cfg";
  std::ofstream file(flasher->config_path_);
  file << RenderOpenOcdConfig(flasher->config_);
  if (!file.flush()) return InfrastructureError("cannot write " + flasher->config_path_);
  return flasher;
}

Result<ChildOutcome> OpenOcdFlasher::RunOnce(const std::vector<std::string>& commands,
                                             const std::string& log) {
  std::vector<std::string> argv = {options_.binary, "-f", config_path_};
  for (const std::string& command : commands) {
    argv.push_back("-c");
    argv.push_back(command);
  }
  Result<ChildOutcome> outcome = RunWithDeadline(argv, options_.timeout);
  if (!outcome.ok()) return outcome.error();
  last_output_ = outcome->output;
  std::ofstream(log) << outcome->output;
  return outcome;
}

Status OpenOcdFlasher::Flash(const std::string& elf_path) {
  if (!std::filesystem::is_regular_file(elf_path)) {
    return ConfigurationError("cannot flash " + elf_path + ": no such file");
  }
  const std::vector<std::string> commands =
      options_.load_image
          ? std::vector<std::string>{"init",
                                     "halt",
                                     "load_image " + TclQuote(elf_path),
                                     "verify_image " + TclQuote(elf_path),
                                     "reset run",
                                     "shutdown"}
          : std::vector<std::string>{"program " + TclQuote(elf_path) + " verify reset exit"};
  std::optional<Error> last;
  for (int attempt = 1; attempt <= std::max(1, options_.attempts); ++attempt) {
    if (options_.progress) {
      options_.progress("flashing " + std::filesystem::path(elf_path).filename().string() +
                        " with OpenOCD (attempt " + std::to_string(attempt) + ")");
    }
    const std::string log = work_dir_ + "/flash-" + std::to_string(++runs_) + ".log";
    Result<ChildOutcome> outcome = RunOnce(commands, log);
    if (!outcome.ok()) return outcome.error();  // not installed: retrying will not help
    OpenOcdDiagnosis diagnosis;
    if (outcome->timed_out) {
      diagnosis.failure = OpenOcdFailure::kTimedOut;
      diagnosis.evidence = "no end after " + std::to_string(options_.timeout.count()) + " ms";
    } else {
      diagnosis = DiagnoseOpenOcdOutput(outcome->output, !outcome->signaled && outcome->code == 0);
    }
    if (diagnosis.failure == OpenOcdFailure::kNone) return OkStatus();
    last = OpenOcdError(diagnosis, "could not flash " + elf_path, config_,
                        remove_work_dir_ ? "" : log);
    if (!Retryable(diagnosis.failure)) break;
  }
  return *last;
}

Result<std::string> OpenOcdFlasher::Examine() {
  const std::string log = work_dir_ + "/examine-" + std::to_string(++runs_) + ".log";
  // After init the target is examined; `targets` lists it with its state.
  Result<ChildOutcome> outcome = RunOnce({"init", "targets", "shutdown"}, log);
  if (!outcome.ok()) return outcome.error();
  OpenOcdDiagnosis diagnosis;
  if (outcome->timed_out) {
    diagnosis.failure = OpenOcdFailure::kTimedOut;
  } else {
    diagnosis = DiagnoseOpenOcdOutput(outcome->output, !outcome->signaled && outcome->code == 0);
    // OpenOCD 0.12 exits 0 after `shutdown` even when examination failed.
    if (diagnosis.failure == OpenOcdFailure::kNone &&
        outcome->output.find("Examination failed") != std::string::npos) {
      diagnosis = DiagnoseOpenOcdOutput(outcome->output, false);
    }
  }
  if (diagnosis.failure != OpenOcdFailure::kNone) {
    return OpenOcdError(diagnosis, "could not examine the target", config_,
                        remove_work_dir_ ? "" : log);
  }
  // The `targets` table's row: " 0* stm32l4x.cpu  hla_target little stm32l4x.cpu running".
  std::istringstream lines(outcome->output);
  std::string line;
  std::string found;
  while (std::getline(lines, line)) {
    if (line.find(".cpu") != std::string::npos && line.find('*') != std::string::npos) {
      found = line;
    }
    if (line.find("processor detected") != std::string::npos)
      found = line + (found.empty() ? "" : "; " + found);
  }
  return found.empty() ? std::string("target examined") : found;
}

Result<std::unique_ptr<OpenOcdRpc>> OpenOcdRpc::Connect(int port, std::chrono::milliseconds wait) {
  const auto end = Clock::now() + wait;
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return InfrastructureError(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
      return std::unique_ptr<OpenOcdRpc>(new OpenOcdRpc(fd));
    }
    const int error = errno;
    ::close(fd);
    if (Clock::now() >= end) {
      return InfrastructureError("cannot reach OpenOCD's Tcl RPC port " + std::to_string(port) +
                                 ": " + std::strerror(error));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

OpenOcdRpc::~OpenOcdRpc() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> OpenOcdRpc::Command(const std::string& command,
                                        std::chrono::milliseconds timeout) {
  const std::string request = command + '\x1a';
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InfrastructureError("OpenOCD's Tcl RPC connection is lost");
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  const auto end = Clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) {
      return InfrastructureError("OpenOCD did not answer '" + command + "' within " +
                                 std::to_string(timeout.count()) + " ms");
    }
    pollfd watched{fd_, POLLIN, 0};
    const int ready = ::poll(&watched, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InfrastructureError("OpenOCD closed its Tcl RPC connection");
    reply.append(buffer, static_cast<size_t>(n));
    if (!reply.empty() && reply.back() == '\x1a') {
      reply.pop_back();
      return reply;
    }
  }
}

Result<std::unique_ptr<OpenOcdSession>> OpenOcdSession::Start(const OpenOcdConfig& config,
                                                              const std::string& work_dir,
                                                              bool noinit,
                                                              const std::string& binary) {
  if (config.tcl_port == 0) {
    return ConfigurationError("an OpenOCD session needs a Tcl RPC port");
  }
  std::unique_ptr<OpenOcdSession> session(new OpenOcdSession());
  const std::string config_path = work_dir + "/openocd-session.cfg";
  std::ofstream(config_path) << RenderOpenOcdConfig(config);
  session->log_path_ = work_dir + "/openocd-session.log";
  std::vector<std::string> argv = {binary, "-f", config_path};
  if (noinit) argv.insert(argv.end(), {"-c", "noinit"});
  Result<ChildProcess> process = ChildProcess::Start(argv, session->log_path_);
  if (!process.ok()) return process.error();
  session->process_.emplace(std::move(*process));
  // Connect while it runs; if it ends first, its log says why.
  const auto end = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < end) {
    if (!session->process_->Running()) {
      const std::string log = session->Log();
      OpenOcdDiagnosis diagnosis = DiagnoseOpenOcdOutput(log, false);
      return OpenOcdError(diagnosis, "ended at start", config, session->log_path_);
    }
    Result<std::unique_ptr<OpenOcdRpc>> rpc =
        OpenOcdRpc::Connect(config.tcl_port, std::chrono::milliseconds(100));
    if (rpc.ok()) {
      session->rpc_ = std::move(*rpc);
      return session;
    }
  }
  return InfrastructureError("OpenOCD did not open its Tcl RPC port " +
                             std::to_string(config.tcl_port) +
                             " within 10 s; log: " + session->log_path_);
}

OpenOcdSession::~OpenOcdSession() { Stop(); }

void OpenOcdSession::Stop() {
  if (rpc_) {
    (void)rpc_->Command("shutdown", std::chrono::seconds(2));
    rpc_.reset();
  }
  if (process_) process_->Stop();
}

std::string OpenOcdSession::Log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace hil::flash
