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
// modelled the same way as a whole, and so is the inference when the
// layer tables measured so far do not determine a deployment. A deployment
// the measurements do not determine (a value never measured, or only ever
// measured together with another) is not predicted. A per-layer kernel
// choice is predicted layer by layer from its two kernel sets'
// predictions.
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
  // A column of a design: a dimension's value other than the reference's.
  struct Column {
    Dimension dimension;
    std::string value;
  };
  // One least-squares design: an intercept and a column per value seen,
  // a row per observation it learns from.
  struct Design {
    Deployment reference;  // whose values have no column
    std::vector<Column> columns;
    std::vector<std::vector<double>> rows;
    // Nothing when `d` has a value no row had.
    std::optional<std::vector<double>> Features(const Deployment& d) const;
    // Whether the rows determine `d`'s prediction: its features lie in
    // their span (a value seen only together with another is not).
    bool Determines(const std::vector<double>& x) const;
    // Least squares of log(y) on the rows; the coefficients.
    std::vector<double> Fit(const std::vector<double>& y) const;
  };
  Design DesignOf(const std::vector<const Observation*>& learnt) const;
  static double Evaluate(const std::vector<double>& coefficients, const std::vector<double>& x);
  std::optional<Prediction> PredictPerLayer(const Deployment& d) const;
  void Refit();

  Deployment reference_;
  std::vector<Observation> observations_;
  // The inference as a whole, flash and RAM: from every observation.
  Design whole_;
  std::vector<double> whole_latency_, whole_energy_, flash_, ram_;
  // Layer by layer: from the observations whose layer tables line up (the
  // most common layer list; an inference whose layer edges a probe could
  // not all resolve has no table).
  Design layered_;
  std::vector<std::string> layer_ops_;
  std::vector<std::vector<double>> layer_latency_, layer_energy_;  // coefficients per layer
  // The inference over the sum of its layers: the time outside them.
  std::vector<double> overhead_latency_, overhead_energy_;
};

}  // namespace hil::optimize
