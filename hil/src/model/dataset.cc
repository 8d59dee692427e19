#include "hil/model/dataset.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

namespace hil::model {

namespace fs = std::filesystem;

Result<std::vector<LabelledInput>> ReadLabels(const std::string& folder) {
  // MLPerf's largest label file (1000 KWS inputs) is 30 KB.
  constexpr uintmax_t kLargestLabels = 1 << 20;
  const std::string path = (fs::path(folder) / "y_labels.csv").string();
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error) return ConfigurationError(folder + ": no y_labels.csv (file,classes,label)");
  if (size > kLargestLabels) {
    return ConfigurationError(path + ": " + std::to_string(size) +
                              " bytes; a label file is at most 1 MiB");
  }
  std::ifstream file(path);
  if (!file) return ConfigurationError("cannot read " + path);
  std::vector<LabelledInput> entries;
  std::string line;
  size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string at = path + ":" + std::to_string(number);
    const size_t first = line.find(','), last = line.rfind(',');
    if (first == std::string::npos || first == last) {
      return ConfigurationError(at + ": expected file,classes,label");
    }
    // An input lies inside the dataset's folder: no absolute path, no "..".
    const fs::path input = line.substr(0, first);
    if (input.empty() || input.is_absolute() ||
        std::any_of(input.begin(), input.end(),
                    [](const fs::path& part) { return part == ".."; })) {
      return ConfigurationError(at + ": the input '" + input.string().substr(0, 80) +
                                "' must be a file inside the dataset's folder");
    }
    const std::string label = line.substr(last + 1);
    LabelledInput entry{input.string(), 0, number};
    const auto [end, parsed] =
        std::from_chars(label.data(), label.data() + label.size(), entry.label);
    if (parsed != std::errc() || end != label.data() + label.size()) {
      return ConfigurationError(at + ": the label '" + label.substr(0, 40) +
                                "' is not a class number");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

namespace {

constexpr size_t kMostNamedLabels = 4096;

// A name as it may be printed: what a hostile file holds never reaches a
// terminal as control characters.
bool PlainName(const std::string& name) {
  if (name.empty() || name.size() > 40) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ' ';
  });
}

}  // namespace

std::vector<std::string> LabelNames(const std::string& folder,
                                    const std::vector<LabelledInput>& entries) {
  std::vector<std::string> names;
  const fs::path listed = fs::path(folder) / "labels.txt";
  std::error_code error;
  if (fs::is_regular_file(listed, error) && fs::file_size(listed, error) <= 64 * 1024 && !error) {
    std::ifstream file(listed);
    std::string line;
    while (names.size() < kMostNamedLabels && std::getline(file, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      names.push_back(PlainName(line) ? line : "");
    }
    return names;
  }
  // "tst_000000_Stop_7.bin": the word before the label, when the label ends
  // the file's stem.
  std::vector<bool> conflicting;
  for (const LabelledInput& entry : entries) {
    if (entry.label >= kMostNamedLabels) continue;
    const std::string stem = fs::path(entry.file).stem().string();
    const std::string suffix = "_" + std::to_string(entry.label);
    if (stem.size() <= suffix.size() ||
        stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string rest = stem.substr(0, stem.size() - suffix.size());
    const std::string name =
        rest.substr(rest.rfind('_') == std::string::npos ? 0 : rest.rfind('_') + 1);
    if (!PlainName(name)) continue;
    if (names.size() <= entry.label)
      names.resize(entry.label + 1), conflicting.resize(entry.label + 1);
    if (conflicting[entry.label]) continue;
    if (names[entry.label].empty()) {
      names[entry.label] = name;
    } else if (names[entry.label] != name) {
      names[entry.label].clear();
      conflicting[entry.label] = true;
    }
  }
  return names;
}

std::string LabelText(size_t label, const std::vector<std::string>& names) {
  const std::string number = std::to_string(label);
  return label < names.size() && !names[label].empty() ? number + " (" + names[label] + ")"
                                                       : number;
}

std::vector<std::vector<uint8_t>> RandomInputs(size_t count, size_t bytes, uint64_t seed) {
  // The engine's output is fixed by the standard; its low byte is the value
  // (a distribution's algorithm is not, and would differ between hosts).
  std::mt19937_64 engine(seed);
  std::vector<std::vector<uint8_t>> inputs(count, std::vector<uint8_t>(bytes));
  for (std::vector<uint8_t>& input : inputs) {
    for (uint8_t& byte : input) byte = static_cast<uint8_t>(engine() & 0xff);
  }
  return inputs;
}

Result<std::vector<uint8_t>> ReadInput(const std::string& path) {
  // An MCU's input tensor is kilobytes; anything near this is not one.
  constexpr size_t kLargestInput = 16 << 20;
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError("cannot read the input tensor " + path);
  std::vector<uint8_t> bytes(kLargestInput + 1);
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(file.gcount()));
  if (bytes.size() > kLargestInput) {
    return ConfigurationError("the input tensor " + path + " is larger than " +
                              std::to_string(kLargestInput >> 20) + " MiB");
  }
  return bytes;
}

const char* MetricName(DatasetMetric metric) {
  return metric == DatasetMetric::kAuc ? "auc" : "top1";
}

DatasetMetric MetricFor(const LoweredModel& model) {
  return model.output_count > 1 && model.output_count == model.input_bytes ? DatasetMetric::kAuc
                                                                           : DatasetMetric::kTop1;
}

double ReconstructionError(const LoweredModel& model, std::span<const uint8_t> input,
                           const std::vector<float>& output) {
  const size_t n = std::min(input.size(), output.size());
  if (n == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x =
        (static_cast<int8_t>(input[i]) - model.input_zero_point) * double{model.input_scale};
    const double d = x - output[i];
    sum += d * d;
  }
  return sum / static_cast<double>(n);
}

double RocAuc(const std::vector<double>& scores, const std::vector<int>& anomalous) {
  // Mann-Whitney: sort by score, give tied scores their mean rank, and the
  // anomalous inputs' rank sum counts the (anomalous, normal) pairs won.
  const size_t n = std::min(scores.size(), anomalous.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (anomalous[order[k]]) {
        rank_sum += rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::nan("");
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

DatasetScorer::DatasetScorer(const LoweredModel& model)
    : model_(model), metric_(MetricFor(model)) {}

Status DatasetScorer::CheckLabels(const std::vector<LabelledInput>& entries,
                                  const std::string& labels_path) const {
  if (entries.empty()) return ConfigurationError(labels_path + ": lists no inputs");
  if (metric_ != DatasetMetric::kAuc) return OkStatus();
  bool normal = false, anomalous = false;
  for (const LabelledInput& entry : entries) {
    if (entry.label > 1) {
      return ConfigurationError(labels_path + ":" + std::to_string(entry.line) + ": label " +
                                std::to_string(entry.label) +
                                ": the model is an autoencoder, scored by AUC; its labels are 0 "
                                "(normal) and 1 (anomalous)");
    }
    (entry.label ? anomalous : normal) = true;
  }
  if (!normal || !anomalous) {
    return ConfigurationError(labels_path +
                              ": an anomaly dataset needs normal (0) and anomalous (1) inputs for "
                              "its AUC; this one has only " +
                              (normal ? "normal" : "anomalous") + " ones");
  }
  return OkStatus();
}

Result<std::vector<LabelledInput>> CheckDataset(const std::string& folder,
                                                const LoweredModel& model) {
  Result<std::vector<LabelledInput>> entries = ReadLabels(folder);
  if (!entries.ok()) return entries.error();
  const std::string labels_path = (fs::path(folder) / "y_labels.csv").string();
  const DatasetScorer scorer(model);
  HIL_RETURN_IF_ERROR(scorer.CheckLabels(*entries, labels_path));
  for (const LabelledInput& entry : *entries) {
    const std::string at = labels_path + ":" + std::to_string(entry.line);
    if (scorer.metric() == DatasetMetric::kTop1 && entry.label >= model.output_count) {
      return ConfigurationError(at + ": label " + std::to_string(entry.label) +
                                " names no output; the model has " +
                                std::to_string(model.output_count) + " (labels 0 to " +
                                std::to_string(model.output_count - 1) + ")");
    }
    std::error_code error;
    const fs::path input = fs::path(folder) / entry.file;
    if (!fs::is_regular_file(input, error)) {
      return ConfigurationError(at + ": no input file " + entry.file + " in " + folder);
    }
    const uintmax_t size = fs::file_size(input, error);
    if (error || size != model.input_bytes) {
      return ConfigurationError(at + ": " + entry.file + " has " + std::to_string(size) +
                                " bytes; the model takes " + std::to_string(model.input_bytes));
    }
  }
  return entries;
}

void DatasetScorer::Add(std::span<const uint8_t> input, const std::vector<float>& output,
                        size_t label) {
  ++inputs_;
  if (metric_ == DatasetMetric::kAuc) {
    scores_.push_back(ReconstructionError(model_, input, output));
    anomalous_.push_back(label == 1);
  } else {
    correct_ += !output.empty() && ArgMax(output) == label;
  }
}

size_t ArgMax(const std::vector<float>& values) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

}  // namespace hil::model
