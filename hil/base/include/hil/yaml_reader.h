// Reads a YAML file a person wrote (a plan, a bench file, energy profiles)
// and collects every problem in it, each as "FILE:LINE:COL: message" with a
// did-you-mean for misspelt keys and choices, so one run shows them all.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "hil/enum_text.h"
#include "hil/error.h"
#include "hil/position.h"

namespace hil {

class YamlReader {
 public:
  // `path` names the file in messages.
  explicit YamlReader(std::string path) : path_(std::move(path)) {}

  // The file's text, refused unread past `max_bytes`. Errors: configuration.
  static Result<std::string> ReadFile(const std::string& path, size_t max_bytes,
                                      const std::string& what);
  static Position At(const YAML::Node& node);

  // Parses `text` into `root`; a syntax error is a problem (and false).
  bool Load(const std::string& text, YAML::Node& root);

  void Problem(const YAML::Node& node, std::string message) {
    Problem(At(node), std::move(message));
  }
  void Problem(Position at, std::string message);
  bool ok() const { return problems_.empty(); }
  const std::string& path() const { return path_; }

  // Every problem in file order (the first 100, then a count).
  Error ToError() const;

  // A mapping whose keys must all be in `known`. False (with a problem)
  // when the node is not a mapping.
  bool Mapping(const YAML::Node& node, const std::string& where,
               const std::vector<std::string>& known);
  // Whether `map` has `key`; a problem when it does not.
  bool Need(const YAML::Node& map, const char* key, const std::string& where);
  bool Scalar(const YAML::Node& node, const std::string& what, std::string& out);

  // Each reads map[key] when present into `out`, which keeps its value when
  // the key is absent or wrong; `where` names the map in messages. The
  // choosers return whether `out` was set.
  void String(const YAML::Node& map, const char* key, const std::string& where, std::string& out,
              bool required = false);
  bool Choice(const YAML::Node& map, const char* key, const std::string& where,
              const std::vector<std::string>& choices, std::string& out);
  bool Number(const YAML::Node& map, const char* key, const std::string& where, double& out,
              double min, double max = 1e300);
  bool Flag(const YAML::Node& map, const char* key, const std::string& where, bool& out);
  void StringList(const YAML::Node& map, const char* key, const std::string& where,
                  std::vector<std::string>& out, std::vector<Position>* positions = nullptr);

  // A choice among an enum's words (hil/enum_text.h).
  template <typename E>
  void Enum(const YAML::Node& map, const char* key, const std::string& where, E& out) {
    std::string word;
    if (Choice(map, key, where, EnumWords<E>(), word)) out = *FromText<E>(word);
  }

  template <typename Whole>
  void Count(const YAML::Node& map, const char* key, const std::string& where, Whole& out,
             Whole min, Whole max) {
    const YAML::Node node = map[key];
    std::string text;
    if (!node || !Scalar(node, where + "." + key, text)) return;
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() ||
        value < static_cast<int64_t>(min) || value > static_cast<int64_t>(max)) {
      Problem(node, where + "." + key + " must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", not " + Quote(text));
      return;
    }
    out = static_cast<Whole>(value);
  }

  static std::string Quote(const std::string& text) { return "'" + text + "'"; }

 private:
  struct Diagnostic {
    Position at;
    std::string message;
  };
  std::string path_;
  std::vector<Diagnostic> problems_;
};

}  // namespace hil
