// How fast the real OpenOCD loads and verifies an image through the virtual
// debug probe: a 256 KiB image (random words, written as an ELF here) into
// an empty, halted mps2-an386, then read back by verify_image. Prints
// OpenOCD's own figures, the wall time and the adapter's traffic.
//
//   ./build/tests/virtual_flash_load [KiB] [buspirate|remote_bitbang]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "drivers/flash/openocd.h"
#include "drivers/transport/byte_stream.h"
#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace {

// A 32-bit Arm ELF with one loadable segment of `bytes` at `address`.
void WriteElf(const std::string& path, uint32_t address, const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> file(0x1000 + bytes.size(), 0);
  const auto put16 = [&](size_t at, uint16_t v) { std::memcpy(&file[at], &v, 2); };
  const auto put32 = [&](size_t at, uint32_t v) { std::memcpy(&file[at], &v, 4); };
  const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 1 /*32-bit*/, 1 /*LE*/, 1 /*version*/};
  std::memcpy(file.data(), ident, sizeof ident);
  put16(16, 2);           // ET_EXEC
  put16(18, 40);          // EM_ARM
  put32(20, 1);           // EV_CURRENT
  put32(24, address);     // entry
  put32(28, 52);          // program headers right after this header
  put32(36, 0x05000000);  // EABI version 5
  put16(40, 52);          // header size
  put16(42, 32);          // program header size
  put16(44, 1);           // one program header
  put16(46, 40);          // section header size (none follow)
  put32(52, 1);           // PT_LOAD
  put32(56, 0x1000);      // file offset
  put32(60, address);     // virtual address
  put32(64, address);     // physical address
  put32(68, static_cast<uint32_t>(bytes.size()));
  put32(72, static_cast<uint32_t>(bytes.size()));
  put32(76, 7);  // read, write, execute
  put32(80, 4);
  std::memcpy(&file[0x1000], bytes.data(), bytes.size());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
}

std::string Line(const std::string& log, const char* starting) {
  const size_t at = log.find(starting);
  if (at == std::string::npos) return std::string("(no '") + starting + "' line)";
  return log.substr(at, log.find('\n', at) - at);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hil;
  const size_t kib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const std::string adapter_name = argc > 2 ? argv[2] : "buspirate";
  if (kib == 0 || (adapter_name != "buspirate" && adapter_name != "remote_bitbang")) {
    std::fprintf(stderr, "usage: virtual_flash_load [KiB] [buspirate|remote_bitbang]\n");
    return 2;
  }
  std::string folder = (std::filesystem::temp_directory_path() / "hil-load-XXXXXX").string();
  if (::mkdtemp(folder.data()) == nullptr) return 3;
  std::vector<uint8_t> image(kib * 1024);
  std::mt19937 random(7);
  for (uint8_t& byte : image) byte = static_cast<uint8_t>(random());
  const std::string elf = folder + "/image.elf";
  WriteElf(elf, 0x00100000, image);  // inside mps2-an386's 4 MiB of code memory

  const BoardSpec& board = **FindBoard("mps2-an386");
  flash::QemuOptions qemu;
  qemu.machine = std::string(board.qemu_machine);
  qemu.firmware = HarnessImagePath(board.name, kDefaultWorkload);  // checked, not loaded
  qemu.load_firmware = false;
  Result<std::unique_ptr<flash::QemuMachine>> machine = flash::QemuMachine::Start(qemu);
  if (!machine.ok()) {
    std::fprintf(stderr, "%s\n", machine.error().ToString().c_str());
    return 3;
  }
  // QEMU opens its gdbstub once the UART has a client.
  Result<std::unique_ptr<transport::ByteStream>> uart =
      transport::OpenByteStream((*machine)->uart_uri());
  for (int i = 0; i < 100 && !uart.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    uart = transport::OpenByteStream((*machine)->uart_uri());
  }
  virtual_bench::DebugProbeOptions options;
  options.gdb_socket = (*machine)->gdb_socket();
  options.socket_path = folder + "/probe.sock";
  options.adapter = adapter_name == "buspirate" ? virtual_bench::DebugAdapter::kBusPirate
                                                : virtual_bench::DebugAdapter::kRemoteBitbang;
  Result<std::unique_ptr<virtual_bench::VirtualDebugProbe>> probe =
      virtual_bench::VirtualDebugProbe::Start(options);
  if (!uart.ok() || !probe.ok()) {
    std::fprintf(stderr, "cannot start the bench\n");
    return 3;
  }
  flash::OpenOcdConfig config = VirtualBoardOpenOcdConfig(board, **probe);
  const std::string config_path = folder + "/openocd.cfg";
  std::ofstream(config_path) << flash::RenderOpenOcdConfig(config);

  // Load alone (no reset: random words are no program), then the readback.
  const auto run = [&](const std::vector<std::string>& commands, double& seconds) {
    std::vector<std::string> command_line = {"openocd", "-f", config_path};
    for (const std::string& command : commands)
      command_line.insert(command_line.end(), {"-c", command});
    const auto start = std::chrono::steady_clock::now();
    Result<ChildOutcome> outcome = RunWithDeadline(command_line, std::chrono::seconds(300));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome.ok() ? outcome->output : outcome.error().ToString();
  };
  double load_s = 0, verify_s = 0;
  const std::string loaded = run({"init", "halt", "load_image " + elf, "shutdown"}, load_s);
  const virtual_bench::DebugProbeStats load_stats = (*probe)->stats();
  const std::string verified = run({"init", "halt", "verify_image " + elf, "shutdown"}, verify_s);

  std::printf("virtual debug probe, %zu KiB image into mps2-an386 (OpenOCD 0.12, %s, JTAG):\n", kib,
              adapter_name.c_str());
  std::printf("  load    %.2f s wall (OpenOCD: %s)\n", load_s, Line(loaded, "downloaded").c_str());
  std::printf("  verify  %.2f s wall (OpenOCD: %s)\n", verify_s,
              Line(verified, "verified").c_str());
  std::printf(
      "  the load: %.1f adapter bytes per image byte, %llu round trips; memory written "
      "through the gdbstub: %llu bytes\n",
      static_cast<double>(load_stats.bytes_received) / static_cast<double>(image.size()),
      static_cast<unsigned long long>(load_stats.round_trips),
      static_cast<unsigned long long>(load_stats.bytes_written));
  (*machine)->Stop();
  std::filesystem::remove_all(folder);
  const bool ok = loaded.find("downloaded") != std::string::npos &&
                  verified.find("verified") != std::string::npos;
  return ok ? 0 : 1;
}
