#include "hil/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "hil/did_you_mean.h"

namespace hil {
namespace {

// Problems reported at most; the rest are counted.
constexpr size_t kReportedProblems = 100;

}  // namespace

Result<std::string> YamlReader::ReadFile(const std::string& path, size_t max_bytes,
                                         const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError(path + ": cannot read the " + what);
  std::string text;
  // One byte past the limit is enough to refuse it.
  text.resize(max_bytes + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > max_bytes) {
    return ConfigurationError(path + ": the " + what + " is over the limit of " +
                              std::to_string(max_bytes) + " bytes");
  }
  return text;
}

Position YamlReader::At(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return Position{mark.line + 1, mark.column + 1};
}

bool YamlReader::Load(const std::string& text, YAML::Node& root) {
  try {
    root = YAML::Load(text);
    return true;
  } catch (const YAML::Exception& error) {
    Problem(Position{error.mark.line + 1, error.mark.column + 1}, "not valid YAML: " + error.msg);
    return false;
  }
}

void YamlReader::Problem(Position at, std::string message) {
  problems_.push_back(Diagnostic{at, std::move(message)});
}

Error YamlReader::ToError() const {
  std::vector<Diagnostic> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
  });
  if (sorted.size() > kReportedProblems) {
    const size_t more = sorted.size() - kReportedProblems;
    sorted.resize(kReportedProblems);
    sorted.push_back(Diagnostic{
        sorted.back().at, "... and " + std::to_string(more) + " more problems; fix these first"});
  }
  std::string text;
  for (const Diagnostic& d : sorted) {
    if (!text.empty()) text += "\n";
    text += path_;
    if (d.at.line > 0) text += ":" + std::to_string(d.at.line) + ":" + std::to_string(d.at.column);
    text += ": " + d.message;
  }
  return ConfigurationError(text);
}

bool YamlReader::Mapping(const YAML::Node& node, const std::string& where,
                         const std::vector<std::string>& known) {
  if (!node.IsMap()) {
    Problem(node, where + " must be a mapping of keys to values");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      Problem(entry.first, "a key in " + where + " must be a single word");
      continue;
    }
    const std::string key = entry.first.Scalar();
    if (!seen.insert(key).second) {
      Problem(entry.first, "duplicate key " + Quote(key) + " in " + where);
      continue;
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string guess = DidYouMean(key, known);
      Problem(entry.first, "unknown key " + Quote(key) + " in " + where +
                               (guess.empty() ? "; the keys are " + JoinNames(known)
                                              : "; did you mean " + Quote(guess) + "?"));
    }
  }
  return true;
}

bool YamlReader::Need(const YAML::Node& map, const char* key, const std::string& where) {
  if (map[key]) return true;
  Problem(map, where + " needs " + Quote(key));
  return false;
}

bool YamlReader::Scalar(const YAML::Node& node, const std::string& what, std::string& out) {
  if (!node.IsScalar()) {
    Problem(node, what + " must be a single value");
    return false;
  }
  out = node.Scalar();
  return true;
}

void YamlReader::String(const YAML::Node& map, const char* key, const std::string& where,
                        std::string& out, bool required) {
  const YAML::Node node = map[key];
  if (!node) {
    if (required) Problem(map, where + " needs " + Quote(key));
    return;
  }
  Scalar(node, where + "." + key, out);
}

bool YamlReader::Choice(const YAML::Node& map, const char* key, const std::string& where,
                        const std::vector<std::string>& choices, std::string& out) {
  const YAML::Node node = map[key];
  std::string value;
  if (!node || !Scalar(node, where + "." + key, value)) return false;
  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
    const std::string guess = DidYouMean(value, choices);
    Problem(node, where + "." + key + " is " + Quote(value) + "; it must be one of " +
                      JoinNames(choices) +
                      (guess.empty() ? std::string() : " (did you mean " + Quote(guess) + "?)"));
    return false;
  }
  out = value;
  return true;
}

bool YamlReader::Number(const YAML::Node& map, const char* key, const std::string& where,
                        double& out, double min, double max) {
  const YAML::Node node = map[key];
  std::string text;
  if (!node || !Scalar(node, where + "." + key, text)) return false;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value >= min) || value > max) {
    std::ostringstream range;
    if (max < 1e300) {
      range << "a number from " << min << " to " << max;
    } else {
      range << "a number of at least " << min;
    }
    Problem(node, where + "." + key + " must be " + range.str() + ", not " + Quote(text));
    return false;
  }
  out = value;
  return true;
}

bool YamlReader::Flag(const YAML::Node& map, const char* key, const std::string& where, bool& out) {
  const YAML::Node node = map[key];
  std::string text;
  if (!node || !Scalar(node, where + "." + key, text)) return false;
  if (text != "true" && text != "false") {
    Problem(node, where + "." + key + " must be true or false, not " + Quote(text));
    return false;
  }
  out = text == "true";
  return true;
}

void YamlReader::StringList(const YAML::Node& map, const char* key, const std::string& where,
                            std::vector<std::string>& out, std::vector<Position>* positions) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!node.IsSequence()) {
    Problem(node, where + "." + key + " must be a list, as in [a, b]");
    return;
  }
  for (const YAML::Node& item : node) {
    std::string value;
    if (!Scalar(item, where + "." + key + " entries", value)) continue;
    out.push_back(value);
    if (positions != nullptr) positions->push_back(At(item));
  }
}

}  // namespace hil
