#include "hil/optimize/cost_model.h"

#include <cmath>
#include <numeric>

namespace hil::optimize {
namespace {

bool Positive(double value) { return std::isfinite(value) && value > 0; }

bool Usable(const Observation& o) {
  if (!Positive(o.latency_us) || !Positive(o.energy_uj) || !Positive(o.flash_bytes) ||
      !Positive(o.ram_bytes) || o.layer_latency_us.size() != o.layer_energy_uj.size())
    return false;
  for (size_t i = 0; i < o.layer_latency_us.size(); ++i)
    if (!Positive(o.layer_latency_us[i]) || !Positive(o.layer_energy_uj[i])) return false;
  return true;
}

double Sum(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0);
}

// Solves a x = b (n x n, row major) by Gaussian elimination with partial
// pivoting; a is regularised by the caller, so it is never singular.
std::vector<double> Solve(std::vector<double> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t row = col + 1; row < n; ++row)
      if (std::abs(a[row * n + col]) > std::abs(a[pivot * n + col])) pivot = row;
    if (pivot != col) {
      for (size_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[pivot * n + k]);
      std::swap(b[col], b[pivot]);
    }
    const double diagonal = a[col * n + col];
    if (diagonal == 0) continue;
    for (size_t row = col + 1; row < n; ++row) {
      const double factor = a[row * n + col] / diagonal;
      if (factor == 0) continue;
      for (size_t k = col; k < n; ++k) a[row * n + k] -= factor * a[col * n + k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n, 0);
  for (size_t i = n; i-- > 0;) {
    double sum = b[i];
    for (size_t k = i + 1; k < n; ++k) sum -= a[i * n + k] * x[k];
    x[i] = a[i * n + i] != 0 ? sum / a[i * n + i] : 0;
  }
  return x;
}

}  // namespace

void CostModel::Add(const Observation& observation) {
  if (!Usable(observation)) return;
  observations_.push_back(observation);
  Refit();
}

std::vector<double> CostModel::Features(const Deployment& d) const {
  std::vector<double> x(1 + columns_.size(), 0);
  x[0] = 1;
  for (size_t c = 0; c < columns_.size(); ++c)
    x[c + 1] = ValueOf(d, columns_[c].dimension) == columns_[c].value ? 1 : 0;
  return x;
}

std::vector<double> CostModel::Fit(const std::vector<double>& y) const {
  const size_t p = 1 + columns_.size();
  // Normal equations with a light ridge on the effects: two dimensions that
  // always changed together share their effect instead of having none.
  std::vector<double> a(p * p, 0), b(p, 0);
  for (size_t i = 0; i < observations_.size(); ++i) {
    const std::vector<double> x = Features(observations_[i].deployment);
    const double target = std::log(y[i]);
    for (size_t r = 0; r < p; ++r) {
      b[r] += x[r] * target;
      for (size_t c = 0; c < p; ++c) a[r * p + c] += x[r] * x[c];
    }
  }
  for (size_t r = 1; r < p; ++r) a[r * p + r] += 1e-6;
  return Solve(std::move(a), std::move(b));
}

double CostModel::Evaluate(const std::vector<double>& coefficients,
                           const std::vector<double>& x) const {
  double sum = 0;
  for (size_t i = 0; i < x.size() && i < coefficients.size(); ++i) sum += coefficients[i] * x[i];
  return std::exp(sum);
}

void CostModel::Refit() {
  columns_.clear();
  for (Dimension dimension : kDimensions) {
    const std::string reference = ValueOf(reference_, dimension);
    for (const Observation& o : observations_) {
      const std::string value = ValueOf(o.deployment, dimension);
      if (value == reference) continue;
      bool known = false;
      for (const Column& c : columns_)
        known = known || (c.dimension == dimension && c.value == value);
      if (!known) columns_.push_back({dimension, value});
    }
  }
  const auto fit = [&](auto figure) {
    std::vector<double> y;
    for (const Observation& o : observations_) y.push_back(figure(o));
    return Fit(y);
  };
  flash_ = fit([](const Observation& o) { return o.flash_bytes; });
  ram_ = fit([](const Observation& o) { return o.ram_bytes; });
  whole_latency_ = fit([](const Observation& o) { return o.latency_us; });
  whole_energy_ = fit([](const Observation& o) { return o.energy_uj; });
  const std::vector<std::string>& ops = observations_.front().layer_ops;
  layered_ = !ops.empty();
  for (const Observation& o : observations_)
    layered_ = layered_ && o.layer_ops == ops && o.layer_latency_us.size() == ops.size();
  layer_latency_.clear();
  layer_energy_.clear();
  if (!layered_) return;
  for (size_t layer = 0; layer < ops.size(); ++layer) {
    layer_latency_.push_back(fit([&](const Observation& o) { return o.layer_latency_us[layer]; }));
    layer_energy_.push_back(fit([&](const Observation& o) { return o.layer_energy_uj[layer]; }));
  }
  overhead_latency_ =
      fit([](const Observation& o) { return o.latency_us / Sum(o.layer_latency_us); });
  overhead_energy_ = fit([](const Observation& o) { return o.energy_uj / Sum(o.layer_energy_uj); });
}

std::optional<Prediction> CostModel::Predict(const Deployment& d) const {
  if (observations_.empty()) return std::nullopt;
  for (Dimension dimension : kDimensions) {
    const std::string value = ValueOf(d, dimension);
    if (value == ValueOf(reference_, dimension)) continue;
    bool known = false;
    for (const Column& c : columns_)
      known = known || (c.dimension == dimension && c.value == value);
    if (!known) return std::nullopt;
  }
  // The search measures the reference (the baseline) first, so every
  // effect is relative to a measured deployment.
  const std::vector<double> x = Features(d);
  Prediction p;
  p.flash_bytes = Evaluate(flash_, x);
  p.ram_bytes = Evaluate(ram_, x);
  if (!layered_) {
    p.latency_us = Evaluate(whole_latency_, x);
    p.energy_uj = Evaluate(whole_energy_, x);
    return p;
  }
  for (size_t layer = 0; layer < layer_latency_.size(); ++layer) {
    p.layer_latency_us.push_back(Evaluate(layer_latency_[layer], x));
    p.layer_energy_uj.push_back(Evaluate(layer_energy_[layer], x));
  }
  p.latency_us = Sum(p.layer_latency_us) * Evaluate(overhead_latency_, x);
  p.energy_uj = Sum(p.layer_energy_uj) * Evaluate(overhead_energy_, x);
  return p;
}

}  // namespace hil::optimize
