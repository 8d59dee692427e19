#include "probes/virtual/energy_profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace hil::virtual_bench {
namespace {

class EnergyProfileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("hil-profiles-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

constexpr const char* kValid = R"(version: 1
profiles:
  board-a:
    core: cortex-m4
    supply_v: 3.3
    icount_shift: 5
    static_mw: 10
    sleep_mw: 1
    class_pj: {alu: 1, load_store: 2, multiply: 3, simd: 4, fpu: 5, branch: 6, sleep: 0}
)";

TEST_F(EnergyProfileTest, TheShippedProfilesLoadForEveryEmulatedBoard) {
  for (const char* board : {"mps2-an386", "mps2-an500", "mps3-an547", "stm32l4-80mhz"}) {
    auto profile = LoadEnergyProfile(HIL_ENERGY_PROFILES, board);
    ASSERT_TRUE(profile.ok()) << board << ": " << profile.error().message();
    EXPECT_GT(profile->static_mw, 0);
    EXPECT_EQ(profile->icount_shift, 5);
  }
}

TEST_F(EnergyProfileTest, ReadsEveryFieldAndAppliesOverrides) {
  auto profile =
      LoadEnergyProfile(Write(kValid), "board-a", {{"static_mw", "20.5"}, {"class_pj.simd", "40"}});
  ASSERT_TRUE(profile.ok()) << profile.error().message();
  EXPECT_EQ(profile->core, "cortex-m4");
  EXPECT_DOUBLE_EQ(profile->static_mw, 20.5);
  EXPECT_DOUBLE_EQ(profile->class_pj[static_cast<size_t>(InstructionClass::kSimd)], 40);
  EXPECT_DOUBLE_EQ(profile->class_pj[static_cast<size_t>(InstructionClass::kBranch)], 6);
  EXPECT_DOUBLE_EQ(profile->ns_per_instruction(), 32);
}

TEST_F(EnergyProfileTest, ErrorsNameTheFileLineAndWhatIsWrong) {
  struct Case {
    std::string text;
    std::map<std::string, std::string> overrides;
    std::string says;
  };
  const std::string file_start = "version: 1\nprofiles:\n  board-a:\n";
  const Case cases[] = {
      {std::string(kValid), {{"static_mw", "lots"}}, "not a non-negative number"},
      {std::string(kValid), {{"voltage", "3"}}, "unknown key 'voltage'"},
      {std::string(kValid), {{"class_pj.dsp", "3"}}, "unknown class in class_pj.dsp"},
      {"version: 2\nprofiles: {}\n",
       {},
       ":1:10: the energy profiles.version must be a whole number from 1 to 1"},
      {"version: 1\nprofiles: [\n", {}, ":3:1: not valid YAML"},
      {file_start + "    supply_v: 3.3\n", {}, ":4:5: profiles.board-a needs 'icount_shift'"},
      {file_start + "    supply_v: 3.3\n    icount_shift: 5\n    static_mw: x\n    sleep_mw: 1\n",
       {},
       ":6:16: profiles.board-a.static_mw must be a number from 0 to 5000, not 'x'"},
      {file_start + "    supply_v: 30\n",
       {},
       ":4:15: profiles.board-a.supply_v must be a number from 0.5 to 6, not '30'"},
      {file_start + "    suply_v: 3\n",
       {},
       ":4:5: unknown key 'suply_v' in profiles.board-a; did you mean 'supply_v'?"},
  };
  for (const Case& c : cases) {
    auto profile = LoadEnergyProfile(Write(c.text), "board-a", c.overrides);
    ASSERT_FALSE(profile.ok()) << c.says;
    EXPECT_EQ(profile.error().kind(), ErrorKind::kConfiguration);
    EXPECT_NE(profile.error().message().find(c.says), std::string::npos)
        << "wanted '" << c.says << "' in: " << profile.error().message();
  }
  auto missing = LoadEnergyProfile(Write(kValid), "board-b");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find(
                "no energy profile 'board-b'; profiles: board-a (did you mean 'board-a'?)"),
            std::string::npos);
}

// Every problem of a profile at once, as plans and bench files report theirs.
TEST_F(EnergyProfileTest, EveryProblemOfAProfileIsReportedAtOnce) {
  auto profile = LoadEnergyProfile(Write("version: 1\nprofiles:\n  board-a:\n"
                                         "    supply_v: 9\n    icount_shift: 5\n"
                                         "    static_mw: -1\n    sleep_mw: 1\n"
                                         "    class_pj: {alu: 1, load_store: 2, mul: 3}\n"),
                                   "board-a");
  ASSERT_FALSE(profile.ok());
  const std::string message = profile.error().message();
  for (const char* says : {":4:15: profiles.board-a.supply_v must be a number from 0.5 to 6",
                           ":6:16: profiles.board-a.static_mw must be a number from 0 to 5000",
                           ":8:15: profiles.board-a.class_pj needs 'multiply'",
                           ":8:39: unknown key 'mul' in profiles.board-a.class_pj"}) {
    EXPECT_NE(message.find(says), std::string::npos) << "wanted '" << says << "' in: " << message;
  }
}

}  // namespace
}  // namespace hil::virtual_bench
