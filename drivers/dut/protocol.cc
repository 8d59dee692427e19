#include "drivers/dut/protocol.h"

#include <charconv>
#include <cstdlib>

namespace hil::dut {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Error Malformed(const Reply& reply, const std::string& what) {
  return InfrastructureError("reply to '" + reply.command +
                             "' does not follow the protocol: " + what);
}

template <typename Integer>
std::optional<Integer> ParseInteger(std::string_view text) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<float> ParseFloat(std::string_view text) {
  std::string copy(text);
  char* end = nullptr;
  float value = std::strtof(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

Result<std::string> Required(const Reply& reply, std::string_view prefix) {
  std::optional<std::string> value = reply.Bracketed(prefix);
  if (!value) return Malformed(reply, "no line " + std::string(prefix) + "[...]");
  return *value;
}

Result<uint32_t> RequiredNumber(const Reply& reply, std::string_view prefix) {
  Result<std::string> text = Required(reply, prefix);
  if (!text.ok()) return text.error();
  std::optional<uint32_t> value = ParseInteger<uint32_t>(*text);
  if (!value) return Malformed(reply, std::string(prefix) + "[" + *text + "] is not a number");
  return *value;
}

}  // namespace

LineKind ClassifyLine(std::string_view line) {
  if (line == "m-ready") return LineKind::kReady;
  if (StartsWith(line, "e-[")) return LineKind::kError;
  if (line == "m-init-done" || StartsWith(line, "m-timestamp-mode-")) return LineKind::kBoot;
  if (StartsWith(line, "m-")) return LineKind::kProtocol;
  return LineKind::kText;
}

std::optional<std::string> Reply::Bracketed(std::string_view prefix) const {
  std::vector<std::string> all = AllBracketed(prefix);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<std::string> Reply::AllBracketed(std::string_view prefix) const {
  std::vector<std::string> values;
  for (const std::string& line : lines) {
    std::string_view view = line;
    if (!StartsWith(view, prefix)) continue;
    view.remove_prefix(prefix.size());
    if (view.size() < 2 || view.front() != '[' || view.back() != ']') continue;
    values.emplace_back(view.substr(1, view.size() - 2));
  }
  return values;
}

std::optional<std::string> Reply::After(std::string_view prefix) const {
  for (const std::string& line : lines) {
    if (StartsWith(line, prefix)) return line.substr(prefix.size());
  }
  return std::nullopt;
}

std::string_view WindowStyleName(WindowStyle style) {
  return style == WindowStyle::kTimestamp ? "timestamp" : "per-inference";
}

Result<std::string> ParseName(const Reply& reply) { return Required(reply, "m-name-dut-"); }

Result<Profile> ParseProfile(const Reply& reply) {
  Result<std::string> profile = Required(reply, "m-profile-");
  if (!profile.ok()) return profile.error();
  Result<std::string> model = Required(reply, "m-model-");
  if (!model.ok()) return model.error();
  return Profile{*profile, *model};
}

Result<HarnessInfo> ParseHarnessInfo(const Reply& reply) {
  HarnessInfo info;
  struct TextField {
    std::string_view prefix;
    std::string HarnessInfo::*field;
  };
  static constexpr TextField kTextFields[] = {
      {"m-hil-info-protocol-", &HarnessInfo::protocol},
      {"m-hil-info-board-", &HarnessInfo::board},
      {"m-hil-info-core-", &HarnessInfo::core},
      {"m-hil-info-workload-", &HarnessInfo::workload},
      {"m-hil-info-kernels-", &HarnessInfo::kernels},
      {"m-hil-info-build-", &HarnessInfo::build_flags},
      {"m-hil-info-window-", &HarnessInfo::window_style},
  };
  for (const TextField& field : kTextFields) {
    Result<std::string> value = Required(reply, field.prefix);
    if (!value.ok()) return value.error();
    info.*field.field = *value;
  }
  struct NumberField {
    std::string_view prefix;
    uint32_t HarnessInfo::*field;
  };
  static constexpr NumberField kNumberFields[] = {
      {"m-hil-info-clock-hz-", &HarnessInfo::clock_hz},
      {"m-hil-info-db-capacity-", &HarnessInfo::db_capacity},
      {"m-hil-info-input-bytes-", &HarnessInfo::input_bytes},
  };
  for (const NumberField& field : kNumberFields) {
    Result<uint32_t> value = RequiredNumber(reply, field.prefix);
    if (!value.ok()) return value.error();
    info.*field.field = *value;
  }
  if (std::optional<std::string> arena = reply.Bracketed("m-hil-info-arena-bytes-")) {
    std::optional<uint32_t> bytes = ParseInteger<uint32_t>(*arena);
    if (!bytes) return Malformed(reply, "m-hil-info-arena-bytes-[" + *arena + "] is not a number");
    info.arena_bytes = *bytes;
  }
  return info;
}

Result<std::vector<Layer>> ParseLayers(const Reply& reply) {
  Result<uint32_t> count = RequiredNumber(reply, "m-layer-count-");
  if (!count.ok()) return count.error();
  std::vector<Layer> layers;
  for (const std::string& entry : reply.AllBracketed("m-layer-")) {
    std::vector<std::string_view> parts = SplitCommas(entry);
    std::optional<uint32_t> index =
        parts.size() == 3 ? ParseInteger<uint32_t>(parts[0]) : std::nullopt;
    std::optional<uint64_t> macs =
        parts.size() == 3 ? ParseInteger<uint64_t>(parts[2]) : std::nullopt;
    if (!index || !macs || *index != layers.size()) {
      return Malformed(reply, "layer line m-layer-[" + entry + "] is not [index,op,macs] in order");
    }
    layers.push_back(Layer{*index, std::string(parts[1]), *macs});
  }
  if (layers.size() != *count) {
    return Malformed(reply, "m-layer-count-[" + std::to_string(*count) + "] but " +
                                std::to_string(layers.size()) + " layer lines");
  }
  return layers;
}

Result<std::vector<uint8_t>> ParseBufferPrint(const Reply& reply) {
  std::vector<uint8_t> bytes;
  for (const std::string& line : reply.lines) {
    std::string_view view = line;
    if (!StartsWith(view, "m-buffer-")) continue;
    view.remove_prefix(9);
    // "0xNN-0xNN-..."
    while (!view.empty()) {
      if (view.size() < 4 || view[0] != '0' || view[1] != 'x') {
        return Malformed(reply, "buffer line '" + line + "' is not 0xNN-0xNN-...");
      }
      uint8_t value = 0;
      auto [end, error] = std::from_chars(view.data() + 2, view.data() + 4, value, 16);
      if (error != std::errc() || end != view.data() + 4) {
        return Malformed(reply, "buffer line '" + line + "' has a byte that is not hex");
      }
      bytes.push_back(value);
      view.remove_prefix(4);
      if (!view.empty()) {
        if (view.front() != '-') return Malformed(reply, "buffer line '" + line + "' lacks '-'");
        view.remove_prefix(1);
      }
    }
  }
  return bytes;
}

Result<std::vector<float>> ParseResults(const Reply& reply) {
  Result<std::string> text = Required(reply, "m-results-");
  if (!text.ok()) return text.error();
  std::vector<float> values;
  for (std::string_view part : SplitCommas(*text)) {
    std::optional<float> value = ParseFloat(part);
    if (!value) return Malformed(reply, "result '" + std::string(part) + "' is not a number");
    values.push_back(*value);
  }
  return values;
}

Result<InferenceRun> ParseInference(const Reply& reply, uint32_t inferences, uint32_t warmups) {
  // The markers must all be there, in this order.
  const std::string expected[] = {
      "m-warmup-start-" + std::to_string(warmups),
      "m-warmup-done",
      "m-infer-start-" + std::to_string(inferences),
      "m-infer-done",
  };
  size_t position = 0;
  for (const std::string& marker : expected) {
    while (position < reply.lines.size() && reply.lines[position] != marker) ++position;
    if (position == reply.lines.size()) {
      return Malformed(reply, "marker '" + marker + "' missing or out of order");
    }
    ++position;
  }

  InferenceRun run;
  run.inferences = inferences;
  run.warmups = warmups;
  std::vector<uint64_t> laps;
  for (const std::string& line : reply.lines) {
    if (StartsWith(line, "m-lap-us-")) {
      std::optional<uint64_t> lap = ParseInteger<uint64_t>(std::string_view(line).substr(9));
      if (!lap) return Malformed(reply, "'" + line + "' is not m-lap-us-N");
      laps.push_back(*lap);
    }
  }
  if (laps.size() == 2) {
    run.lap_start_us = laps[0];
    run.lap_end_us = laps[1];
  } else if (!laps.empty()) {
    return Malformed(reply, std::to_string(laps.size()) + " m-lap-us lines, expected 0 or 2");
  }
  for (const std::string& chunk : reply.AllBracketed("m-hil-inference-us-")) {
    for (std::string_view part : SplitCommas(chunk)) {
      std::optional<uint32_t> us = ParseInteger<uint32_t>(part);
      if (!us)
        return Malformed(reply, "inference time '" + std::string(part) + "' is not a number");
      run.inference_us.push_back(*us);
    }
  }
  if (run.inference_us.size() > inferences) {
    return Malformed(reply, std::to_string(run.inference_us.size()) + " inference times for " +
                                std::to_string(inferences) + " inferences");
  }
  Result<std::vector<float>> results = ParseResults(reply);
  if (!results.ok()) return results.error();
  run.results = std::move(*results);
  // hil extension: the outputs as the network computed them.
  for (const std::string& chunk : reply.AllBracketed("m-hil-raw-")) {
    for (std::string_view part : SplitCommas(chunk)) {
      std::optional<int32_t> value = ParseInteger<int32_t>(part);
      if (!value)
        return Malformed(reply, "raw output '" + std::string(part) + "' is not an integer");
      run.raw.push_back(*value);
    }
  }
  if (!run.raw.empty() && run.raw.size() != run.results.size()) {
    return Malformed(reply, std::to_string(run.raw.size()) + " raw outputs for " +
                                std::to_string(run.results.size()) + " results");
  }
  return run;
}

std::vector<std::string> DbChunkCommands(const std::vector<uint8_t>& data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<std::string> commands;
  for (size_t offset = 0; offset < data.size(); offset += kDbBytesPerCommand) {
    std::string command = "db ";
    for (size_t i = offset; i < data.size() && i < offset + kDbBytesPerCommand; ++i) {
      command.push_back(kHex[data[i] >> 4]);
      command.push_back(kHex[data[i] & 0xF]);
    }
    commands.push_back(std::move(command));
  }
  return commands;
}

}  // namespace hil::dut
