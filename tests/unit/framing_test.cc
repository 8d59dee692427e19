// The harness's command framer, compiled for the host from firmware/harness.
#include "framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Framed {
  std::vector<std::string> commands;
  int too_long = 0;
};

Framed Feed(const std::string& bytes) {
  framer f;
  framer_reset(&f);
  Framed out;
  for (char c : bytes) {
    switch (framer_push(&f, c)) {
      case FRAMER_COMMAND:
        out.commands.emplace_back(f.command);
        break;
      case FRAMER_TOO_LONG:
        ++out.too_long;
        break;
      case FRAMER_NONE:
        break;
    }
  }
  return out;
}

TEST(FramingTest, SplitsCommandsAtPercentAndIgnoresLineEnds) {
  Framed framed = Feed("name%\r\nprofile%db load 490%");
  ASSERT_EQ(framed.commands.size(), 3u);
  EXPECT_EQ(framed.commands[0], "name");
  EXPECT_EQ(framed.commands[1], "profile");
  EXPECT_EQ(framed.commands[2], "db load 490");
}

TEST(FramingTest, BarePercentIsAnEmptyCommand) {
  Framed framed = Feed("%");
  ASSERT_EQ(framed.commands.size(), 1u);
  EXPECT_EQ(framed.commands[0], "");
}

TEST(FramingTest, OverlongCommandIsReportedOnceAndTheNextOneIsClean) {
  std::string longest(FRAMER_MAX_COMMAND, 'a');
  Framed fits = Feed(longest + "%");
  ASSERT_EQ(fits.commands.size(), 1u);
  EXPECT_EQ(fits.commands[0], longest);

  Framed framed = Feed(longest + "b%name%");
  EXPECT_EQ(framed.too_long, 1);
  ASSERT_EQ(framed.commands.size(), 1u);
  EXPECT_EQ(framed.commands[0], "name");
}

TEST(FramingTest, TokenizeSplitsAtRunsOfSpaces) {
  char command[] = "  infer   5 2 ";
  char* tokens[8];
  size_t count = framer_tokenize(command, tokens, 8);
  ASSERT_EQ(count, 3u);
  EXPECT_STREQ(tokens[0], "infer");
  EXPECT_STREQ(tokens[1], "5");
  EXPECT_STREQ(tokens[2], "2");
}

TEST(FramingTest, TokenizeKeepsTheRestInTheLastToken) {
  char command[] = "a b c d";
  char* tokens[2];
  size_t count = framer_tokenize(command, tokens, 2);
  ASSERT_EQ(count, 2u);
  EXPECT_STREQ(tokens[0], "a");
  EXPECT_STREQ(tokens[1], "b c d");
}

}  // namespace
