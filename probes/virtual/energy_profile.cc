#include "probes/virtual/energy_profile.h"

#include <charconv>

#include "hil/did_you_mean.h"
#include "hil/yaml_reader.h"

namespace hil::virtual_bench {
namespace {

constexpr int kSupportedVersion = 1;

// Profile files are small; this keeps a wrong path from filling memory.
constexpr size_t kMostProfileBytes = 1 << 20;

Result<double> ParseOverride(const std::string& key, const std::string& text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0) {
    return ConfigurationError("energy profile override " + key + "=" + text +
                              ": not a non-negative number");
  }
  return value;
}

}  // namespace

Result<EnergyProfile> LoadEnergyProfile(const std::string& path, const std::string& name,
                                        const std::map<std::string, std::string>& overrides) {
  Result<std::string> file = YamlReader::ReadFile(path, kMostProfileBytes, "energy profiles");
  if (!file.ok()) return file.error();
  YamlReader reader(path);
  YAML::Node root;
  if (!reader.Load(*file, root)) return reader.ToError();
  if (!reader.Mapping(root, "the energy profiles", {"version", "profiles"})) {
    return reader.ToError();
  }
  int version = 0;
  if (reader.Need(root, "version", "the energy profiles")) {
    reader.Count<int>(root, "version", "the energy profiles", version, kSupportedVersion,
                      kSupportedVersion);
  }
  const YAML::Node profiles = root["profiles"];
  if (!profiles || !profiles.IsMap()) {
    reader.Problem(profiles ? profiles : root, "the energy profiles need a 'profiles' mapping");
    return reader.ToError();
  }
  const YAML::Node node = profiles[name];
  if (!node) {
    std::vector<std::string> known;
    for (const auto& entry : profiles) known.push_back(entry.first.Scalar());
    const std::string guess = DidYouMean(name, known);
    reader.Problem(profiles, "no energy profile '" + name + "'; profiles: " + JoinNames(known) +
                                 (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
    return reader.ToError();
  }
  const std::string where = "profiles." + name;
  EnergyProfile profile;
  profile.name = name;
  double shift = 0;
  if (reader.Mapping(node, where,
                     {"core", "supply_v", "icount_shift", "static_mw", "sleep_mw", "class_pj"})) {
    reader.String(node, "core", where, profile.core);
    struct Field {
      const char* key;
      double* target;
      double minimum, maximum;
    };
    const Field fields[] = {
        {"supply_v", &profile.supply_v, 0.5, 6.0},
        {"icount_shift", &shift, 0, 10},
        {"static_mw", &profile.static_mw, 0, 5000},
        {"sleep_mw", &profile.sleep_mw, 0, 5000},
    };
    for (const Field& field : fields) {
      if (reader.Need(node, field.key, where)) {
        reader.Number(node, field.key, where, *field.target, field.minimum, field.maximum);
      }
    }
    const YAML::Node classes = node["class_pj"];
    std::vector<std::string> class_names;
    for (std::string_view class_name : kInstructionClassNames) class_names.emplace_back(class_name);
    if (reader.Need(node, "class_pj", where) &&
        reader.Mapping(classes, where + ".class_pj", class_names)) {
      for (size_t i = 0; i < kInstructionClassCount; ++i) {
        if (reader.Need(classes, class_names[i].c_str(), where + ".class_pj")) {
          reader.Number(classes, class_names[i].c_str(), where + ".class_pj", profile.class_pj[i],
                        0, 1e6);
        }
      }
    }
  }
  if (!reader.ok()) return reader.ToError();

  for (const auto& [key, text] : overrides) {
    Result<double> value = ParseOverride(key, text);
    if (!value.ok()) return value.error();
    if (key == "supply_v") {
      profile.supply_v = *value;
    } else if (key == "static_mw") {
      profile.static_mw = *value;
    } else if (key == "sleep_mw") {
      profile.sleep_mw = *value;
    } else if (key == "icount_shift") {
      shift = *value;
    } else if (key.rfind("class_pj.", 0) == 0) {
      bool found = false;
      for (size_t i = 0; i < kInstructionClassCount; ++i) {
        if (key.substr(9) == kInstructionClassNames[i]) {
          profile.class_pj[i] = *value;
          found = true;
        }
      }
      if (!found) return ConfigurationError("energy profile override: unknown class in " + key);
    } else {
      return ConfigurationError("energy profile override: unknown key '" + key + "'");
    }
  }
  profile.icount_shift = static_cast<int>(shift);
  if (profile.icount_shift != shift) {
    return ConfigurationError(path + ": icount_shift must be a whole number");
  }
  return profile;
}

}  // namespace hil::virtual_bench
