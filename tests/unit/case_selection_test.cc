// hil run's case selection and measurement overrides: --only patterns,
// --rerun-failed's choice, --runs and --warmup within a plan's limits.
#include "hil/run/case_selection.h"

#include <gtest/gtest.h>

namespace hil::run {
namespace {

class CaseSelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* network : {"kws", "ad"}) {
      plan::Network n;
      n.name = network;
      plan_.networks.push_back(n);
    }
    for (const char* configuration : {"reference", "simd"}) {
      plan::Configuration c;
      c.name = configuration;
      plan_.configurations.push_back(c);
    }
    for (const plan::Network& n : plan_.networks) {
      for (const plan::Configuration& c : plan_.configurations) {
        for (const char* board : {"mps2-an386", "mps3-an547"}) {
          cases_.push_back({n.name + "/" + c.name + "/" + board, &n, &c, board});
        }
      }
    }
  }

  std::vector<std::string> Ids(const std::vector<plan::Case>& cases) {
    std::vector<std::string> ids;
    for (const plan::Case& c : cases) ids.push_back(c.id);
    return ids;
  }

  plan::Plan plan_;
  std::vector<plan::Case> cases_;
};

TEST_F(CaseSelectionTest, APatternIsAnIdAPartOfOneOrAGlob) {
  const plan::Case& c = cases_[2];  // kws/simd/mps2-an386
  ASSERT_EQ(c.id, "kws/simd/mps2-an386");
  for (const char* yes : {"kws/simd/mps2-an386", "kws", "simd", "mps2-an386", "kws/*", "*/simd/*",
                          "*an386", "kws/s?md/*", "*"}) {
    EXPECT_TRUE(MatchesPattern(c, yes)) << yes;
  }
  for (const char* no : {"kw", "kws/simd", "ad/*", "*/reference/*", "an386", "KWS", "mps3-*"}) {
    EXPECT_FALSE(MatchesPattern(c, no)) << no;
  }
}

TEST_F(CaseSelectionTest, SelectionKeepsPlanOrderAndOrsThePatterns) {
  Result<std::vector<plan::Case>> chosen = SelectCases(cases_, {"mps3-an547", "ad/reference/*"});
  ASSERT_TRUE(chosen.ok()) << chosen.error().ToString();
  EXPECT_EQ(Ids(*chosen),
            (std::vector<std::string>{"kws/reference/mps3-an547", "kws/simd/mps3-an547",
                                      "ad/reference/mps2-an386", "ad/reference/mps3-an547",
                                      "ad/simd/mps3-an547"}));
}

TEST_F(CaseSelectionTest, APatternThatMatchesNothingIsAConfigurationErrorListingTheCases) {
  Result<std::vector<plan::Case>> chosen = SelectCases(cases_, {"kws", "vww", "*/O3/*"});
  ASSERT_FALSE(chosen.ok());
  EXPECT_EQ(chosen.error().kind(), ErrorKind::kConfiguration);
  const std::string message = chosen.error().message();
  EXPECT_NE(message.find("--only 'vww', '*/O3/*' match no case of the plan"), std::string::npos)
      << message;
  EXPECT_NE(message.find("\n  ad/simd/mps3-an547"), std::string::npos) << message;
}

TEST_F(CaseSelectionTest, RerunTakesWhatDidNotPassAndWhatAnInterruptedRunNeverReached) {
  const auto ended = [](const char* id, CaseStatus status) {
    CaseResult c;
    c.id = id, c.status = status;
    return c;
  };
  const std::vector<CaseResult> previous = {
      ended("kws/reference/mps2-an386", CaseStatus::kPass),
      ended("kws/reference/mps3-an547", CaseStatus::kFail),
      ended("kws/simd/mps2-an386", CaseStatus::kError),
      ended("kws/simd/mps3-an547", CaseStatus::kPass),
  };
  EXPECT_EQ(Ids(CasesToRerun(cases_, previous, false)),
            (std::vector<std::string>{"kws/reference/mps3-an547", "kws/simd/mps2-an386"}));
  const std::vector<std::string> interrupted = Ids(CasesToRerun(cases_, previous, true));
  ASSERT_EQ(interrupted.size(), 6u);
  EXPECT_EQ(interrupted[2], "ad/reference/mps2-an386");
  EXPECT_TRUE(CasesToRerun(cases_, {previous[0], previous[3]}, false).empty());
}

TEST(OverrideMeasurement, WithinThePlansLimits) {
  plan::Plan plan;
  plan.measurement.runs = 10, plan.measurement.warmup = 1;
  ASSERT_TRUE(OverrideMeasurement(plan, std::nullopt, std::nullopt).ok());
  EXPECT_EQ(plan.measurement.runs, 10u);
  ASSERT_TRUE(OverrideMeasurement(plan, 3u, 0u).ok());
  EXPECT_EQ(plan.measurement.runs, 3u);
  EXPECT_EQ(plan.measurement.warmup, 0u);
  Status too_many = OverrideMeasurement(plan, 257u, std::nullopt);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(too_many.error().message().find("--runs 257: between 1 and 256"), std::string::npos);
  EXPECT_FALSE(OverrideMeasurement(plan, 0u, std::nullopt).ok());
  EXPECT_FALSE(OverrideMeasurement(plan, std::nullopt, 10001u).ok());
  plan.measurement.window = measure::WindowKind::kTimestamp;
  EXPECT_TRUE(OverrideMeasurement(plan, 5000u, std::nullopt).ok());
}

}  // namespace
}  // namespace hil::run
