#include "hil/optimize/cost_model.h"

#include <cmath>
#include <map>
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
  // A per-layer choice is predicted from its two kernel sets' layers, not
  // learnt as a value of its own.
  // A pruned network is another network: measured, never predicted.
  if (!Usable(observation) || PerLayer(observation.deployment) || Pruned(observation.deployment))
    return;
  observations_.push_back(observation);
  Refit();
}

std::optional<std::vector<double>> CostModel::Design::Features(const Deployment& d) const {
  std::vector<double> x(1 + columns.size(), 0);
  x[0] = 1;
  for (Dimension dimension : kDimensions) {
    const std::string value = ValueOf(d, dimension);
    if (value == ValueOf(reference, dimension)) continue;
    bool matched = false;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].dimension == dimension && columns[c].value == value) {
        x[c + 1] = 1;
        matched = true;
      }
    }
    if (!matched) return std::nullopt;  // a value no row had
  }
  return x;
}

bool CostModel::Design::Determines(const std::vector<double>& x) const {
  if (rows.empty()) return false;
  // x = rows^T w for some w: solve (R R^T) w = R x and look at what is left.
  const size_t n = rows.size();
  std::vector<double> a(n * n, 0), b(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j)
      for (size_t k = 0; k < x.size(); ++k) a[i * n + j] += rows[i][k] * rows[j][k];
    for (size_t k = 0; k < x.size(); ++k) b[i] += rows[i][k] * x[k];
    a[i * n + i] += 1e-9;
  }
  const std::vector<double> w = Solve(std::move(a), std::move(b));
  for (size_t k = 0; k < x.size(); ++k) {
    double rebuilt = 0;
    for (size_t i = 0; i < n; ++i) rebuilt += w[i] * rows[i][k];
    if (std::abs(rebuilt - x[k]) > 1e-4) return false;
  }
  return true;
}

std::vector<double> CostModel::Design::Fit(const std::vector<double>& y) const {
  const size_t p = 1 + columns.size();
  // Normal equations with a light ridge on the effects, so that the
  // undetermined directions stay at zero instead of making it singular.
  std::vector<double> a(p * p, 0), b(p, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double target = std::log(y[i]);
    for (size_t r = 0; r < p; ++r) {
      b[r] += rows[i][r] * target;
      for (size_t c = 0; c < p; ++c) a[r * p + c] += rows[i][r] * rows[i][c];
    }
  }
  for (size_t r = 1; r < p; ++r) a[r * p + r] += 1e-6;
  return Solve(std::move(a), std::move(b));
}

CostModel::Design CostModel::DesignOf(const std::vector<const Observation*>& learnt) const {
  Design design;
  design.reference = reference_;
  for (Dimension dimension : kDimensions) {
    const std::string reference = ValueOf(reference_, dimension);
    for (const Observation* o : learnt) {
      const std::string value = ValueOf(o->deployment, dimension);
      bool known = value == reference;
      for (const Column& c : design.columns)
        known = known || (c.dimension == dimension && c.value == value);
      if (!known) design.columns.push_back({dimension, value});
    }
  }
  for (const Observation* o : learnt) design.rows.push_back(*design.Features(o->deployment));
  return design;
}

double CostModel::Evaluate(const std::vector<double>& coefficients, const std::vector<double>& x) {
  double sum = 0;
  for (size_t i = 0; i < x.size() && i < coefficients.size(); ++i) sum += coefficients[i] * x[i];
  return std::exp(sum);
}

void CostModel::Refit() {
  std::vector<const Observation*> all;
  for (const Observation& o : observations_) all.push_back(&o);
  whole_ = DesignOf(all);
  const auto fit = [](const Design& design, const std::vector<const Observation*>& learnt,
                      auto figure) {
    std::vector<double> y;
    for (const Observation* o : learnt) y.push_back(figure(*o));
    return design.Fit(y);
  };
  flash_ = fit(whole_, all, [](const Observation& o) { return o.flash_bytes; });
  ram_ = fit(whole_, all, [](const Observation& o) { return o.ram_bytes; });
  whole_latency_ = fit(whole_, all, [](const Observation& o) { return o.latency_us; });
  whole_energy_ = fit(whole_, all, [](const Observation& o) { return o.energy_uj; });

  // The most common layer list among the observations that have one.
  std::map<std::vector<std::string>, size_t> lists;
  for (const Observation& o : observations_)
    if (!o.layer_ops.empty() && o.layer_latency_us.size() == o.layer_ops.size())
      ++lists[o.layer_ops];
  layer_ops_.clear();
  size_t most = 0;
  for (const auto& [ops, count] : lists)
    if (count > most) layer_ops_ = ops, most = count;
  std::vector<const Observation*> tabled;
  for (const Observation& o : observations_)
    if (!layer_ops_.empty() && o.layer_ops == layer_ops_) tabled.push_back(&o);
  layered_ = DesignOf(tabled);
  layer_latency_.clear();
  layer_energy_.clear();
  if (tabled.empty()) return;
  for (size_t layer = 0; layer < layer_ops_.size(); ++layer) {
    layer_latency_.push_back(
        fit(layered_, tabled, [&](const Observation& o) { return o.layer_latency_us[layer]; }));
    layer_energy_.push_back(
        fit(layered_, tabled, [&](const Observation& o) { return o.layer_energy_uj[layer]; }));
  }
  overhead_latency_ = fit(layered_, tabled, [](const Observation& o) {
    return o.latency_us / Sum(o.layer_latency_us);
  });
  overhead_energy_ = fit(layered_, tabled,
                         [](const Observation& o) { return o.energy_uj / Sum(o.layer_energy_uj); });
}

std::optional<Prediction> CostModel::Predict(const Deployment& d) const {
  if (observations_.empty()) return std::nullopt;
  if (Pruned(d)) return std::nullopt;
  if (PerLayer(d)) return PredictPerLayer(d);
  const std::optional<std::vector<double>> x = whole_.Features(d);
  if (!x || !whole_.Determines(*x)) return std::nullopt;
  Prediction p;
  p.flash_bytes = Evaluate(flash_, *x);
  p.ram_bytes = Evaluate(ram_, *x);
  p.latency_us = Evaluate(whole_latency_, *x);
  p.energy_uj = Evaluate(whole_energy_, *x);
  // Layer by layer where the layer tables determine it.
  const std::optional<std::vector<double>> lx = layered_.Features(d);
  if (!lx || !layered_.Determines(*lx)) return p;
  for (size_t layer = 0; layer < layer_latency_.size(); ++layer) {
    p.layer_latency_us.push_back(Evaluate(layer_latency_[layer], *lx));
    p.layer_energy_uj.push_back(Evaluate(layer_energy_[layer], *lx));
  }
  p.latency_us = Sum(p.layer_latency_us) * Evaluate(overhead_latency_, *lx);
  p.energy_uj = Sum(p.layer_energy_uj) * Evaluate(overhead_energy_, *lx);
  return p;
}

std::optional<Prediction> CostModel::PredictPerLayer(const Deployment& d) const {
  Deployment whole = d, reference = d;
  whole.reference_layers = reference.reference_layers = 0;
  reference.kernels = "reference";
  const std::optional<Prediction> a = Predict(whole), b = Predict(reference);
  if (!a || !b || a->layer_latency_us.empty() || b->layer_latency_us.empty()) return std::nullopt;
  Prediction p = *a;
  double latency = 0, energy = 0, latency_sum = 0, energy_sum = 0;
  for (size_t layer = 0; layer < p.layer_latency_us.size(); ++layer) {
    latency_sum += a->layer_latency_us[layer], energy_sum += a->layer_energy_uj[layer];
    if (layer < 64 && ((d.reference_layers >> layer) & 1u) != 0) {
      p.layer_latency_us[layer] = b->layer_latency_us[layer];
      p.layer_energy_uj[layer] = b->layer_energy_uj[layer];
    }
    latency += p.layer_latency_us[layer], energy += p.layer_energy_uj[layer];
  }
  // The time outside the layers as the whole-set build has it; the image
  // holds both sets, as the whole-set build does.
  p.latency_us = a->latency_us / latency_sum * latency;
  p.energy_uj = a->energy_uj / energy_sum * energy;
  return p;
}

}  // namespace hil::optimize
