// The one reader of hand-written YAML: every problem at once, in file
// order, at its line and column, with a did-you-mean.
#include "hil/yaml_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "hil/bench_kinds.h"
#include "hil/did_you_mean.h"
#include "hil/measure/windows.h"
#include "hil/model/to_float.h"
#include "hil/run/case_result.h"

namespace hil {
namespace {

TEST(DidYouMean, SuggestsOnlyCloseWords) {
  EXPECT_EQ(DidYouMean("runz", {"runs", "warmup"}), "runs");
  EXPECT_EQ(DidYouMean("xyzzy", {"runs", "warmup"}), "");
  // Two letters swapped: as far from "mean" as from "median" by edits, but
  // the same letters as "median".
  EXPECT_EQ(DidYouMean("medain", {"n", "mean", "median", "std", "min", "max", "p95"}), "median");
  EXPECT_EQ(DidYouMean("maen", {"mean", "median"}), "mean");
  EXPECT_EQ(DidYouMean("mea", {"max", "mean"}), "mean") << "the nearer still wins";
}

// The bounded distance agrees with the plain one wherever the plain one is
// within the bound, over every pair of a small alphabet's short words.
TEST(DidYouMean, BoundedSuggestionsMatchTheExhaustiveOnes) {
  const std::vector<std::string> words = {"",     "a",     "ab",    "ba",       "abc",
                                          "acb",  "runs",  "runz",  "warmup",   "wramup",
                                          "conv", "conv3", "dense", "mb-dense", "kws"};
  for (const std::string& word : words) {
    for (const std::string& candidate : words) {
      const std::string found = DidYouMean(word, {candidate});
      // Exhaustive Levenshtein, for reference.
      std::vector<std::vector<size_t>> d(word.size() + 1,
                                         std::vector<size_t>(candidate.size() + 1));
      for (size_t i = 0; i <= word.size(); ++i) d[i][0] = i;
      for (size_t j = 0; j <= candidate.size(); ++j) d[0][j] = j;
      for (size_t i = 1; i <= word.size(); ++i) {
        for (size_t j = 1; j <= candidate.size(); ++j) {
          d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                              d[i - 1][j - 1] + (word[i - 1] == candidate[j - 1] ? 0 : 1)});
        }
      }
      const bool close = d[word.size()][candidate.size()] <= std::max<size_t>(2, word.size() / 3);
      EXPECT_EQ(found, close ? candidate : "") << word << " / " << candidate;
    }
  }
}

TEST(JoinNames, CutsLongListsWithACount) {
  EXPECT_EQ(JoinNames({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(JoinSomeNames({"a", "b", "c", "d"}, 2), "a, b and 2 more");
}

TEST(YamlReader, ReportsEveryProblemInFileOrder) {
  YamlReader reader("f.yaml");
  YAML::Node root;
  ASSERT_TRUE(reader.Load("b: [1]\nrnus: 3\nruns: many\nkind: rael\nflag: yes\n", root));
  ASSERT_TRUE(reader.Mapping(root, "the file", {"a", "b", "runs", "kind", "flag"}));
  std::string b;
  reader.String(root, "b", "the file", b);
  uint32_t runs = 7;
  reader.Count<uint32_t>(root, "runs", "the file", runs, 1, 100);
  std::string kind = "virtual";
  reader.Choice(root, "kind", "the file", {"virtual", "real"}, kind);
  bool flag = false;
  reader.Flag(root, "flag", "the file", flag);
  reader.Need(root, "a", "the file");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(runs, 7u) << "a wrong value leaves the default";
  EXPECT_EQ(kind, "virtual");
  EXPECT_EQ(reader.ToError().kind(), ErrorKind::kConfiguration);
  EXPECT_EQ(reader.ToError().message(),
            "f.yaml:1:1: the file needs 'a'\n"
            "f.yaml:1:4: the file.b must be a single value\n"
            "f.yaml:2:1: unknown key 'rnus' in the file; did you mean 'runs'?\n"
            "f.yaml:3:7: the file.runs must be a whole number from 1 to 100, not 'many'\n"
            "f.yaml:4:7: the file.kind is 'rael'; it must be one of virtual, real (did you "
            "mean 'real'?)\n"
            "f.yaml:5:7: the file.flag must be true or false, not 'yes'");
}

TEST(YamlReader, NumbersAreCheckedAgainstTheirRange) {
  YamlReader reader("f.yaml");
  YAML::Node root;
  ASSERT_TRUE(reader.Load("low: -1\nhigh: 7.5\nok: 2.5\nnan: .nan\n", root));
  double low = 0, high = 0, ok = 0, nan = 0;
  reader.Number(root, "low", "f", low, 0);
  reader.Number(root, "high", "f", high, 0, 6);
  reader.Number(root, "ok", "f", ok, 0, 6);
  reader.Number(root, "nan", "f", nan, 0, 6);
  EXPECT_DOUBLE_EQ(ok, 2.5);
  const std::string message = reader.ToError().message();
  EXPECT_NE(message.find("f.yaml:1:6: f.low must be a number of at least 0, not '-1'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("f.yaml:2:7: f.high must be a number from 0 to 6, not '7.5'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("f.nan must be a number from 0 to 6"), std::string::npos) << message;
}

TEST(YamlReader, SyntaxErrorsAndOversizedFilesAreProblemsNotCrashes) {
  YamlReader reader("f.yaml");
  YAML::Node root;
  EXPECT_FALSE(reader.Load("a: [1, 2\nb: 3\n", root));
  EXPECT_NE(
      reader.ToError().message().find("f.yaml:2:2: not valid YAML: end of sequence flow not found"),
      std::string::npos)
      << reader.ToError().message();

  const std::filesystem::path file = std::filesystem::path(::testing::TempDir()) / "big.yaml";
  std::ofstream(file) << std::string(2000, '#');
  Result<std::string> text = YamlReader::ReadFile(file.string(), 1000, "bench file");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message().find("the bench file is over the limit of 1000 bytes"),
            std::string::npos);
  Result<std::string> missing = YamlReader::ReadFile("/nonexistent/x.yaml", 1000, "bench file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "/nonexistent/x.yaml: cannot read the bench file");
}

// Every enum files spell out maps to its words and back, in one place.
TEST(EnumText, EveryWordRoundTrips) {
  const auto round_trips = [](auto value) {
    using E = decltype(value);
    for (const std::string& word : EnumWords<E>()) {
      const std::optional<E> back = FromText<E>(word);
      EXPECT_TRUE(back.has_value()) << word;
      if (back) {
        EXPECT_EQ(ToText(*back), word);
      }
    }
    EXPECT_FALSE(FromText<E>("no-such-word").has_value());
  };
  round_trips(BenchKind::kVirtual);
  round_trips(Flasher::kOpenOcd);
  round_trips(measure::WindowKind::kInference);
  round_trips(model::NumberFormat::kInt8);
  round_trips(run::CaseStatus::kPass);
  round_trips(run::RunStatus::kFinished);
  EXPECT_EQ(EnumWords<Flasher>(), (std::vector<std::string>{"openocd", "qemu", "none"}));
  EXPECT_EQ(ToText(run::RunStatus::kPartial), "partial");
}

TEST(YamlReader, EnumsAreReadAsTheirWords) {
  YamlReader reader("f.yaml");
  YAML::Node root;
  ASSERT_TRUE(reader.Load("flasher: qemu\nkind: rael\n", root));
  Flasher flasher = Flasher::kOpenOcd;
  BenchKind kind = BenchKind::kVirtual;
  reader.Enum(root, "flasher", "bench", flasher);
  reader.Enum(root, "kind", "bench", kind);
  EXPECT_EQ(flasher, Flasher::kQemu);
  EXPECT_EQ(kind, BenchKind::kVirtual) << "a wrong word leaves the default";
  EXPECT_EQ(reader.ToError().message(),
            "f.yaml:2:7: bench.kind is 'rael'; it must be one of virtual, real (did you mean "
            "'real'?)");
}

TEST(YamlReader, ProblemsBeyondAHundredAreCounted) {
  YamlReader reader("f.yaml");
  for (int i = 0; i < 150; ++i) reader.Problem(Position{i + 1, 1}, "p" + std::to_string(i));
  const std::string message = reader.ToError().message();
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 100);
  EXPECT_NE(message.find("... and 50 more problems; fix these first"), std::string::npos);
}

}  // namespace
}  // namespace hil
