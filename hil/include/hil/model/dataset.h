// hil — labelled datasets and what a model scores on them.
//
// A dataset is a folder of input tensors and a y_labels.csv of
// "file,classes,label" lines (MLPerf Tiny's layout). A classifier is scored
// by top-1 accuracy. An autoencoder (as many outputs as input bytes, as
// MLPerf's anomaly detection) is scored as MLPerf scores it: each input's
// anomaly score is its mean squared reconstruction error, and the dataset's
// figure is the area under the ROC curve for labels 0 (normal) and
// 1 (anomalous).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/lowering.h"

namespace hil::model {

struct LabelledInput {
  std::string file;  // relative to the dataset's folder, never outside it
  size_t label = 0;
  size_t line = 0;  // in y_labels.csv, for messages
};

// Reads DIR/y_labels.csv. Errors: configuration, at FILE:LINE (a line
// without three fields, a label that is not a number, an input outside the
// folder, a file of over 1 MiB).
Result<std::vector<LabelledInput>> ReadLabels(const std::string& folder);

// The names of a dataset's labels, indexed by label; "" where unknown.
// From DIR/labels.txt (one name per line, label 0 first) when there is
// one, else from MLPerf's file names ("tst_000000_Stop_7.bin" is label 7,
// "Stop") where every file of a label agrees. Names are letters, digits,
// '-', '_' and spaces, at most 40 of them; labels above 4095 have none.
std::vector<std::string> LabelNames(const std::string& folder,
                                    const std::vector<LabelledInput>& entries);

// "7 (Stop)", or "7" without a name.
std::string LabelText(size_t label, const std::vector<std::string>& names);

// `count` input tensors of `bytes` random bytes (uniform over int8), the
// same for the same seed on every host.
std::vector<std::vector<uint8_t>> RandomInputs(size_t count, size_t bytes, uint64_t seed);

// Reads one input tensor (at most 16 MiB). Errors: configuration.
Result<std::vector<uint8_t>> ReadInput(const std::string& path);

enum class DatasetMetric { kTop1, kAuc };
const char* MetricName(DatasetMetric metric);  // "top1", "auc"

// kAuc for an autoencoder (its outputs as many as its input's bytes), else kTop1.
DatasetMetric MetricFor(const LoweredModel& model);

// Mean squared difference between the input's real values (its int8 bytes
// dequantised) and the output's.
double ReconstructionError(const LoweredModel& model, std::span<const uint8_t> input,
                           const std::vector<float>& output);

// Area under the ROC curve: the chance that an anomalous input (label 1)
// scores above a normal one (label 0), ties counting half. NaN without
// both kinds.
double RocAuc(const std::vector<double>& scores, const std::vector<int>& anomalous);

// Scores a dataset input by input, by the model's metric.
class DatasetScorer {
 public:
  explicit DatasetScorer(const LoweredModel& model);

  DatasetMetric metric() const { return metric_; }

  // Checks every label before any input runs: a dataset lists inputs; an
  // anomaly dataset takes labels 0 and 1 and needs both. Errors: configuration, at
  // `labels_path`:LINE.
  Status CheckLabels(const std::vector<LabelledInput>& entries,
                     const std::string& labels_path) const;

  // One input, its outputs as real values, and its label.
  void Add(std::span<const uint8_t> input, const std::vector<float>& output, size_t label);

  size_t inputs() const { return inputs_; }
  size_t correct() const { return correct_; }  // top-1 hits (classifiers)
  double Top1() const { return inputs_ ? static_cast<double>(correct_) / inputs_ : 0; }
  double Auc() const { return RocAuc(scores_, anomalous_); }

 private:
  const LoweredModel& model_;
  DatasetMetric metric_;
  size_t inputs_ = 0, correct_ = 0;
  std::vector<double> scores_;
  std::vector<int> anomalous_;
};

// A dataset checked against the model that will run it, before any input
// runs: its labels file reads (ReadLabels), its labels suit the model's
// metric (CheckLabels; a classifier's labels name one of its outputs), and
// every input is a file of exactly the model's input size. Errors:
// configuration, at FOLDER/y_labels.csv:LINE.
Result<std::vector<LabelledInput>> CheckDataset(const std::string& folder,
                                                const LoweredModel& model);

// Index of the largest value (the first of equals).
size_t ArgMax(const std::vector<float>& values);

}  // namespace hil::model
