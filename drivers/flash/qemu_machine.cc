#include "drivers/flash/qemu_machine.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "drivers/flash/elf_image.h"
#include "hil/process.h"

namespace hil::flash {
namespace {

using Clock = std::chrono::steady_clock;

QemuExit FromWaitStatus(int status) {
  QemuExit exit;
  if (WIFSIGNALED(status)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(status);
  } else {
    exit.code = WEXITSTATUS(status);
  }
  return exit;
}

// QEMU creates the socket file when it starts listening. Probing with a
// connection instead would use up the single client QEMU serves.
// QEMU binds the UART's socket (the file appears) before it listens, and
// says it waits for the client only once it listens: a client connecting
// between the two would be refused.
bool UartListening(const std::filesystem::path& socket, const std::filesystem::path& log_path) {
  std::error_code error;
  if (!std::filesystem::is_socket(socket, error)) return false;
  std::ifstream log(log_path);
  for (std::string line; std::getline(log, line);) {
    if (line.find("QEMU waiting for connection") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string QemuExit::Describe() const {
  if (signaled) {
    return std::string("was killed by signal ") + std::to_string(signal) + " (" +
           strsignal(signal) + ")";
  }
  std::string text = "exited with status " + std::to_string(code);
  if (code == 3) text += " (the firmware reported a fault; see its UART output)";
  return text;
}

Result<std::unique_ptr<QemuMachine>> QemuMachine::Start(const QemuOptions& options) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(options.firmware, error)) {
    return ConfigurationError("firmware image " + options.firmware.string() +
                              " does not exist (build it with 'cmake --build build')");
  }
  // QEMU aborts on an image it cannot load; say what is wrong instead.
  Result<ElfImage> image = ReadElfImage(options.firmware.string());
  if (!image.ok() || image->machine != EM_ARM) {
    return ConfigurationError("firmware image " + options.firmware.string() +
                              " is not a 32-bit Arm ELF file");
  }
  std::string work_template = (std::filesystem::temp_directory_path() / "hil-qemu-XXXXXX").string();
  if (::mkdtemp(work_template.data()) == nullptr) {
    return InfrastructureError("cannot create a working folder for QEMU: " +
                               std::string(std::strerror(errno)));
  }

  std::unique_ptr<QemuMachine> machine(new QemuMachine());
  machine->work_dir_ = work_template;
  machine->uart_socket_ = machine->work_dir_ / "uart.sock";
  machine->log_path_ = machine->work_dir_ / "qemu.log";
  machine->keep_work_dir_ = options.keep_work_dir;

  std::vector<std::string> arguments = {
      options.qemu_binary,
      "-M",
      options.machine,
      "-nographic",
      "-monitor",
      "none",
      "-icount",
      "shift=" + std::to_string(options.icount_shift),
      "-semihosting-config",
      "enable=on,target=native",
      "-chardev",
      "socket,id=uart0,path=" + machine->uart_socket_.string() + ",server=on,wait=on",
      "-serial",
      "chardev:uart0",
  };
  if (options.load_firmware) {
    arguments.insert(arguments.end(), {"-kernel", options.firmware.string()});
  } else {
    arguments.insert(arguments.end(),
                     {"-S", "-gdb", "unix:" + machine->gdb_socket() + ",server=on,wait=off"});
  }
  arguments.insert(arguments.end(), options.extra_arguments.begin(), options.extra_arguments.end());
  int log_fd = ::open(machine->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return InfrastructureError("cannot create " + machine->log_path_.string() + ": " +
                               std::strerror(errno));
  }
  // A process group of its own: a Ctrl-C at the terminal is hil's to handle
  // (finish the case in progress), not QEMU's; and it dies with hil.
  Result<pid_t> started = SpawnProcess(arguments, log_fd);
  if (!started.ok()) {
    ::close(log_fd);
    return InfrastructureError("cannot start QEMU: " + started.error().message());
  }
  const pid_t pid = *started;
  ::close(log_fd);
  machine->pid_ = pid;

  const auto deadline = Clock::now() + options.start_timeout;
  while (!UartListening(machine->uart_socket_, machine->log_path_)) {
    if (std::optional<QemuExit> exit = machine->Poll()) {
      std::string message = "QEMU (" + options.machine + ", " + options.firmware.string() + ") " +
                            exit->Describe() + " before opening its UART";
      if (!exit->signaled && exit->code == 127) message += "; is qemu-system-arm installed?";
      std::string log = machine->LogTail();
      return InfrastructureError(message + (log.empty() ? "" : "; QEMU said: " + log));
    }
    if (Clock::now() > deadline) {
      machine->Stop();
      return InfrastructureError("QEMU did not open its UART socket within " +
                                 std::to_string(options.start_timeout.count()) +
                                 " ms; QEMU said: " + machine->LogTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return machine;
}

QemuMachine::~QemuMachine() {
  if (pid_ > 0 && !exit_) Stop();
  if (!keep_work_dir_ && !work_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir_, ignored);
  }
}

std::optional<QemuExit> QemuMachine::Poll() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) exit_ = FromWaitStatus(status);
  return exit_;
}

std::optional<QemuExit> QemuMachine::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!Poll()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_;
}

QemuExit QemuMachine::Stop(std::chrono::milliseconds grace) {
  if (Poll()) return *exit_;
  ::kill(pid_, SIGTERM);
  if (WaitForExit(grace)) return *exit_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = FromWaitStatus(status);
  return *exit_;
}

std::string QemuMachine::LogTail(size_t max_bytes) const {
  std::ifstream log(log_path_);
  std::string text, line;
  while (std::getline(log, line)) {
    // QEMU's note that it waits for the UART client is expected, not news.
    if (line.find("QEMU waiting for connection") != std::string::npos) continue;
    text += line + "\n";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return "";
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

}  // namespace hil::flash
