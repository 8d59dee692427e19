// The virtual bench's energy model: the QEMU plugin's ground truth for the
// real harness, checked for determinism, linearity and the profiles' numbers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "probes/virtual/energy_profile.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

class EnergyModelTest : public ::testing::Test {
 protected:
  // Boots an image with the energy plugin; truth goes to the scratch folder as NAME.jsonl.
  VirtualDut Boot(const std::string& board, const std::string& image, const std::string& name,
                  std::map<std::string, std::string> overrides = {}) {
    VirtualDutOptions options;
    options.energy.profile = board;
    options.energy.truth_path = (scratch_ / (name + ".jsonl")).string();
    options.energy.summary_path = (scratch_ / (name + ".summary.json")).string();
    options.energy.edges_path = (scratch_ / (name + ".edges.jsonl")).string();
    options.energy.overrides = std::move(overrides);
    Result<VirtualDut> dut = BootVirtualDut(**FindBoard(board), BuiltImage(board, image), options);
    EXPECT_TRUE(dut.ok()) << dut.error().ToString();
    return dut.ok() ? std::move(*dut) : VirtualDut{};
  }

  std::string TruthText(const std::string& name) {
    std::ifstream file(scratch_ / (name + ".jsonl"));
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  std::vector<json> Truth(const std::string& name) {
    return ReadJsonLines(scratch_ / (name + ".jsonl"));
  }

  ScratchFolder scratch_;
};

// Runs a fixed command sequence; pause_ms changes only the host's pacing.
void RunSequence(dut::DutLink& link, int pause_ms) {
  auto pause = [&] { std::this_thread::sleep_for(milliseconds(pause_ms)); };
  ASSERT_TRUE(link.LoadBuffer(KwsTensor()).ok());
  pause();
  ASSERT_TRUE(link.Infer(3, 1, milliseconds(30000)).ok());
  pause();
  ASSERT_TRUE(link.Name().ok());
  pause();
  ASSERT_TRUE(link.Infer(2, 0, milliseconds(30000)).ok());
  ASSERT_TRUE(link.SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
  pause();
  ASSERT_TRUE(link.Infer(2, 1, milliseconds(30000)).ok());
}

TEST_F(EnergyModelTest, SameFirmwareAndInputsGiveByteIdenticalGroundTruth) {
  for (auto [name, pause_ms] : {std::pair{"fast", 0}, std::pair{"slow", 150}}) {
    VirtualDut dut = Boot("mps2-an386", "mb-conv3x3", name);
    ASSERT_NE(dut.link, nullptr);
    RunSequence(*dut.link, pause_ms);
    dut.machine->Stop();
  }
  const std::string fast = TruthText("fast");
  const std::string slow = TruthText("slow");
  std::vector<json> records = Truth("fast");
  ASSERT_EQ(records.size(), 6u) << fast;  // five inference windows, one timestamp window
  EXPECT_EQ(records[5]["kind"], "timestamp");
  EXPECT_EQ(fast, slow);
  if (fast != slow) {
    for (const char* name : {"fast", "slow"}) {
      std::ifstream edges(scratch_ / (std::string(name) + ".edges.jsonl"));
      std::string line;
      uint64_t previous = 0;
      std::printf("%s:", name);
      while (std::getline(edges, line)) {
        json edge = json::parse(line);
        uint64_t at = edge["instructions"].get<uint64_t>();
        std::printf(" p%d%d+%llu", edge["pin"].get<int>(), edge["level"].get<int>(),
                    static_cast<unsigned long long>(at - previous));
        previous = at;
      }
      std::printf("\n");
    }
  }
}

TEST_F(EnergyModelTest, FirmwareWithoutSymbolsGivesTheSameTruthAtHigherCost) {
  // Without the pin writer's symbol the plugin watches every store; the
  // figures must not change.
  const std::string stripped = scratch_.File("stripped.elf");
  const std::string command =
      "arm-none-eabi-strip -o " + stripped + " " + BuiltImage("mps2-an386", "mb-conv3x3");
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (auto [name, image] :
       {std::pair<std::string, std::string>{"symbols", BuiltImage("mps2-an386", "mb-conv3x3")},
        std::pair<std::string, std::string>{"stripped", stripped}}) {
    VirtualDutOptions options;
    options.energy.profile = "mps2-an386";
    options.energy.truth_path = scratch_.File(name + ".jsonl");
    Result<VirtualDut> dut = BootVirtualDut(**FindBoard("mps2-an386"), image, options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    RunSequence(*dut->link, 0);
    dut->machine->Stop();
  }
  ASSERT_EQ(Truth("symbols").size(), 6u);
  std::ifstream a(scratch_ / "symbols.jsonl"), b(scratch_ / "stripped.jsonl");
  std::stringstream text_a, text_b;
  text_a << a.rdbuf();
  text_b << b.rdbuf();
  EXPECT_EQ(text_a.str(), text_b.str());
}

TEST_F(EnergyModelTest, LayersAddUpToTheirInferenceExactly) {
  VirtualDut dut = Boot("mps2-an500", "mb-depthwise3x3", "layers");
  ASSERT_NE(dut.link, nullptr);
  ASSERT_TRUE(dut.link->Infer(2, 0, milliseconds(30000)).ok());
  dut.machine->Stop();
  std::vector<json> records = Truth("layers");
  ASSERT_EQ(records.size(), 2u);
  for (const json& inference : records) {
    ASSERT_EQ(inference["layers"].size(), 3u);
    uint64_t instructions = 0, duration = 0;
    double energy = 0;
    for (const json& layer : inference["layers"]) {
      instructions += layer["instructions"].get<uint64_t>();
      duration += layer["duration_ns"].get<uint64_t>();
      energy += layer["energy_nJ"].get<double>();
    }
    EXPECT_EQ(instructions, inference["instructions"].get<uint64_t>());
    EXPECT_EQ(duration, inference["duration_ns"].get<uint64_t>());
    EXPECT_NEAR(energy, inference["energy_nJ"].get<double>(),
                1e-9 * inference["energy_nJ"].get<double>());
  }
}

struct Fit {
  double slope, intercept, r;
};

Fit LinearFit(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const double cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
  return {cov / vx, (sy - cov / vx * sx) / n, cov / std::sqrt(vx * vy)};
}

TEST_F(EnergyModelTest, EnergyAndDurationScaleLinearlyWithMacsOnEveryBoard) {
  for (const char* board : kQemuBoards) {
    std::vector<double> macs, energy, duration;
    for (int height : {2, 4, 8, 16, 32}) {
      const std::string name = std::string(board) + "-h" + std::to_string(height);
      VirtualDut dut = Boot(board, "mb-conv3x3-h" + std::to_string(height), name);
      ASSERT_NE(dut.link, nullptr);
      Result<std::vector<dut::Layer>> layers = dut.link->Layers();
      ASSERT_TRUE(layers.ok());
      uint64_t total = 0;
      for (const dut::Layer& layer : *layers) total += layer.macs;
      ASSERT_TRUE(dut.link->Infer(1, 0, milliseconds(60000)).ok());
      dut.machine->Stop();
      std::vector<json> records = Truth(name);
      ASSERT_EQ(records.size(), 1u);
      macs.push_back(static_cast<double>(total));
      energy.push_back(records[0]["energy_nJ"].get<double>());
      duration.push_back(records[0]["duration_ns"].get<double>());
    }
    Fit energy_fit = LinearFit(macs, energy);
    Fit duration_fit = LinearFit(macs, duration);
    EXPECT_GT(energy_fit.r, 0.999) << board;
    EXPECT_GT(duration_fit.r, 0.999) << board;
    EXPECT_GT(energy_fit.slope, 0) << board;
    std::printf("%s: %.2f nJ/MAC, %.1f ns/MAC (r = %.6f, %.6f)\n", board, energy_fit.slope,
                duration_fit.slope, energy_fit.r, duration_fit.r);
  }
}

TEST_F(EnergyModelTest, EachBoardIsChargedExactlyWhatItsProfileSays) {
  std::map<std::string, double> nj_per_instruction;
  for (const char* board : kQemuBoards) {
    VirtualDut dut = Boot(board, "mb-conv1x1", board);
    ASSERT_NE(dut.link, nullptr);
    ASSERT_TRUE(dut.link->Infer(1, 0, milliseconds(30000)).ok());
    dut.machine->Stop();
    std::vector<json> records = Truth(board);
    ASSERT_EQ(records.size(), 1u);
    const json& window = records[0];

    Result<virtual_bench::EnergyProfile> profile =
        virtual_bench::LoadEnergyProfile(EnergyProfilesPath(), board);
    ASSERT_TRUE(profile.ok());
    double expected_pj = 0;
    uint64_t instructions = 0;
    for (size_t c = 0; c < virtual_bench::kInstructionClassCount; ++c) {
      const std::string name(virtual_bench::kInstructionClassNames[c]);
      const uint64_t count = window["classes"].value(name, uint64_t{0});
      instructions += count;
      expected_pj += static_cast<double>(count) * profile->class_pj[c];
    }
    ASSERT_EQ(instructions, window["instructions"].get<uint64_t>());
    EXPECT_EQ(window["duration_ns"].get<uint64_t>(), instructions << profile->icount_shift);
    expected_pj += profile->static_mw * static_cast<double>(instructions << profile->icount_shift);
    EXPECT_NEAR(window["energy_nJ"].get<double>(), expected_pj / 1000.0, expected_pj * 1e-12);
    nj_per_instruction[board] =
        window["energy_nJ"].get<double>() / static_cast<double>(instructions);
  }
  // The Cortex-M7 profile is the most power-hungry, the M55 the least.
  EXPECT_GT(nj_per_instruction["mps2-an500"], nj_per_instruction["mps2-an386"]);
  EXPECT_GT(nj_per_instruction["mps2-an386"], nj_per_instruction["mps3-an547"]);
}

TEST_F(EnergyModelTest, OverridesChangeTheProfileForWhatIfRuns) {
  std::map<std::string, std::string> flat = {{"static_mw", "0"}};
  for (std::string_view name : virtual_bench::kInstructionClassNames) {
    flat["class_pj." + std::string(name)] = "1000";
  }
  VirtualDut dut = Boot("mps2-an386", "mb-dense", "flat", flat);
  ASSERT_NE(dut.link, nullptr);
  ASSERT_TRUE(dut.link->Infer(1, 0, milliseconds(30000)).ok());
  dut.machine->Stop();
  std::vector<json> records = Truth("flat");
  ASSERT_EQ(records.size(), 1u);
  // 1000 pJ for every instruction and nothing else: 1 nJ per instruction.
  EXPECT_DOUBLE_EQ(records[0]["energy_nJ"].get<double>(), records[0]["instructions"].get<double>());
}

TEST_F(EnergyModelTest, TimestampWindowCoversItsInferences) {
  VirtualDut dut = Boot("mps3-an547", "mb-conv3x3", "timestamp");
  ASSERT_NE(dut.link, nullptr);
  ASSERT_TRUE(dut.link->Infer(1, 0, milliseconds(30000)).ok());
  ASSERT_TRUE(dut.link->SetWindowStyle(dut::WindowStyle::kTimestamp).ok());
  ASSERT_TRUE(dut.link->Infer(4, 0, milliseconds(30000)).ok());
  dut.machine->Stop();
  std::vector<json> records = Truth("timestamp");
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[1]["kind"], "timestamp");
  const double one = records[0]["energy_nJ"].get<double>();
  const double four = records[1]["energy_nJ"].get<double>();
  // Four inferences plus the pulse and the timer reads around them.
  EXPECT_GT(four, 4 * one * 0.999);
  EXPECT_LT(four, 4 * one * 1.01);
}

TEST_F(EnergyModelTest, UnknownProfileIsAConfigurationErrorBeforeQemuStarts) {
  VirtualDutOptions options;
  options.energy.profile = "mps2-an999";
  options.energy.truth_path = scratch_.File("x.jsonl");
  Result<VirtualDut> dut =
      BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-dense"), options);
  ASSERT_FALSE(dut.ok());
  EXPECT_EQ(dut.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(dut.error().message().find("no energy profile 'mps2-an999'; profiles: mps2-an386"),
            std::string::npos)
      << dut.error().message();
}

}  // namespace
}  // namespace hil::testing
