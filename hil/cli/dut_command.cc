#include "dut_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "drivers/dut/dut_link.h"
#include "drivers/dut/running_dut.h"
#include "dut_exchange.h"
#include "hil/bench/bring_up.h"
#include "hil/boards.h"
#include "hil/virtual_dut.h"
#include "nlohmann/json.hpp"

namespace hil::cli {
namespace {

struct DutArguments {
  std::string board = "mps2-an386";
  std::string workload = std::string(kDefaultWorkload);
  std::string firmware;
  std::string connect;
  std::string input;
  double timeout_s = 60.0;
  int icount_shift = 5;
  bool demo = false;
  bool energy_model = true;
  std::vector<std::string> commands;
};

// Removes a temporary file however the command ends.
struct RemovedAtExit {
  std::string path;
  ~RemovedAtExit() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove(path, ignored);
  }
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil dut: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

Result<std::vector<uint8_t>> ReadInput(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError("--input " + path + ": cannot read the file");
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
}

// A fixed, recognisable tensor for when the user gives none.
std::vector<uint8_t> PatternInput(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 37u + 11u) & 0xFFu);
  return bytes;
}

std::string JoinFloats(const std::vector<float>& values) {
  std::string text;
  char number[32];
  for (float value : values) {
    std::snprintf(number, sizeof(number), "%s%.3f", text.empty() ? "" : ", ", value);
    text += number;
  }
  return text;
}

// The energy model's exact figures for the inference windows so far.
void PrintModelledEnergy(const std::string& truth_path, const std::string& profile) {
  std::ifstream truth(truth_path);
  std::string line;
  double energy_nj = 0, duration_ns = 0;
  int windows = 0;
  while (std::getline(truth, line)) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || record.value("kind", "") != "inference") continue;
    energy_nj += record.value("energy_nJ", 0.0);
    duration_ns += record.value("duration_ns", 0.0);
    ++windows;
  }
  if (windows == 0) return;
  std::printf("  energy     %.3f uJ per inference, %.2f mW average (energy model '%s', exact)\n",
              energy_nj / windows / 1e3, energy_nj / duration_ns * 1e3, profile.c_str());
}

// The demo: every protocol command once, with a readable summary.
Status RunDemo(dut::DutLink& link, const std::vector<uint8_t>& given_input,
               std::chrono::milliseconds infer_timeout) {
  Result<std::string> name = link.Name();
  if (!name.ok()) return name.error();
  std::printf("  name       %s\n", name->c_str());

  Result<dut::Profile> profile = link.GetProfile();
  if (!profile.ok()) return profile.error();
  std::printf("  profile    %s, model %s\n", profile->profile.c_str(), profile->model.c_str());

  Result<dut::HarnessInfo> info = link.Info();
  if (!info.ok()) return info.error();
  std::printf("  board      %s, %s at %.1f MHz, %s kernels\n", info->board.c_str(),
              info->core.c_str(), info->clock_hz / 1e6, info->kernels.c_str());
  std::printf("  build      %s\n", info->build_flags.c_str());

  Result<std::vector<dut::Layer>> layers = link.Layers();
  if (!layers.ok()) return layers.error();
  uint64_t total_macs = 0;
  for (const dut::Layer& layer : *layers) total_macs += layer.macs;
  std::printf("  layers     %zu layers, %llu MACs per inference\n", layers->size(),
              static_cast<unsigned long long>(total_macs));
  for (const dut::Layer& layer : *layers) {
    std::printf("             %2u %-24s %10llu MACs\n", layer.index, layer.op.c_str(),
                static_cast<unsigned long long>(layer.macs));
  }

  std::vector<uint8_t> input = given_input.empty() ? PatternInput(info->input_bytes) : given_input;
  HIL_RETURN_IF_ERROR(link.LoadBuffer(input));
  Result<std::vector<uint8_t>> echoed = link.PrintBuffer();
  if (!echoed.ok()) return echoed.error();
  if (*echoed != input) {
    return InfrastructureError("db print returned " + std::to_string(echoed->size()) +
                               " bytes that differ from the " + std::to_string(input.size()) +
                               " loaded");
  }
  std::printf("  input      %zu bytes loaded%s, db print round trip identical\n", input.size(),
              given_input.empty() ? " (test pattern)" : "");

  constexpr uint32_t kInferences = 10, kWarmups = 2;
  std::fprintf(stderr, "hil dut: running %u inferences after %u warm-ups...\n", kInferences,
               kWarmups);
  Result<dut::InferenceRun> run = link.Infer(kInferences, kWarmups, infer_timeout);
  if (!run.ok()) return run.error();
  std::vector<uint32_t> times = run->inference_us;
  std::sort(times.begin(), times.end());
  if (!times.empty()) {
    double mean =
        std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
    std::printf(
        "  infer      %u inferences: median %.3f ms, min %.3f, max %.3f, mean %.3f "
        "(firmware timer)\n",
        kInferences, times[times.size() / 2] / 1e3, times.front() / 1e3, times.back() / 1e3,
        mean / 1e3);
  }
  if (run->lap_start_us && run->lap_end_us) {
    std::printf("  window     %.3f ms for all %u (m-lap-us)\n",
                static_cast<double>(*run->lap_end_us - *run->lap_start_us) / 1e3, kInferences);
  }
  std::printf("  results    [%s]\n", JoinFloats(run->results).c_str());
  return OkStatus();
}

int RunDut(const DutArguments& arguments) {
  const auto infer_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(arguments.timeout_s * 1000.0));
  std::optional<bench::UpBench> virtual_bench;
  std::unique_ptr<dut::DutLink> connected_link;
  std::string truth_path;
  RemovedAtExit truth_file;
  dut::DutLink* link = nullptr;

  if (!arguments.connect.empty()) {
    Result<std::unique_ptr<dut::DutLink>> connected = dut::ConnectRunningDut(arguments.connect);
    if (!connected.ok()) return Fail(connected.error());
    connected_link = std::move(*connected);
    link = connected_link.get();
  } else {
    Result<const BoardSpec*> board = FindBoard(arguments.board);
    if (!board.ok()) return Fail(board.error());
    std::string firmware = arguments.firmware.empty()
                               ? HarnessImagePath(arguments.board, arguments.workload)
                               : arguments.firmware;
    std::fprintf(stderr, "hil dut: booting %s on %s (QEMU, icount shift %d)\n", firmware.c_str(),
                 arguments.board.c_str(), arguments.icount_shift);
    VirtualDutOptions options;
    options.qemu.icount_shift = arguments.icount_shift;
    if (arguments.energy_model) {
      // The board's energy profile also sets QEMU's clock (icount shift).
      truth_path = (std::filesystem::temp_directory_path() /
                    ("hil-dut-" + std::to_string(::getpid()) + ".truth.jsonl"))
                       .string();
      truth_file.path = truth_path;
      options.energy.profile = arguments.board;
      options.energy.truth_path = truth_path;
      // The profile sets QEMU's clock; the flag overrides it, or it would be
      // silently ignored.
      options.energy.overrides["icount_shift"] = std::to_string(arguments.icount_shift);
    }
    bench::BenchSpec spec = bench::DefaultVirtualBench();
    spec.board = arguments.board;
    bench::BringUpOptions up_options;
    up_options.firmware = firmware;
    up_options.virtual_dut = std::move(options);
    Result<bench::UpBench> up = bench::BringUp(spec, up_options);
    if (!up.ok()) return Fail(up.error());
    virtual_bench = std::move(*up);
    std::fprintf(stderr, "hil dut: harness up, timestamp mode %s\n",
                 virtual_bench->virtual_dut->timestamp_mode.c_str());
    link = virtual_bench->link();
  }
  auto explain = [&](const Error& error) {
    return virtual_bench ? virtual_bench->Explain(error) : error;
  };

  std::vector<uint8_t> input;
  if (!arguments.input.empty()) {
    Result<std::vector<uint8_t>> read = ReadInput(arguments.input);
    if (!read.ok()) return Fail(read.error());
    input = std::move(*read);
  }

  if (arguments.demo || arguments.commands.empty()) {
    Status status = RunDemo(*link, input, infer_timeout);
    if (status.ok() && !truth_path.empty()) PrintModelledEnergy(truth_path, arguments.board);
    if (!status.ok()) return Fail(explain(status.error()));
    return kExitOk;
  }

  if (!input.empty()) {
    Status loaded = link->LoadBuffer(input);
    if (!loaded.ok()) return Fail(explain(loaded.error()));
    std::fprintf(stderr, "hil dut: loaded %zu input bytes\n", input.size());
  }
  int exit_code = kExitOk;
  for (const std::string& command : arguments.commands) {
    Result<dut::Reply> reply = SendDutCommand(*link, command, infer_timeout);
    if (!reply.ok()) return Fail(explain(reply.error()));
    if (PrintDutExchange(command, *reply)) exit_code = ExitCodeFor(ErrorKind::kTestFailure);
  }
  return exit_code;
}

}  // namespace

void AddDutCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<DutArguments>();
  CLI::App* command = app.add_subcommand(
      "dut",
      "Boot the DUT harness on a board and send it MLPerf Tiny protocol commands.\n"
      "Without commands, runs a demo of every command and summarises it.\n\n"
      "Examples:\n"
      "  hil dut --board mps2-an386                    demo on the emulated Cortex-M4\n"
      "  hil dut --board mps3-an547 name \"infer 5 2\"   two commands, raw replies\n"
      "  hil dut --input x.bin \"infer 1 0\" results     load a tensor, infer once\n"
      "  hil dut --connect serial:/dev/ttyACM0 name    a board that already runs the harness");
  command->add_option("--board", arguments->board, "Board to boot (see 'hil boards')")
      ->capture_default_str();
  command
      ->add_option("--workload", arguments->workload,
                   "Built-in workload image: mb-dense, mb-conv1x1, mb-conv3x3, "
                   "mb-depthwise3x3")
      ->capture_default_str();
  command
      ->add_option("--firmware", arguments->firmware,
                   "ELF to run instead of the built-in workload image")
      ->check(CLI::ExistingFile);
  command->add_option("--connect", arguments->connect,
                      "Talk to a DUT that already runs, e.g. serial:/dev/ttyACM0@115200, "
                      "tcp:HOST:PORT, unix:PATH (no QEMU is started)");
  command->add_option("--input", arguments->input,
                      "Tensor file to load with 'db load' before the commands");
  command->add_option("--timeout", arguments->timeout_s, "Seconds allowed for an 'infer' reply")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--icount-shift", arguments->icount_shift,
                   "QEMU virtual time per instruction, 2^N ns")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  command->add_flag("--demo", arguments->demo, "Run the demo even if commands are given");
  command->add_flag("!--no-energy-model", arguments->energy_model,
                    "Run QEMU without the energy model (the demo then reports no energy)");
  command->add_option("commands", arguments->commands,
                      "Protocol commands without the trailing '%', e.g. name \"infer 5 2\"");
  command->callback([arguments, &exit_code] { exit_code = RunDut(*arguments); });
}

}  // namespace hil::cli
