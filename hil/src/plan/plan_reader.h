// What the parts of the plan reader share: the plan's YAML reader and the
// readers of its sections (plan_sections.cc: bench, networks,
// configurations, matrix; plan_checks.cc: measurement, verification,
// expectations). Internal to hil_plan.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "hil/did_you_mean.h"
#include "hil/plan/plan.h"
#include "hil/plan/plan_parser.h"
#include "hil/yaml_reader.h"

namespace hil::plan::reading {

inline std::string Quote(const std::string& text) { return YamlReader::Quote(text); }
inline Position At(const YAML::Node& node) { return YamlReader::At(node); }
inline std::string Join(const std::vector<std::string>& words) { return JoinNames(words); }
inline std::string Join(const std::vector<std::string>& words, size_t most) {
  return JoinSomeNames(words, most);
}

// Lists in messages name at most this many entries.
inline constexpr size_t kListedNames = 12;
// Unknown names in a matrix get a suggestion up to this many times; after
// that they are only listed, so a plan of thousands of misspelt names is
// validated in linear time.
inline constexpr size_t kSuggestedNames = 20;
// YAML reading with what only a plan has: files named relative to the
// plan's folder and confined to the policy's roots.
class Reader : public YamlReader {
 public:
  Reader(std::string path, std::string directory, const PlanPolicy& policy)
      : YamlReader(std::move(path)), directory_(std::move(directory)), policy_(policy) {}

  // A file the plan names, relative to the plan's folder; it must exist.
  std::string ExistingFile(const YAML::Node& node, const std::string& what);

 private:
  std::string directory_;
  const PlanPolicy& policy_;
};

// Each reads one section of a plan into its part of the model, its
// problems going to `reader`.
void ReadBench(Reader& reader, const YAML::Node& node, Bench& bench);
void ReadNetworks(Reader& reader, const YAML::Node& node, std::vector<Network>& networks);
void ReadConfigurations(Reader& reader, const YAML::Node& node,
                        std::vector<Configuration>& configurations);
void ReadMatrix(Reader& reader, const YAML::Node& node, Plan& plan);
// map.boards: known boards, each one the bench kind can run.
void ReadBoards(Reader& reader, const YAML::Node& map, const std::string& where, BenchKind kind,
                std::vector<std::string>& boards);
void ReadMeasurement(Reader& reader, const YAML::Node& node, Measurement& m);
void ReadVerification(Reader& reader, const YAML::Node& node, Verification& v);
void ReadExpectation(Reader& reader, const YAML::Node& node, std::vector<Expectation>& out);

}  // namespace hil::plan::reading
