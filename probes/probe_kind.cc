#include "probes/probe_kind.h"

#include <charconv>

#include "hil/did_you_mean.h"

namespace hil::probes {
namespace {

std::vector<std::string> SettingKeys(const ProbeKind& kind) {
  std::vector<std::string> keys;
  for (const SettingSpec& spec : kind.settings) keys.push_back(spec.key);
  return keys;
}

std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return {};
  return value;
}

}  // namespace

bool ProbeKind::has_input(const std::string& input) const {
  for (const std::string& own : inputs) {
    if (own == input) return true;
  }
  return false;
}

const SettingSpec* ProbeKind::setting(const std::string& key) const {
  for (const SettingSpec& spec : settings) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

Status CheckSettings(const ProbeKind& kind, const ProbeSettings& settings) {
  if (kind.attachment == Attachment::kUsb && !settings.record_path.empty()) {
    return ConfigurationError("the " + kind.label +
                              " is a USB device, not a byte stream: it has no raw bytes to record");
  }
  for (const auto& [key, value] : settings.options) {
    const SettingSpec* spec = kind.setting(key);
    if (spec == nullptr) {
      const std::vector<std::string> keys = SettingKeys(kind);
      const std::string guess = DidYouMean(key, keys);
      return ConfigurationError("the " + kind.label + " takes no setting '" + key + "'" +
                                (guess.empty() ? "" : " (did you mean '" + guess + "'?)") +
                                "; its settings: " + (keys.empty() ? "none" : JoinNames(keys)));
    }
    const std::string what = "the " + kind.label + "'s " + key + " ";
    switch (spec->type) {
      case SettingSpec::Type::kFlag:
        if (value != "true" && value != "false") {
          return ConfigurationError(what + "must be true or false, not '" + value + "'");
        }
        break;
      case SettingSpec::Type::kNumber: {
        const std::optional<double> number = ParseNumber(value);
        if (!number || !(*number >= spec->min) || *number > spec->max) {
          char range[96];
          std::snprintf(range, sizeof range, "must be a number from %g to %g", spec->min,
                        spec->max);
          return ConfigurationError(what + range + ", not '" + value + "'");
        }
        break;
      }
      case SettingSpec::Type::kChoice: {
        bool known = false;
        for (const std::string& choice : spec->choices) known |= choice == value;
        if (!known) {
          const std::string guess = DidYouMean(value, spec->choices);
          return ConfigurationError(what + "is '" + value + "'; it must be one of " +
                                    JoinNames(spec->choices) +
                                    (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
        }
        break;
      }
    }
  }
  return OkStatus();
}

bool FlagSetting(const ProbeSettings& settings, const std::string& key) {
  const auto found = settings.options.find(key);
  return found != settings.options.end() && found->second == "true";
}

std::optional<double> NumberSetting(const ProbeSettings& settings, const std::string& key) {
  const auto found = settings.options.find(key);
  if (found == settings.options.end()) return {};
  return ParseNumber(found->second);
}

std::string ChoiceSetting(const ProbeSettings& settings, const std::string& key,
                          const std::string& otherwise) {
  const auto found = settings.options.find(key);
  return found == settings.options.end() ? otherwise : found->second;
}

}  // namespace hil::probes
