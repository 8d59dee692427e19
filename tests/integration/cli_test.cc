// The hil command line, run as a user runs it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

TEST(CliTest, VersionAndHelp) {
  CliRun version = RunHil("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("hil 0."), std::string::npos) << version.output;

  CliRun help = RunHil("dut --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--board"), std::string::npos);
  EXPECT_NE(help.output.find("Examples"), std::string::npos);
}

TEST(CliTest, DemoRunsEveryCommandOnTheVirtualBoard) {
  CliRun demo = RunHil("dut --board mps2-an386 --input " + std::string(HIL_SHARED_DIR) +
                       "/datasets/kws01/tst_000001_Left_2.bin");
  ASSERT_EQ(demo.exit_code, 0) << demo.output;
  for (const char* expected :
       {"hil-mps2-an386", "ulp-mlperf, model mb-conv3x3", "cortex-m4", "3 layers",
        "490 bytes loaded, db print round trip identical", "10 inferences: median", "results    [",
        "uJ per inference", "energy model 'mps2-an386', exact"}) {
    EXPECT_NE(demo.output.find(expected), std::string::npos) << expected << "\n" << demo.output;
  }
}

TEST(CliTest, RawCommandsPrintRepliesAndARejectedOneExitsOne) {
  CliRun ok = RunHil("dut --board mps3-an547 --workload mb-dense name \"infer 2 0\"");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("m-name-dut-[hil-mps3-an547]"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("m-infer-done"), std::string::npos) << ok.output;

  CliRun rejected = RunHil("dut --board mps2-an500 bogus");
  EXPECT_EQ(rejected.exit_code, 1) << rejected.output;
  EXPECT_NE(rejected.output.find("e-[unknown command: bogus]"), std::string::npos);
}

// The per-inference time printed by "infer 1 0", in microseconds.
long InferenceMicroseconds(const std::string& output) {
  const std::string marker = "m-hil-inference-us-[";
  const size_t at = output.find(marker);
  return at == std::string::npos ? -1 : std::atol(output.c_str() + at + marker.size());
}

TEST(CliTest, IcountShiftSetsTheVirtualClockWithTheEnergyModelOn) {
  CliRun default_clock = RunHil("dut --board mps2-an386 \"infer 1 0\"");
  CliRun faster_clock = RunHil("dut --board mps2-an386 --icount-shift 4 \"infer 1 0\"");
  ASSERT_EQ(default_clock.exit_code, 0) << default_clock.output;
  ASSERT_EQ(faster_clock.exit_code, 0) << faster_clock.output;
  const long at_32ns = InferenceMicroseconds(default_clock.output);
  const long at_16ns = InferenceMicroseconds(faster_clock.output);
  ASSERT_GT(at_32ns, 0);
  // Half the time per instruction, half the time per inference (to a microsecond).
  EXPECT_NEAR(static_cast<double>(at_16ns), at_32ns / 2.0, 1.0);
}

TEST(CliTest, UserErrorsExitTwoAndBenchErrorsExitThree) {
  CliRun unknown_board = RunHil("dut --board nucleo-h743zi name");
  EXPECT_EQ(unknown_board.exit_code, 2);
  EXPECT_NE(unknown_board.output.find("unknown board 'nucleo-h743zi'; known boards: mps2-an386"),
            std::string::npos)
      << unknown_board.output;

  CliRun bad_flag = RunHil("dut --frobnicate");
  EXPECT_EQ(bad_flag.exit_code, 2);

  CliRun bad_uri = RunHil("dut --connect ttyACM0 name");
  EXPECT_EQ(bad_uri.exit_code, 2) << bad_uri.output;
  EXPECT_NE(bad_uri.output.find("has no scheme"), std::string::npos);

  CliRun absent = RunHil("dut --connect unix:/nonexistent/dut.sock name");
  EXPECT_EQ(absent.exit_code, 3) << absent.output;
  EXPECT_NE(absent.output.find("infrastructure error"), std::string::npos);
}

TEST(CliTest, BoardsListsEmulatedAndHardwareBoards) {
  CliRun boards = RunHil("boards");
  ASSERT_EQ(boards.exit_code, 0);
  EXPECT_NE(boards.output.find("mps3-an547"), std::string::npos);
  EXPECT_NE(boards.output.find("nucleo-l4r5zi"), std::string::npos);
  EXPECT_NE(boards.output.find("hardware"), std::string::npos);
  // The virtual boards' time is QEMU's instruction count, and says so.
  EXPECT_NE(boards.output.find("mps2-an386      cortex-m4   32 ns/instr*"), std::string::npos)
      << boards.output;
  EXPECT_NE(boards.output.find("nucleo-l4r5zi   cortex-m4   120 MHz "), std::string::npos)
      << boards.output;
  EXPECT_NE(boards.output.find("* emulated time:"), std::string::npos) << boards.output;
  CliRun profile = RunHil("boards mps3-an547");
  EXPECT_EQ(profile.exit_code, 0) << profile.output;
  EXPECT_NE(profile.output.find("at 32 MHz (nominal)"), std::string::npos) << profile.output;
  EXPECT_NE(profile.output.find("emulated: every instruction 32 ns (QEMU -icount)"),
            std::string::npos)
      << profile.output;
}

}  // namespace
}  // namespace hil::testing

namespace hil::testing {
namespace {

TEST(CliTest, BenchUpServesAVirtualBenchThatOtherToolsCanReach) {
  const auto out =
      std::filesystem::temp_directory_path() / ("hil-bench-up-" + std::to_string(::getpid()));
  const std::string command =
      std::string(HIL_CLI_PATH) + " bench up --board mps2-an500 --seconds 4 --out " + out.string();
  FILE* bench = ::popen(command.c_str(), "r");
  ASSERT_NE(bench, nullptr);
  std::string uart, ppk2, line;
  char buffer[512];
  while ((uart.empty() || ppk2.empty()) && std::fgets(buffer, sizeof(buffer), bench) != nullptr) {
    line = buffer;
    std::istringstream fields(line);
    std::string first, second, third;
    fields >> first >> second >> third;
    if (first == "DUT" && second == "UART") uart = third;
    if (first == "PPK2") ppk2 = second;
  }
  ASSERT_EQ(uart.rfind("unix:", 0), 0u) << line;
  ASSERT_EQ(ppk2, "unix:" + (out / "ppk2.sock").string());

  CliRun run = RunHil("dut --connect " + uart + " name \"infer 2 0\"");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("m-name-dut-[hil-mps2-an500]"), std::string::npos) << run.output;

  while (std::fgets(buffer, sizeof(buffer), bench) != nullptr) {
  }
  EXPECT_EQ(WEXITSTATUS(::pclose(bench)), 0);
  std::ifstream truth(out / "truth.jsonl");
  int windows = 0;
  while (std::getline(truth, line)) ++windows;
  EXPECT_EQ(windows, 2);
  EXPECT_TRUE(std::filesystem::exists(out / "summary.json"));
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace hil::testing

namespace hil::testing {
namespace {

// A dataset label that is not a number aborted `hil model run` (std::stoul);
// now it is a configuration error at its line.
TEST(CliHostileInput, ADatasetLabelThatIsNotANumberIsAnErrorAtItsLine) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("y_labels.csv")) << "a.bin,10,3\nb.bin,10,three\n";
  std::ofstream(scratch.File("a.bin")) << std::string(490, '\0');
  std::ofstream(scratch.File("b.bin")) << std::string(490, '\0');
  const CliRun run = RunHil("model run " + std::string(HIL_SHARED_DIR) +
                            "/models/kws_ref_model.tflite --dataset " + scratch.File(""));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("y_labels.csv:2: the label 'three' is not a class number"),
            std::string::npos)
      << run.output;
}

// What a model says, in the dataset's words: label names from MLPerf's
// file names (or a labels.txt, whose hostile bytes never reach the
// terminal), and random inputs that a seed makes again.
TEST(CliModelRun, NamesLabelsAndRunsRandomInputsAgain) {
  const std::string kws = std::string(HIL_SHARED_DIR) + "/models/kws_ref_model.tflite";
  const CliRun one = RunHil("model run " + kws + " --input " + std::string(HIL_SHARED_DIR) +
                            "/datasets/kws01/tst_000000_Stop_7.bin");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("top-1: class 7 (Stop); y_labels.csv says 7 (Stop) (right)"),
            std::string::npos)
      << one.output;
  const CliRun set =
      RunHil("model run " + kws + " --dataset " + std::string(HIL_SHARED_DIR) + "/datasets/kws01");
  EXPECT_EQ(set.exit_code, 0) << set.output;
  EXPECT_NE(set.output.find("top-1 accuracy 94.0 % (94 of 100"), std::string::npos) << set.output;
  EXPECT_NE(set.output.find("  7 (Stop)             100.0 % (9 of 9)"), std::string::npos)
      << set.output;

  ScratchFolder scratch;
  std::ofstream(scratch.File("y_labels.csv")) << "a.bin,12,3\n";
  std::ofstream(scratch.File("a.bin")) << std::string(490, '\0');
  std::ofstream(scratch.File("labels.txt")) << "down\ngo\nleft\n\033]0;owned\007\n";
  const CliRun hostile = RunHil("model run " + kws + " --input " + scratch.File("a.bin"));
  EXPECT_EQ(hostile.exit_code, 0) << hostile.output;
  EXPECT_NE(hostile.output.find("y_labels.csv says 3 ("), std::string::npos) << hostile.output;
  EXPECT_EQ(hostile.output.find('\033'), std::string::npos) << "a name is letters, never controls";

  const std::string ad = std::string(HIL_SHARED_DIR) + "/models/ad01_int8.tflite";
  const CliRun first = RunHil("model run " + ad + " --random 12 --seed 7");
  const CliRun again = RunHil("model run " + ad + " --random 12 --seed 7");
  const CliRun other = RunHil("model run " + ad + " --random 12 --seed 8");
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("on 12 random inputs of 640 bytes (seed 7"), std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("anomaly score (mean squared reconstruction error): mean "),
            std::string::npos)
      << first.output;
  EXPECT_EQ(first.output, again.output) << "the same seed, the same inputs";
  EXPECT_NE(first.output, other.output);
  const CliRun both = RunHil("model run " + ad + " --random 3 --input x.bin");
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

// A plan named "../x" wrote its default outputs beside results/, not in
// it; the name now becomes one folder inside results/.
TEST(CliHostileInput, APlanNameNeverLeadsTheDefaultOutputsOutOfResults) {
  ScratchFolder scratch;
  std::filesystem::create_directories(scratch / "work");
  std::ofstream(scratch.File("work/plan.yaml"))
      << "plan: ../escape\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
         "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 2}\n";
  const CliRun run =
      RunCommand("cd " + scratch.File("work") + " && " + HIL_CLI_PATH + " run plan.yaml");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(std::filesystem::exists(scratch / "work/escape"));
  EXPECT_TRUE(std::filesystem::exists(scratch / "work/results/_.._escape/results.json"))
      << run.output;
}

// A cmake (or compiler) that hangs had no time limit: the run waited
// forever. The step is killed with its process group at the build step
// limit, and the case is an infrastructure error.
TEST(CliHostileInput, AHungFirmwareBuildIsKilledAndTheCaseIsAnError) {
  ScratchFolder scratch;
  std::filesystem::create_directories(scratch / "bin");
  std::ofstream(scratch.File("bin/cmake"))
      << "#!/bin/sh\nsleep 300 &\necho $! > " << scratch.File("child.pid") << "\nwait\n";
  std::filesystem::permissions(scratch / "bin/cmake", std::filesystem::perms::owner_all);
  std::ofstream(scratch.File("plan.yaml"))
      << "plan: hung\nnetworks:\n  conv: {workload: mb-conv1x1}\n"
         "configurations:\n  O3: {optimisation: -O3}\n"
         "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 0, runs: 2}\n";
  const CliRun run =
      RunCommand("PATH=" + scratch.File("bin") + ":$PATH HIL_BUILD_STEP_LIMIT_S=2 " +
                 "HIL_CACHE_DIR=" + scratch.File("cache") + " timeout 120 " + HIL_CLI_PATH +
                 " run " + scratch.File("plan.yaml") + " --out " + scratch.File("out"));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("ran over 2 s and was killed"), std::string::npos) << run.output;
  std::ifstream pid_file(scratch.File("child.pid"));
  pid_t child = 0;
  ASSERT_TRUE(pid_file >> child);
  for (int i = 0; i < 100 && ::kill(child, 0) == 0; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid_field, command, state;
    if (stat >> pid_field >> command >> state && state == "Z") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
  std::string pid_field, command, state = "gone";
  if (!(stat >> pid_field >> command >> state) || command != "(sleep)") state = "gone";
  EXPECT_TRUE(state == "gone" || state == "Z") << "the hung build's child survived";
}

}  // namespace
}  // namespace hil::testing
