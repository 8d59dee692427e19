// hil's one process launcher: argument vectors (never a shell), output
// captured or logged, the whole group killed at the deadline, a missing
// program told apart from a failing one.
#include "hil/process.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hil {
namespace {

TEST(Process, ArgumentsReachTheProgramAsTheyAreWithoutAShell) {
  Result<ChildOutcome> ran =
      RunWithDeadline({"/bin/echo", "a;b", "$(touch x)", "'c'"}, std::chrono::seconds(10));
  ASSERT_TRUE(ran.ok()) << ran.error().ToString();
  EXPECT_EQ(ran->output, "a;b $(touch x) 'c'\n");
  EXPECT_EQ(ran->status(), 0);
  EXPECT_FALSE(ran->timed_out);
}

TEST(Process, OutputGoesToTheLogAndTheExitCodeIsKept) {
  const std::filesystem::path log = std::filesystem::path(::testing::TempDir()) / "process.log";
  std::filesystem::remove(log);
  Result<ChildOutcome> ran = RunWithDeadline({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"},
                                             std::chrono::seconds(10), log.string());
  ASSERT_TRUE(ran.ok()) << ran.error().ToString();
  EXPECT_EQ(ran->status(), 3);
  EXPECT_TRUE(ran->output.empty()) << "logged, not captured";
  std::stringstream text;
  text << std::ifstream(log).rdbuf();
  EXPECT_EQ(text.str(), "out\nerr\n");
}

TEST(Process, TheDeadlineKillsTheWholeGroup) {
  for (const std::string& log : {std::string(), ::testing::TempDir() + "/deadline.log"}) {
    // A child of the program keeps the output open: only killing the group
    // ends the wait.
    Result<ChildOutcome> ran = RunWithDeadline({"/bin/sh", "-c", "sleep 30 & sleep 30"},
                                               std::chrono::milliseconds(300), log);
    ASSERT_TRUE(ran.ok()) << ran.error().ToString();
    EXPECT_TRUE(ran->timed_out) << (log.empty() ? "captured" : "logged");
    EXPECT_TRUE(ran->signaled);
  }
}

TEST(Process, AMissingProgramIsAnInfrastructureErrorThatSaysSo) {
  Result<ChildOutcome> ran = RunWithDeadline({"/nonexistent/tool", "x"}, std::chrono::seconds(5));
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(ran.error().message().find("cannot run /nonexistent/tool"), std::string::npos);
  EXPECT_NE(ran.error().message().find("is it installed?"), std::string::npos);
}

}  // namespace
}  // namespace hil
