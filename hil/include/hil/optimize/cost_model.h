// Predicts what an unmeasured deployment costs from those measured so far,
// layer by layer. Each figure of each layer (its median latency and energy)
// is modelled as a product of one factor per dimension value:
//
//   log cost[layer](d) = base[layer] + sum over dimensions of effect[layer][value of d]
//
// fitted by least squares to every measured deployment, the baseline's
// values being the reference (effect 0). A layer's factors are its own, so
// a kernel set that speeds one convolution up 7x and another 3x, or one
// layer shape not at all, is learnt as such. What no layer table holds
// (the inference's time outside its layers, the image's flash and RAM) is
// modelled the same way as a whole. A deployment with a value no
// measurement has had cannot be predicted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hil/optimize/deployment.h"

namespace hil::optimize {

// One measured deployment, as the model learns from it.
struct Observation {
  Deployment deployment;
  std::vector<std::string> layer_ops;
  std::vector<double> layer_latency_us, layer_energy_uj;  // medians, per layer
  double latency_us = 0, energy_uj = 0;                   // medians, per inference
  double flash_bytes = 0, ram_bytes = 0;
};

struct Prediction {
  double latency_us = 0, energy_uj = 0, flash_bytes = 0, ram_bytes = 0;
  std::vector<double> layer_latency_us, layer_energy_uj;  // empty when predicted whole
};

class CostModel {
 public:
  // `reference`: the deployment whose values carry no effect (the baseline).
  explicit CostModel(Deployment reference) : reference_(std::move(reference)) {}

  // Observations with figures that are not positive and finite are not
  // learnt from. Refits.
  void Add(const Observation& observation);
  size_t size() const { return observations_.size(); }

  // Nothing when `d` has a value in some dimension that no observation had.
  std::optional<Prediction> Predict(const Deployment& d) const;

 private:
  // A column of the design: dimension and value, for every value seen
  // other than the reference's.
  struct Column {
    Dimension dimension;
    std::string value;
  };
  std::vector<double> Features(const Deployment& d) const;
  // Least squares of log(y) on the features; the coefficients.
  std::vector<double> Fit(const std::vector<double>& y) const;
  double Evaluate(const std::vector<double>& coefficients, const std::vector<double>& x) const;
  void Refit();

  Deployment reference_;
  std::vector<Observation> observations_;
  std::vector<Column> columns_;
  // Layer tables line up when every observation has the same layer ops.
  bool layered_ = false;
  std::vector<std::vector<double>> layer_latency_, layer_energy_;  // coefficients per layer
  // The inference as a whole over the sum of its layers (the time outside
  // them), and the image.
  std::vector<double> overhead_latency_, overhead_energy_, flash_, ram_;
  // Without aligned layer tables: the inference as a whole.
  std::vector<double> whole_latency_, whole_energy_;
};

}  // namespace hil::optimize
