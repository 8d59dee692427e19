// Bench files: what a real and a virtual bench say, and the messages a
// mistake gets.
#include "hil/bench/bench_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hil/plan/plan_parser.h"

namespace hil::bench {
namespace {

class BenchFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("hil-bench-" + std::to_string(::getpid()) + ".yaml"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }

  Result<std::vector<BenchSpec>> Read(const std::string& text) {
    std::ofstream(path_) << text;
    return ReadBenchFile(path_);
  }
  // The error message of a file that must be refused.
  std::string Refused(const std::string& text) {
    Result<std::vector<BenchSpec>> benches = Read(text);
    EXPECT_FALSE(benches.ok()) << text;
    if (benches.ok()) return "";
    EXPECT_EQ(benches.error().kind(), ErrorKind::kConfiguration);
    return benches.error().message();
  }
  std::string path_;
};

constexpr const char* kLab =
    "benches:\n"
    "  - name: lab-l4r5\n"
    "    kind: real\n"
    "    board: nucleo-l4r5zi\n"
    "    uart: serial:/dev/ttyACM0@115200\n"
    "    supply_mv: 1800\n"
    "    debug: {serial: 0026003A3438510B34313939, speed_khz: 1800, tcl_port: 6670}\n"
    "    probe: {kind: ppk2, connect: 'serial:/dev/ttyACM1'}\n"
    "    gpio: {chip: gpiochip0, inference: DUT_INFER, reset: DUT_NRST}\n"
    "    triggers: {inference: gpio, layer: D1, timestamp: none}\n"
    "  - name: virtual-a\n"
    "state_dir: state\n";

TEST_F(BenchFileTest, ReadsARealAndAVirtualBench) {
  Result<std::vector<BenchSpec>> benches = Read(kLab);
  ASSERT_TRUE(benches.ok()) << benches.error().ToString();
  ASSERT_EQ(benches->size(), 2u);
  const BenchSpec& lab = (*benches)[0];
  EXPECT_EQ(lab.kind, BenchKind::kReal);
  EXPECT_EQ(lab.uart, "serial:/dev/ttyACM0@115200");
  EXPECT_EQ(lab.supply_mv, 1800u);
  EXPECT_EQ(lab.debug.adapter_serial, "0026003A3438510B34313939");
  EXPECT_EQ(lab.probe.connect, "serial:/dev/ttyACM1");
  EXPECT_EQ(lab.gpio.inference, "DUT_INFER");
  EXPECT_EQ(lab.gpio.reset, "DUT_NRST");
  EXPECT_EQ(lab.inference.input, "gpio");
  EXPECT_EQ(lab.timestamp.input, "none");
  const BenchSpec& virtual_bench = (*benches)[1];
  EXPECT_EQ(virtual_bench.kind, BenchKind::kVirtual);
  EXPECT_EQ(virtual_bench.board, "mps2-an386");

  // The board profile's OpenOCD files with the bench's serial and speed.
  flash::OpenOcdConfig config = OpenOcdConfigFor(lab, **FindBoard("nucleo-l4r5zi"));
  EXPECT_EQ(config.interface_config, "interface/stlink.cfg");
  EXPECT_EQ(config.target_config, "target/stm32l4x.cfg");
  EXPECT_EQ(config.adapter_serial, "0026003A3438510B34313939");
  EXPECT_EQ(config.speed_khz, 1800u);
  EXPECT_EQ(config.tcl_port, 6670);
}

TEST_F(BenchFileTest, MistakesNameTheLineAndTheFix) {
  EXPECT_NE(Refused("benches:\n  - name: a\n    kind: real\n    board: nucleo-l4r5zi\n"
                    "    probe: {connect: 'serial:/dev/ttyACM1'}\n")
                .find(":2:5: real bench 'a' needs uart:"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    kind: real\n    board: nucleo-l4r5zi\n"
                    "    uart: serial:/dev/ttyACM0\n")
                .find("needs probe: connect:"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    boards: mps2-an386\n")
                .find(":3:5: unknown key 'boards' in a bench; did you mean 'board'?"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    board: nucleo-f767zi\n")
                .find("board nucleo-f767zi is not emulated: a bench with it is kind: real"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    board: stm32-nope\n").find("unknown board"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    kind: real\n    board: nucleo-l496zg\n"
                    "    uart: serial:/dev/ttyACM0\n    probe: {connect: 'serial:/dev/x'}\n"
                    "    triggers: {layer: gpio}\n")
                .find("trigger layer comes through gpio, but gpio: names no layer line"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n    triggers: {inference: D9}\n")
                .find(":3:27: triggers.inference is 'D9'; give a logic input of the PPK2 (D0, D1, "
                      "D2, D3, D4, D5, D6, D7) or none"),
            std::string::npos);
  EXPECT_NE(Refused("benches:\n  - name: a\n  - name: a\n").find("bench 'a' twice"),
            std::string::npos);
  EXPECT_NE(Refused("bench: []\n").find("unknown key 'bench' in the bench file"),
            std::string::npos);
}

// As plans do: every problem at once, in file order, with suggestions.
TEST_F(BenchFileTest, EveryProblemIsReportedAtOnceWithSuggestions) {
  const std::string message = Refused(
      "benches:\n"
      "  - name: a\n"
      "    kind: rael\n"
      "    probe: {kind: ppk3}\n"
      "    supply_mv: 9000\n"
      "  - name: b\n"
      "    flasher: qmeu\n"
      "    triggers: {inference: D9}\n"
      "staet_dir: x\n");
  EXPECT_EQ(message,
            path_ +
                ":3:11: bench a.kind is 'rael'; it must be one of virtual, real (did you "
                "mean 'real'?)\n" +
                path_ +
                ":4:19: bench a.probe.kind is 'ppk3'; it must be one of ppk2, lpm01a, js110 "
                "(did you mean 'ppk2'?)\n" +
                path_ +
                ":5:16: bench a.supply_mv must be a whole number from 800 to 5000, not "
                "'9000'\n" +
                path_ +
                ":7:14: bench b.flasher is 'qmeu'; it must be one of openocd, qemu, none (did "
                "you mean 'qemu'?)\n" +
                path_ +
                ":8:27: triggers.inference is 'D9'; give a logic input of the PPK2 (D0, D1, D2, "
                "D3, D4, D5, D6, D7) or none\n" +
                path_ +
                ":9:1: unknown key 'staet_dir' in the bench file; did you mean "
                "'state_dir'?");
}

// A probe's own settings are keys of its probe: mapping, checked against
// its kind's schema in the probe table.
TEST_F(BenchFileTest, AProbesSettingsAreCheckedAgainstItsKind) {
  Result<std::vector<BenchSpec>> benches = Read(
      "benches:\n  - name: a\n    kind: real\n    board: nucleo-l4r5zi\n"
      "    uart: serial:/dev/ttyACM0\n"
      "    probe: {kind: lpm01a, connect: 'serial:/dev/x', rate_hz: 2000, format: ascii}\n"
      "  - name: b\n    kind: real\n    board: nucleo-l4r5zi\n"
      "    uart: serial:/dev/ttyACM0\n    probe: {kind: js110}\n");
  ASSERT_TRUE(benches.ok()) << benches.error().message();
  const BenchSpec& lpm = (*benches)[0];
  EXPECT_EQ(lpm.probe.options,
            (std::map<std::string, std::string>{{"rate_hz", "2000"}, {"format", "ascii"}}));
  EXPECT_EQ(lpm.timestamp.input, "D7") << "the LPM01A's default wiring";
  EXPECT_EQ(lpm.inference.input, "none");
  EXPECT_EQ(ProbeSettingsOf(lpm).options.at("rate_hz"), "2000");
  EXPECT_EQ((*benches)[1].probe.connect, "usb") << "a USB probe needs no connect:";
  EXPECT_EQ((*benches)[1].timestamp.input, "none") << "the JS110 has inputs D0 and D1";

  const std::string message = Refused(
      "benches:\n  - name: a\n    kind: real\n    board: nucleo-l4r5zi\n"
      "    uart: serial:/dev/ttyACM0\n"
      "    probe: {kind: lpm01a, connect: 'serial:/dev/x', rate_hz: 500000, formt: binary,\n"
      "            spike_filter: true}\n"
      "    triggers: {inference: D0}\n");
  for (const char* says :
       {":6:62: bench a.probe.rate_hz must be a number from 1 to 100000, not '500000'",
        ":6:70: unknown key 'formt' in bench a.probe; did you mean 'format'?",
        ":7:13: unknown key 'spike_filter' in bench a.probe; the keys are kind, connect, "
        "rate_hz, format",
        ":8:27: triggers.inference is 'D0'; give a logic input of the LPM01A (D7), gpio"}) {
    EXPECT_NE(message.find(says), std::string::npos) << says << " in:\n" << message;
  }
}

// A plan's bench: and a bench file's bench are one type, read alike: the
// same words give the same description.
TEST_F(BenchFileTest, APlansBenchAndABenchFileGiveTheSameDescription) {
  Result<plan::Plan> plan = plan::ParsePlanText(
      "plan: x\nbench: {probe: lpm01a, supply_mv: 1800, flasher: qemu}\n"
      "networks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n"
      "measurement: {window: timestamp}\n",
      "p.yaml", ::testing::TempDir());
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  Result<std::vector<BenchSpec>> file =
      Read("benches:\n  - {name: v, probe: {kind: lpm01a}, supply_mv: 1800, flasher: qemu}\n");
  ASSERT_TRUE(file.ok()) << file.error().message();
  const BenchSpec& from_plan = plan->bench;
  const BenchSpec& from_file = file->front();
  EXPECT_EQ(from_plan.kind, from_file.kind);
  EXPECT_EQ(from_plan.flasher, from_file.flasher);
  EXPECT_EQ(from_plan.probe.kind, from_file.probe.kind);
  EXPECT_EQ(from_plan.supply_mv, from_file.supply_mv);
  for (const auto& [a, b] : {std::pair{&from_plan.inference, &from_file.inference},
                             std::pair{&from_plan.layer, &from_file.layer},
                             std::pair{&from_plan.timestamp, &from_file.timestamp}}) {
    EXPECT_EQ(a->input, b->input);
  }
  EXPECT_EQ(from_plan.timestamp.input, "D7");
}

}  // namespace
}  // namespace hil::bench
