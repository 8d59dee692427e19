#include "probes/virtual/energy_profile.h"

#include <yaml-cpp/yaml.h>

#include <charconv>

namespace hil::virtual_bench {
namespace {

constexpr int kSupportedVersion = 1;

std::string Where(const std::string& path, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

Result<double> Number(const std::string& path, const YAML::Node& parent, const std::string& key,
                      double minimum, double maximum) {
  const YAML::Node node = parent[key];
  if (!node) return ConfigurationError(Where(path, parent) + ": missing '" + key + "'");
  double value = 0;
  try {
    value = node.as<double>();
  } catch (const YAML::Exception&) {
    return ConfigurationError(Where(path, node) + ": '" + key + "' must be a number");
  }
  if (value < minimum || value > maximum) {
    return ConfigurationError(Where(path, node) + ": '" + key + "' is " + node.Scalar() +
                              ", outside " + std::to_string(minimum) + ".." +
                              std::to_string(maximum));
  }
  return value;
}

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
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return ConfigurationError("cannot read energy profiles " + path);
  } catch (const YAML::ParserException& error) {
    return ConfigurationError(path + ":" + std::to_string(error.mark.line + 1) + ":" +
                              std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (!root["version"] || root["version"].as<int>(-1) != kSupportedVersion) {
    return ConfigurationError(path + ": 'version' must be " + std::to_string(kSupportedVersion));
  }
  const YAML::Node profiles = root["profiles"];
  if (!profiles || !profiles.IsMap()) {
    return ConfigurationError(path + ": missing the 'profiles' map");
  }
  const YAML::Node node = profiles[name];
  if (!node) {
    std::string known;
    for (const auto& entry : profiles) known += (known.empty() ? "" : ", ") + entry.first.Scalar();
    return ConfigurationError(path + ": no energy profile '" + name + "'; profiles: " + known);
  }

  EnergyProfile profile;
  profile.name = name;
  profile.core = node["core"] ? node["core"].Scalar() : "";
  struct Field {
    const char* key;
    double* target;
    double minimum, maximum;
  };
  double shift = 0;
  const Field fields[] = {
      {"supply_v", &profile.supply_v, 0.5, 6.0},
      {"icount_shift", &shift, 0, 10},
      {"static_mw", &profile.static_mw, 0, 5000},
      {"sleep_mw", &profile.sleep_mw, 0, 5000},
  };
  for (const Field& field : fields) {
    Result<double> value = Number(path, node, field.key, field.minimum, field.maximum);
    if (!value.ok()) return value.error();
    *field.target = *value;
  }
  const YAML::Node classes = node["class_pj"];
  if (!classes || !classes.IsMap()) {
    return ConfigurationError(Where(path, node) + ": missing the 'class_pj' map");
  }
  for (size_t i = 0; i < kInstructionClassCount; ++i) {
    const std::string key(kInstructionClassNames[i]);
    Result<double> value = Number(path, classes, key, 0, 1e6);
    if (!value.ok()) return value.error();
    profile.class_pj[i] = *value;
  }
  for (const auto& entry : classes) {
    bool known = false;
    for (std::string_view class_name : kInstructionClassNames)
      known |= entry.first.Scalar() == class_name;
    if (!known) {
      return ConfigurationError(Where(path, entry.first) + ": unknown instruction class '" +
                                entry.first.Scalar() + "'");
    }
  }

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
