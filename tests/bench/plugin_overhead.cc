// Prints how much the energy plugin slows QEMU down on the same workload.
// A benchmark, not a test: it reports figures and fails only if it cannot
// run. Target (virtual-physics issue): under 25 %.
//
//   build/tests/plugin_overhead [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kInferences = 100;

// Wall time of one "infer" run, in seconds; negative on failure.
double TimeInference(const std::string& board, const std::string& image, bool with_plugin) {
  hil::VirtualDutOptions options;
  const auto truth = std::filesystem::temp_directory_path() / "hil-overhead-truth.jsonl";
  if (with_plugin) {
    options.energy.profile = board;
    options.energy.truth_path = truth.string();
  }
  auto dut = hil::BootVirtualDut(**hil::FindBoard(board), image, options);
  if (!dut.ok()) {
    std::fprintf(stderr, "%s\n", dut.error().ToString().c_str());
    return -1;
  }
  const auto start = Clock::now();
  auto run = dut->link->Infer(kInferences, 0, std::chrono::minutes(5));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!run.ok()) {
    std::fprintf(stderr, "%s\n", run.error().ToString().c_str());
    return -1;
  }
  std::filesystem::remove(truth);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  std::printf("energy plugin overhead: %u inferences of mb-conv3x3-h16, best of %d runs\n",
              kInferences, repeats);
  std::printf("%-12s %12s %12s %10s\n", "board", "plain s", "plugin s", "overhead");
  for (const char* board : {"mps2-an386", "mps2-an500", "mps3-an547"}) {
    const std::string image = hil::HarnessImagePath(board, "mb-conv3x3-h16");
    double plain = 1e9, plugin = 1e9;
    for (int i = 0; i < repeats; ++i) {
      const double without = TimeInference(board, image, false);
      const double with = TimeInference(board, image, true);
      if (without < 0 || with < 0) return 3;
      plain = std::min(plain, without);
      plugin = std::min(plugin, with);
    }
    std::printf("%-12s %12.3f %12.3f %9.1f%%\n", board, plain, plugin,
                100.0 * (plugin - plain) / plain);
  }
  return 0;
}
