// MLPerf Tiny's energy mode on the virtual bench (five timestamp windows of
// at least 10 s through the LPM01A, the median), its capture written in
// EnergyRunner's layout and imported back; and "hil import energyrunner" on
// a real session.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

nlohmann::json CaseOf(const fs::path& out) {
  const nlohmann::json results = nlohmann::json::parse(Slurp(out / "results.json"), nullptr, false);
  if (results.is_discarded() || results["cases"].empty()) return nlohmann::json::object();
  return results["cases"][0];
}

const std::string kSession = HIL_SHARED_DIR "/datasets/energyrunner/l4r5zi-kws-v0.5";

TEST(MlperfEnergy, FiveTenSecondWindowsThroughTheLpm01aImportBackWithinPointTwoPercent) {
  ScratchFolder scratch;
  // mb-conv3x3 takes 27.6 ms on the emulated M4: 370 inferences make a
  // window of 10.2 s, as MLPerf's runner sizes its `infer N W`.
  std::ofstream(scratch.File("energy.yaml"))
      << "plan: energy\nbench: {probe: lpm01a, flasher: qemu}\n"
         "networks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
         "measurement: {window: timestamp, mlperf: true, runs: 370, warmup: 1}\n";
  const CliRun run = RunHil("run " + scratch.File("energy.yaml") + " --out " + scratch.File("out"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json c = CaseOf(scratch / "out");
  ASSERT_EQ(c["status"], "pass") << c["error"];
  EXPECT_EQ(c["windows"]["used"], 5);
  EXPECT_GE(c["latency_us"]["min"].get<double>() * 370, 10e6);
  // The headline is MLPerf's: the median over the five windows.
  const double median = c["mlperf"]["energy_uJ"].get<double>();
  EXPECT_DOUBLE_EQ(median, c["energy_uJ"]["median"].get<double>());
  // Against the emulator's exact energy of the same windows.
  EXPECT_NEAR(median, c["verification"]["ground_truth"]["energy_uJ"].get<double>(), 0.005 * median);

  // The capture, in EnergyRunner's layout, as MLPerf's tools read it.
  const fs::path session = scratch / "out" / "energyrunner" / "conv_default_mps2-an386";
  ASSERT_TRUE(fs::exists(session / "trace1-energy.bin")) << run.output;
  const CliRun imported =
      RunHil("import energyrunner " + session.string() + " --out " + scratch.File("imported"));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  const nlohmann::json back = CaseOf(scratch / "imported");
  EXPECT_EQ(back["energy_uJ"]["n"], 5);
  std::printf("run: %.4f uJ per inference; imported back: %.4f uJ\n", median,
              back["energy_uJ"]["median"].get<double>());
  EXPECT_NEAR(back["energy_uJ"]["median"].get<double>(), median, 0.002 * median);
  EXPECT_NEAR(back["latency_us"]["median"].get<double>(), c["latency_us"]["median"].get<double>(),
              0.002 * c["latency_us"]["median"].get<double>());
}

TEST(MlperfEnergy, ImportingTheRealSessionWritesEveryOutputWithTheRunnersMedian) {
  ScratchFolder scratch;
  const CliRun run = RunHil("import energyrunner " + kSession + " --board nucleo-l4r5zi --out " +
                            scratch.File("out"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("the runner's results.txt: 7373.704 uJ"), std::string::npos)
      << run.output;
  for (const char* file : {"results.json", "results.csv", "junit.xml", "report.html", "results.db"})
    EXPECT_TRUE(fs::exists(scratch / "out" / file)) << file;
  const nlohmann::json c = CaseOf(scratch / "out");
  EXPECT_EQ(c["id"], "kws01/energyrunner/nucleo-l4r5zi");
  EXPECT_NEAR(c["energy_uJ"]["median"].get<double>(), 7373.704, 0.002 * 7373.704);
  const std::string report = Slurp(scratch / "out" / "report.html");
  EXPECT_NE(report.find(">W5</text>"), std::string::npos);
  EXPECT_NE(report.find("measurement windows"), std::string::npos);
}

TEST(MlperfEnergy, ATruncatedSessionIsExitTwoAndWritesNothing) {
  ScratchFolder scratch;
  const fs::path copy = scratch / "session";
  fs::create_directories(copy);
  for (const char* name : {"trace1-energy.bin", "trace1-timestamps.json", "log.txt"}) {
    fs::copy_file(fs::path(kSession) / name, copy / name);
    fs::permissions(copy / name, fs::perms::owner_write, fs::perm_options::add);
  }
  fs::resize_file(copy / "trace1-energy.bin", fs::file_size(copy / "trace1-energy.bin") - 3);
  const CliRun run =
      RunHil("import energyrunner " + copy.string() + " --out " + scratch.File("out"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("is truncated: 1 stray bytes"), std::string::npos) << run.output;
  EXPECT_FALSE(fs::exists(scratch / "out"));
}

}  // namespace
}  // namespace hil::testing
