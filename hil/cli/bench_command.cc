#include "bench_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "drivers/transport/pty_bridge.h"
#include "hil/bench/bench_check.h"
#include "hil/bench/bring_up.h"
#include "hil/boards.h"
#include "hil/did_you_mean.h"
#include "hil/virtual_dut.h"
#include "probes/probe_table.h"

namespace hil::cli {
namespace {

std::atomic<bool> interrupted{false};

void OnSignal(int) { interrupted = true; }

struct BenchArguments {
  std::string board = "mps2-an386";
  std::string workload = std::string(kDefaultWorkload);
  std::string firmware;
  std::string profile;
  std::string out;
  std::string probe = probes::DefaultProbeKind().name;
  std::string pty;
  bool realtime = false;
  double seconds = 0;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil bench up: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

// Connects to the DUT's UART (QEMU then starts it), lets it boot, and
// presents it as a pseudo-terminal at `path`. The boot banner is printed
// here, so a client's first reply holds only the answer to its command.
Result<std::unique_ptr<transport::PtyBridge>> BridgeToPty(flash::QemuMachine& machine,
                                                          const std::string& path) {
  Result<std::unique_ptr<transport::ByteStream>> stream = InfrastructureError("not connected");
  for (int attempt = 0; attempt < 100 && !stream.ok(); ++attempt) {
    stream = transport::OpenByteStream(machine.uart_uri());
    if (!stream.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!stream.ok()) return stream.error();
  std::string banner;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<uint8_t> buffer(512);
  while (banner.find("m-ready") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) {
      return InfrastructureError("the DUT did not say m-ready within 20 s of booting; it said: " +
                                 banner.substr(0, 400));
    }
    if (banner.size() > 64 * 1024) {
      return InfrastructureError("the DUT's boot output ran past 64 KiB without m-ready");
    }
    Result<size_t> got = (*stream)->Read(buffer, std::chrono::milliseconds(100));
    if (!got.ok()) return got.error();
    banner.append(reinterpret_cast<const char*>(buffer.data()), *got);
  }
  // The last line's end may still be on its way.
  Result<size_t> rest = (*stream)->Read(buffer, std::chrono::milliseconds(50));
  if (rest.ok()) banner.append(reinterpret_cast<const char*>(buffer.data()), *rest);
  std::printf("DUT booted:\n");
  size_t begin = 0;
  while (begin < banner.size()) {
    size_t end = banner.find('\n', begin);
    if (end == std::string::npos) end = banner.size();
    std::string line = banner.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) std::printf("  | %s\n", line.c_str());
    begin = end + 1;
  }
  return transport::PtyBridge::Start(std::move(*stream), path);
}

int RunBenchUp(const BenchArguments& arguments) {
  // Files go to --out, kept; or to a temporary folder, removed at the end.
  std::filesystem::path folder = arguments.out;
  const bool keep = !folder.empty();
  if (!keep) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hil-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Fail(InfrastructureError("cannot create a temporary folder"));
    }
    folder = pattern;
  } else {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) return Fail(ConfigurationError("--out " + folder.string() + ": " + error.message()));
    folder = std::filesystem::absolute(folder);
  }
  // A bench that does not come up leaves no temporary folder behind.
  const auto failed = [&](const Error& error) {
    if (!keep) std::filesystem::remove_all(folder);
    return Fail(error);
  };

  // The bring-up's virtual strategy, leaving the UART to outside clients.
  bench::BenchSpec spec;
  spec.name = "virtual", spec.kind = BenchKind::kVirtual, spec.board = arguments.board;
  spec.flasher = Flasher::kQemu;
  spec.probe.kind = arguments.probe;
  bench::BringUpOptions up_options;
  up_options.firmware = arguments.firmware.empty()
                            ? HarnessImagePath(arguments.board, arguments.workload)
                            : arguments.firmware;
  up_options.leave_uart = true;
  EnergyModelOptions& energy = up_options.virtual_dut.energy;
  energy.profile = arguments.profile.empty() ? arguments.board : arguments.profile;
  energy.truth_path = (folder / "truth.jsonl").string();
  energy.edges_path = (folder / "edges.jsonl").string();
  energy.summary_path = (folder / "summary.json").string();
  energy.probe_socket = (folder / (arguments.probe + ".sock")).string();
  energy.realtime = arguments.realtime;
  Result<bench::UpBench> up = bench::BringUp(spec, up_options);
  if (!up.ok()) return failed(up.error());
  const std::string& firmware = up_options.firmware;
  flash::QemuMachine* const machine = up->virtual_dut->machine.get();
  std::unique_ptr<transport::PtyBridge> bridge;
  if (!arguments.pty.empty()) {
    Result<std::unique_ptr<transport::PtyBridge>> started = BridgeToPty(*machine, arguments.pty);
    if (!started.ok()) {
      machine->Stop();
      return failed(started.error());
    }
    bridge = std::move(*started);
  }

  std::printf("virtual bench up: %s running %s (QEMU pid %d, energy profile %s)\n",
              arguments.board.c_str(), firmware.c_str(), static_cast<int>(machine->pid()),
              energy.profile.c_str());
  if (bridge) {
    std::printf(
        "  DUT UART      %s -> %s, a serial port for any tool, e.g.\n"
        "                python3 -m serial.tools.miniterm %s 115200\n",
        arguments.pty.c_str(), bridge->terminal().c_str(), arguments.pty.c_str());
  } else {
    std::printf("  DUT UART      %s\n", machine->uart_uri().c_str());
    std::printf(
        "                the DUT boots when a client connects, e.g.\n"
        "                hil dut --connect %s name\n",
        machine->uart_uri().c_str());
  }
  if (arguments.realtime)
    std::printf("  pace          real time (virtual time follows the host's clock)\n");
  std::printf("  %-13s unix:%s\n", probes::FindProbeKind(arguments.probe)->label.c_str(),
              energy.probe_socket.c_str());
  std::printf("  ground truth  %s\n", energy.truth_path.c_str());
  std::printf("  pin edges     %s\n", energy.edges_path.c_str());
  std::printf("  summary       %s (written when the bench stops)\n", energy.summary_path.c_str());
  std::printf("%s\n", arguments.seconds > 0 ? "It stops by itself after --seconds, or on Ctrl-C."
                                            : "Ctrl-C stops it.");
  std::fflush(stdout);

  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const auto start = std::chrono::steady_clock::now();
  int exit_code = kExitOk;
  while (!interrupted) {
    if (std::optional<flash::QemuExit> exit = machine->Poll()) {
      std::fprintf(stderr, "hil bench up: QEMU %s\n", exit->Describe().c_str());
      exit_code =
          exit->signaled || exit->code != 0 ? ExitCodeFor(ErrorKind::kInfrastructure) : kExitOk;
      break;
    }
    if (bridge && bridge->failure()) {
      std::fprintf(stderr, "hil bench up: the DUT's UART failed: %s\n",
                   bridge->failure()->ToString().c_str());
      exit_code = ExitCodeFor(ErrorKind::kInfrastructure);
      break;
    }
    if (arguments.seconds > 0 && std::chrono::steady_clock::now() - start >
                                     std::chrono::duration<double>(arguments.seconds)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (bridge) {
    const transport::PtyBridgeStats stats = bridge->stats();
    bridge.reset();
    std::printf(
        "serial port: %llu client sessions, %llu bytes to them, %llu from them, %llu said "
        "with no client\n",
        static_cast<unsigned long long>(stats.sessions),
        static_cast<unsigned long long>(stats.to_client),
        static_cast<unsigned long long>(stats.from_client),
        static_cast<unsigned long long>(stats.dropped));
  }
  machine->Stop();
  std::printf("virtual bench stopped\n");
  if (!keep) {
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
  return exit_code;
}

struct CheckArguments {
  std::string bench_file;
  std::string bench;
  bool json = false;
  double openocd_timeout_s = 20;
};

int RunBenchCheck(const CheckArguments& arguments) {
  std::vector<bench::BenchSpec> benches;
  if (arguments.bench_file.empty()) {
    benches.push_back(bench::DefaultVirtualBench());
  } else if (!arguments.bench.empty()) {
    Result<bench::BenchSpec> named = bench::ReadNamedBench(arguments.bench_file, arguments.bench);
    if (!named.ok()) {
      std::fprintf(stderr, "hil bench check: %s\n", named.error().ToString().c_str());
      return ExitCodeFor(named.error().kind());
    }
    benches.push_back(std::move(*named));
  } else {
    Result<std::vector<bench::BenchSpec>> read = bench::ReadBenchFile(arguments.bench_file);
    if (!read.ok()) {
      std::fprintf(stderr, "hil bench check: %s\n", read.error().ToString().c_str());
      return ExitCodeFor(read.error().kind());
    }
    benches = std::move(*read);
  }
  bench::CheckOptions options;
  options.openocd_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(arguments.openocd_timeout_s * 1000));
  if (!arguments.json) {
    options.progress = [](const std::string& step) {
      std::fprintf(stderr, "  ... %s\n", step.c_str());
    };
  }
  bool all_healthy = true;
  nlohmann::json report = nlohmann::json::array();
  for (const bench::BenchSpec& spec : benches) {
    if (!arguments.json) {
      std::printf("bench %s (%s, %s)\n", spec.name.c_str(), ToText(spec.kind).data(),
                  spec.board.c_str());
      std::fflush(stdout);
    }
    const bench::BenchHealth health = bench::CheckBench(spec, options);
    all_healthy = all_healthy && health.healthy();
    nlohmann::json parts = nlohmann::json::array();
    for (const bench::PartHealth& part : health.parts) {
      parts.push_back({{"part", part.part}, {"healthy", part.healthy}, {"detail", part.detail}});
      if (!arguments.json) {
        std::printf("  %-14s %-8s %s\n", part.part.c_str(), part.healthy ? "ok" : "MISSING",
                    part.detail.c_str());
      }
    }
    report.push_back({{"bench", spec.name},
                      {"kind", ToText(spec.kind)},
                      {"board", spec.board},
                      {"healthy", health.healthy()},
                      {"parts", parts}});
    if (!arguments.json) {
      std::printf("  => %s\n",
                  health.healthy() ? "healthy" : ("not ready: " + health.MissingParts()).c_str());
      std::fflush(stdout);
    }
  }
  if (arguments.json) std::printf("%s\n", report.dump(2).c_str());
  return all_healthy ? kExitOk : ExitCodeFor(ErrorKind::kInfrastructure);
}

}  // namespace

void AddBenchCommand(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench",
                                       "Benches: check that every part of one responds, or start a "
                                       "virtual one.");
  bench->require_subcommand(1);
  auto arguments = std::make_shared<BenchArguments>();
  CLI::App* up = bench->add_subcommand(
      "up",
      "Start a whole virtual bench and print where to reach it: QEMU running the harness\n"
      "with the energy model, a virtual PPK2 or LPM01A on a Unix socket, and the files where the\n"
      "model writes the exact energy of every window and every trigger edge.\n\n"
      "Example:\n"
      "  hil bench up --board mps2-an500 --out bench/   then, in another terminal,\n"
      "  hil dut --connect unix:... \"infer 10 2\"\n"
      "  hil bench up --pty /tmp/dut --realtime          for MLPerf Tiny's runner (README)");
  up->add_option("--board", arguments->board, "Emulated board (see 'hil boards')")
      ->capture_default_str();
  up->add_option("--workload", arguments->workload, "Built-in workload image")
      ->capture_default_str();
  up->add_option("--firmware", arguments->firmware, "ELF to run instead")->check(CLI::ExistingFile);
  up->add_option("--profile", arguments->profile,
                 "Energy profile (probes/virtual/energy_profiles.yaml); default: the board's");
  up->add_option("--probe", arguments->probe,
                 "Virtual power monitor: " + JoinNames(probes::ProbeKindNames(true)))
      ->capture_default_str()
      ->check(CLI::IsMember(probes::ProbeKindNames(true)));
  up->add_option("--out", arguments->out,
                 "Folder for ground truth, edges and summary (kept); default: a temporary "
                 "folder removed at the end");
  up->add_option("--seconds", arguments->seconds, "Stop after this many seconds (0: never)")
      ->check(CLI::NonNegativeNumber);
  up->add_option("--pty", arguments->pty,
                 "Present the DUT's UART as a pseudo-terminal linked at PATH, a serial port\n"
                 "that pyserial, minicom or MLPerf Tiny's runner opens (clients may close and\n"
                 "reopen it; the DUT boots first, its banner printed here)");
  up->add_flag("--realtime", arguments->realtime,
               "Keep virtual time in step with the host's clock, so tools that time the DUT\n"
               "on the host (MLPerf Tiny's runner) see a real board's pace; figures are\n"
               "unchanged");
  up->callback([arguments, &exit_code] { exit_code = RunBenchUp(*arguments); });

  auto check_arguments = std::make_shared<CheckArguments>();
  CLI::App* check = bench->add_subcommand(
      "check",
      "Check that each part of a bench responds: the board profile and its firmware, the debug\n"
      "probe (OpenOCD examines the target), the DUT's UART (the harness answers name%), the\n"
      "power monitor (its metadata) and the host GPIO lines. On a virtual bench: QEMU, the\n"
      "harness and the virtual probe. Each part is checked on its own, so one missing part\n"
      "does not hide the others. hild runs the same check before each job on a real bench.\n\n"
      "Exit codes: 0 every part healthy, 3 a part missing, 2 a bad bench file.\n\n"
      "Examples:\n"
      "  hil bench check                       the default virtual bench\n"
      "  hil bench check lab.yaml --bench l4r5 one bench of a bench file (hil/BENCHES.md)");
  check
      ->add_option("bench_file", check_arguments->bench_file,
                   "Bench file (as hild reads); default: the virtual bench")
      ->check(CLI::ExistingFile);
  check->add_option("--bench", check_arguments->bench, "Check only this bench of the file");
  check->add_flag("--json", check_arguments->json, "Print the report as JSON");
  check
      ->add_option("--openocd-timeout", check_arguments->openocd_timeout_s,
                   "Seconds OpenOCD may take to examine the target")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  check->callback([check_arguments, &exit_code] { exit_code = RunBenchCheck(*check_arguments); });
}

}  // namespace hil::cli
