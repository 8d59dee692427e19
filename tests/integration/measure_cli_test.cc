// "hil measure" on a trace captured from the virtual bench with
// "hil capture": the figures against the emulator's ground truth, and the
// exit codes for bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using std::chrono::milliseconds;

class MeasureCliTest : public ::testing::Test {
 protected:
  ScratchFolder scratch_;
};

TEST_F(MeasureCliTest, MeasuresACapturedTraceWithinTheGroundTruthTolerance) {
  VirtualDutOptions options;
  options.energy.profile = "mps2-an386";
  options.energy.truth_path = scratch_.File("truth.jsonl");
  options.energy.probe_socket = scratch_.File("ppk2.sock");
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
  ASSERT_TRUE(dut.ok()) << dut.error().ToString();

  // The capture runs until told to stop (Ctrl-C), not for a number of
  // samples: while the DUT idles, QEMU's virtual clock runs far ahead of
  // the wall clock, so a fixed number of samples could end before the
  // inferences begin.
  const std::string trace = scratch_.File("t.hiltrace");
  const pid_t pid =
      SpawnHil({"capture", "--probe", "ppk2", "--connect", "unix:" + scratch_.File("ppk2.sock"),
                "--seconds", "100000", "--out", trace});
  ASSERT_GT(pid, 0);
  // The trace file appears once the probe is open; streaming starts next.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(trace) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(dut->link->LoadBuffer(KwsTensor()).ok());
  ASSERT_TRUE(dut->link->Infer(4, 1, milliseconds(30000)).ok());
  ASSERT_TRUE(dut->link->Name().ok());  // the stream passes the last edge
  std::this_thread::sleep_for(milliseconds(300));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "an interrupted capture keeps what it has";
  dut->machine->Stop();

  const CliRun table =
      RunHil("measure " + scratch_.File("t.hiltrace") + " --truth " + scratch_.File("truth.jsonl"));
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("4 inference windows (4 used, 0 warm-up, 0 invalid)"),
            std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("ground truth: 4 windows compared"), std::string::npos);
  std::printf("%s", table.output.c_str());

  const CliRun json = RunHil("measure " + scratch_.File("t.hiltrace") +
                             " --json --windows --truth " + scratch_.File("truth.jsonl"));
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const nlohmann::json figures = nlohmann::json::parse(json.output);
  EXPECT_EQ(figures["latency_us"]["n"], 4);
  EXPECT_EQ(figures["samples_lost"], 0);
  EXPECT_LT(figures["ground_truth"]["max_energy_error_pct"].get<double>(), 0.5);
  EXPECT_LT(figures["ground_truth"]["max_latency_error_pct"].get<double>(), 0.1);
  EXPECT_EQ(figures["window_list"].size(), 4u);
  EXPECT_GT(figures["layers"].size(), 0u);
  for (const char* key : {"n", "mean", "median", "std", "min", "max", "p95", "ci95"}) {
    EXPECT_TRUE(figures["energy_uJ"].contains(key)) << key;
  }
  EXPECT_TRUE(figures["baseline"].is_object());

  // The same trace with the inference input said to be elsewhere: no
  // window, no figure, exit 1 with a pointer at the wiring.
  const CliRun wrong = RunHil("measure " + scratch_.File("t.hiltrace") + " --inference D5");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("check the trigger wiring"), std::string::npos) << wrong.output;
}

// The manual flow without a race: the capture itself sends the DUT its
// commands once samples flow, and ends after the reply, so no inference can
// start before the capture does.
TEST_F(MeasureCliTest, ACaptureThatDrivesTheDutMissesNoInference) {
  const std::string log = scratch_.File("bench-up.log");
  const BenchUp bench = StartBenchUp(scratch_.File("bench"), log);
  ASSERT_GT(bench.pid, 0);
  ASSERT_FALSE(bench.uart.empty()) << ReadWholeFile(log);
  const std::string probe = "--probe ppk2 --connect unix:" + scratch_.File("bench/ppk2.sock");

  const CliRun capture = RunHil("capture " + probe + " --out " + scratch_.File("t.hiltrace") +
                                " --dut " + bench.uart + " --dut-command 'infer 6 1'");
  // A command the harness refuses: exit 1 with its error line, the samples kept.
  const CliRun refused = RunHil("capture " + probe + " --out " + scratch_.File("r.hiltrace") +
                                " --dut " + bench.uart + " --dut-command 'db frobnicate'");
  ::kill(bench.pid, SIGTERM);
  ::waitpid(bench.pid, nullptr, 0);

  ASSERT_EQ(capture.exit_code, 0) << capture.output;
  // The command is shown with an arrow, not as a shell prompt would be.
  EXPECT_NE(capture.output.find("-> infer 6 1%\nm-warmup-start-1"), std::string::npos)
      << capture.output;
  EXPECT_NE(capture.output.find("m-infer-done"), std::string::npos);
  EXPECT_NE(capture.output.find("until the DUT has answered 1 command"), std::string::npos);

  const CliRun json = RunHil("measure " + scratch_.File("t.hiltrace") +
                             " --json --warmup 1 --truth " + scratch_.File("bench/truth.jsonl"));
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const nlohmann::json figures = nlohmann::json::parse(json.output);
  EXPECT_EQ(figures["latency_us"]["n"], 5) << "6 windows, the first a warm-up";
  EXPECT_EQ(figures["ground_truth"]["compared"], 6);
  EXPECT_LT(figures["ground_truth"]["max_energy_error_pct"].get<double>(), 0.5);

  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("e-["), std::string::npos) << refused.output;
  EXPECT_TRUE(std::filesystem::exists(scratch_.File("r.hiltrace")));
}

TEST_F(MeasureCliTest, BadInputIsAConfigurationErrorNamingTheProblem) {
  { std::ofstream(scratch_.File("not-a-trace.hiltrace")) << "time_s,current_a\n"; }
  const CliRun garbage = RunHil("measure " + scratch_.File("not-a-trace.hiltrace"));
  EXPECT_EQ(garbage.exit_code, 2) << garbage.output;
  EXPECT_NE(garbage.output.find("not-a-trace.hiltrace is not a hil binary trace"),
            std::string::npos)
      << garbage.output;

  const CliRun missing = RunHil("measure " + scratch_.File("absent.hiltrace"));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("absent.hiltrace"), std::string::npos);

  const CliRun line = RunHil("measure x.hiltrace --layer D9");
  EXPECT_EQ(line.exit_code, 2) << line.output;

  const CliRun style = RunHil("measure " + scratch_.File("not-a-trace.hiltrace") +
                              " --style timestamp --timestamp none");
  EXPECT_EQ(style.exit_code, 2) << style.output;
}

// A trace whose block claims 4 G samples aborted hil measure on the
// allocation; now it is a configuration error naming the file.
TEST_F(MeasureCliTest, ATraceClaimingFourGigaSamplesIsRefusedNotAllocated) {
  {
    std::ofstream trace(scratch_.File("huge.hiltrace"), std::ios::binary);
    const uint32_t header[2] = {1, 0};
    const double rate = 100000;
    const uint64_t first = 0;
    const uint32_t count = 0xFFFFFFFF;
    trace.write("HILTRACE", 8);
    trace.write(reinterpret_cast<const char*>(header), sizeof(header));
    trace.write(reinterpret_cast<const char*>(&rate), sizeof(rate));
    trace.write(reinterpret_cast<const char*>(&first), sizeof(first));
    trace.write(reinterpret_cast<const char*>(&count), sizeof(count));
    trace << std::string(1000, '\0');
  }
  const CliRun huge = RunHil("measure " + scratch_.File("huge.hiltrace"));
  EXPECT_EQ(huge.exit_code, 2) << huge.output;
  EXPECT_NE(huge.output.find("a block claims 4294967295 samples but only 1000 bytes follow"),
            std::string::npos)
      << huge.output;
}

}  // namespace
}  // namespace hil::testing
