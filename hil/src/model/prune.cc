#include "hil/model/prune.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>

#include "hil/model/dataset.h"
#include "hil/model/lowering.h"

namespace hil::model {
namespace {

bool Int8(const Tensor& t) { return t.type == TensorType::kInt8; }

// The operators that read `tensor`.
std::vector<size_t> Readers(const Model& model, int32_t tensor) {
  std::vector<size_t> readers;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const std::vector<int32_t>& in = model.operators[i].inputs;
    if (std::find(in.begin(), in.end(), tensor) != in.end()) readers.push_back(i);
  }
  return readers;
}

bool IsOutput(const Model& model, int32_t tensor) {
  return std::find(model.outputs.begin(), model.outputs.end(), tensor) != model.outputs.end();
}

int32_t LastDim(const Tensor& t) { return t.shape.empty() ? 0 : t.shape.back(); }

// A weighted operator's filter and bias, when both are constant and of the
// types int8 inference takes.
bool Weighted(const Model& model, const Operator& op) {
  if (op.inputs.size() < 3 || op.inputs[1] < 0 || op.inputs[2] < 0) return false;
  const Tensor& filter = model.tensors[op.inputs[1]];
  const Tensor& bias = model.tensors[op.inputs[2]];
  return Int8(filter) && filter.constant() && bias.type == TensorType::kInt32 && bias.constant();
}

// Whether `op` carries channel by channel a tensor of `channels` channels.
bool Carries(const Model& model, const Operator& op, int32_t channels) {
  if (op.outputs.size() != 1 || !Int8(model.tensors[op.outputs[0]])) return false;
  const Tensor& out = model.tensors[op.outputs[0]];
  switch (op.kind) {
    case OpKind::kDepthwiseConv2D:
      return op.depth_multiplier == 1 && Weighted(model, op) && LastDim(out) == channels;
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kLogistic:
    case OpKind::kTanh:
      return LastDim(out) == channels;
    case OpKind::kReshape:
      // A flattening that keeps the channel innermost: [1, 1, 1, C] -> [1, C].
      return LastDim(out) == channels &&
             model.tensors[op.inputs[0]].elements() == static_cast<int64_t>(channels) &&
             out.elements() == static_cast<int64_t>(channels);
    default:
      return false;
  }
}

// Removes the given indices along `axis` of a tensor's shape, data and
// per-channel quantisation.
void RemoveAlong(Tensor& t, size_t axis, const std::set<int32_t>& removed) {
  if (axis >= t.shape.size() || removed.empty()) return;
  const size_t element = ElementBytes(t.type);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= t.shape[d];
  for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int32_t count = t.shape[axis];
  if (t.constant()) {
    std::vector<uint8_t> kept;
    kept.reserve(t.data.size());
    const size_t run = static_cast<size_t>(inner) * element;
    for (int64_t o = 0; o < outer; ++o) {
      for (int32_t i = 0; i < count; ++i) {
        if (removed.count(i)) continue;
        const uint8_t* from = &t.data[(static_cast<size_t>(o) * count + i) * run];
        kept.insert(kept.end(), from, from + run);
      }
    }
    t.data = std::move(kept);
  }
  Quantization& q = t.quantization;
  if (q.scale.size() == static_cast<size_t>(count) && count > 1 &&
      static_cast<size_t>(q.axis) == axis) {
    std::vector<float> scale;
    std::vector<int64_t> zero;
    for (int32_t i = 0; i < count; ++i) {
      if (removed.count(i)) continue;
      scale.push_back(q.scale[i]);
      if (static_cast<size_t>(i) < q.zero_point.size()) zero.push_back(q.zero_point[i]);
    }
    q.scale = std::move(scale);
    q.zero_point = std::move(zero);
  }
  t.shape[axis] = count - static_cast<int32_t>(removed.size());
}

template <typename T>
T Get(const Tensor& t, size_t index) {
  T value;
  std::memcpy(&value, &t.data[index * sizeof(T)], sizeof(T));
  return value;
}

template <typename T>
void Put(Tensor& t, size_t index, T value) {
  std::memcpy(&t.data[index * sizeof(T)], &value, sizeof(T));
}

}  // namespace

std::vector<double> ChannelNorms(const Tensor& filter) {
  const int32_t channels = filter.shape.front();
  const int64_t per = filter.elements() / channels;
  std::vector<double> norms(channels, 0);
  for (int32_t c = 0; c < channels; ++c) {
    double sum = 0;
    for (int64_t i = 0; i < per; ++i) {
      const double w = static_cast<int8_t>(filter.data[c * per + i]);
      sum += w * w;
    }
    const std::vector<float>& scale = filter.quantization.scale;
    const double s = scale.size() == static_cast<size_t>(channels) ? scale[c]
                     : scale.empty()                               ? 1.0
                                                                   : scale[0];
    norms[c] = std::sqrt(sum) * s;
  }
  return norms;
}

std::vector<PruneChain> PruneChains(const Model& model) {
  std::vector<PruneChain> chains;
  for (size_t p = 0; p < model.operators.size(); ++p) {
    const Operator& producer = model.operators[p];
    if ((producer.kind != OpKind::kConv2D && producer.kind != OpKind::kFullyConnected) ||
        !Weighted(model, producer) || producer.outputs.size() != 1)
      continue;
    PruneChain chain;
    chain.producer = p;
    int32_t tensor = producer.outputs[0];
    chain.channels = LastDim(model.tensors[tensor]);
    if (chain.channels < 2 || model.tensors[producer.inputs[1]].shape.front() != chain.channels)
      continue;
    bool found = false;
    for (;;) {
      const std::vector<size_t> readers = Readers(model, tensor);
      if (readers.size() != 1 || IsOutput(model, tensor) || !Int8(model.tensors[tensor])) break;
      const Operator& next = model.operators[readers.front()];
      if ((next.kind == OpKind::kConv2D || next.kind == OpKind::kFullyConnected) &&
          next.inputs[0] == tensor && Weighted(model, next) &&
          LastDim(model.tensors[next.inputs[1]]) == chain.channels) {
        chain.consumer = readers.front();
        found = true;
        break;
      }
      if (!Carries(model, next, chain.channels) || next.inputs[0] != tensor) break;
      chain.carriers.push_back(readers.front());
      tensor = next.outputs[0];
    }
    if (found) chains.push_back(chain);
  }
  return chains;
}

Result<std::vector<std::vector<double>>> ConsumerInputMeans(const Model& model,
                                                            const std::vector<PruneChain>& chains,
                                                            const std::string& dataset) {
  Result<std::unique_ptr<LoweredModel>> lowered = Lower(model, "prune");
  if (!lowered.ok()) return lowered.error();
  const LoweredModel& m = **lowered;
  if (m.layers.size() != model.operators.size()) {
    return ConfigurationError("the model's " + std::to_string(model.operators.size()) +
                              " operators lower to " + std::to_string(m.layers.size()) +
                              " layers, so their tensors cannot be read back one by one");
  }
  Result<std::vector<LabelledInput>> entries = CheckDataset(dataset, m);
  if (!entries.ok()) return entries.error();
  // The layer whose output each chain's consumer reads.
  std::vector<size_t> source;
  for (const PruneChain& c : chains)
    source.push_back(c.carriers.empty() ? c.producer : c.carriers.back());
  std::vector<std::vector<double>> sums(chains.size());
  std::vector<double> counts(chains.size(), 0);
  for (size_t c = 0; c < chains.size(); ++c) sums[c].assign(chains[c].channels, 0);
  std::vector<uint8_t> arena(static_cast<size_t>(m.arena.bytes) + 16);
  for (const LabelledInput& entry : *entries) {
    Result<std::vector<uint8_t>> input =
        ReadInput((std::filesystem::path(dataset) / entry.file).string());
    if (!input.ok()) return input.error();
    if (input->size() != m.input_bytes) {
      return ConfigurationError(entry.file + " has " + std::to_string(input->size()) +
                                " bytes; the model takes " + std::to_string(m.input_bytes));
    }
    std::fill(arena.begin(), arena.end(), 0);
    std::memcpy(&arena[m.input], input->data(), input->size());
    for (size_t layer = 0; layer < m.layers.size(); ++layer) {
      nn_run_layer(&m.layers[layer], arena.data());
      for (size_t c = 0; c < chains.size(); ++c) {
        if (source[c] != layer) continue;
        const Tensor& t = model.tensors[model.operators[layer].outputs[0]];
        const int64_t zero = t.quantization.zero_point.empty() ? 0 : t.quantization.zero_point[0];
        const int64_t elements = t.elements();
        const int32_t channels = chains[c].channels;
        const auto* values = reinterpret_cast<const int8_t*>(&arena[m.layers[layer].output]);
        for (int64_t e = 0; e < elements; ++e) sums[c][e % channels] += values[e] - zero;
        counts[c] += static_cast<double>(elements / channels);
      }
    }
  }
  for (size_t c = 0; c < chains.size(); ++c)
    for (double& sum : sums[c]) sum = counts[c] > 0 ? sum / counts[c] : 0;
  return sums;
}

int32_t PrunedCount(int32_t channels, double fraction) {
  if (channels < 2 || !(fraction > 0)) return 0;
  return std::min<int32_t>(static_cast<int32_t>(std::floor(fraction * channels)), channels - 1);
}

Result<Model> PruneChannels(const Model& model, const std::vector<PruneChain>& chains,
                            const std::vector<std::vector<double>>& means,
                            const std::vector<double>& fractions) {
  if (means.size() != chains.size() || fractions.size() != chains.size()) {
    return ConfigurationError("a mean and a fraction per chain are needed");
  }
  Model pruned = model;
  for (size_t ci = 0; ci < chains.size(); ++ci) {
    const PruneChain& chain = chains[ci];
    const double fraction = fractions[ci];
    if (!(fraction >= 0 && fraction < 1)) {
      return ConfigurationError("a pruned fraction is from 0 up to (not including) 1");
    }
    const Operator& producer = pruned.operators[chain.producer];
    Tensor& filter = pruned.tensors[producer.inputs[1]];
    const int32_t channels = filter.shape.front();
    if (channels != chain.channels || means[ci].size() != static_cast<size_t>(channels)) {
      return ConfigurationError("chain " + std::to_string(ci) + " no longer fits the model");
    }
    const int32_t count = PrunedCount(channels, fraction);
    if (count <= 0) continue;
    // Smallest norm first; the lower index first among equals.
    const std::vector<double> norms = ChannelNorms(filter);
    std::vector<int32_t> order(channels);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return norms[a] < norms[b]; });
    const std::set<int32_t> removed(order.begin(), order.begin() + count);

    // The consumer's bias takes each removed input's mean contribution:
    // the accumulator sums weight x (value - zero point), so the bias (in
    // the accumulator's scale) gains mean x the sum of the channel's taps.
    const Operator& consumer = pruned.operators[chain.consumer];
    Tensor& mix = pruned.tensors[consumer.inputs[1]];
    Tensor& bias = pruned.tensors[consumer.inputs[2]];
    const int32_t outputs = mix.shape.front();
    const int64_t taps = mix.elements() / outputs / channels;
    for (int32_t o = 0; o < outputs; ++o) {
      double delta = 0;
      for (int32_t k : removed) {
        double sum = 0;
        for (int64_t tap = 0; tap < taps; ++tap)
          sum += static_cast<int8_t>(mix.data[(o * taps + tap) * channels + k]);
        delta += means[ci][k] * sum;
      }
      const int64_t compensated = static_cast<int64_t>(Get<int32_t>(bias, o)) + std::llround(delta);
      Put<int32_t>(bias, o,
                   static_cast<int32_t>(std::clamp<int64_t>(compensated, INT32_MIN, INT32_MAX)));
    }
    RemoveAlong(mix, mix.shape.size() - 1, removed);

    // The producer's output channels, and everything carrying them.
    RemoveAlong(filter, 0, removed);
    RemoveAlong(pruned.tensors[producer.inputs[2]], 0, removed);
    RemoveAlong(pruned.tensors[producer.outputs[0]],
                pruned.tensors[producer.outputs[0]].shape.size() - 1, removed);
    for (size_t carrier : chain.carriers) {
      const Operator& op = pruned.operators[carrier];
      if (op.kind == OpKind::kDepthwiseConv2D) {
        Tensor& depthwise = pruned.tensors[op.inputs[1]];
        RemoveAlong(depthwise, depthwise.shape.size() - 1, removed);
        RemoveAlong(pruned.tensors[op.inputs[2]], 0, removed);
      }
      if (op.kind == OpKind::kReshape && op.inputs.size() > 1 && op.inputs[1] >= 0) {
        Tensor& shape = pruned.tensors[op.inputs[1]];
        if (shape.type == TensorType::kInt32 && shape.constant() && shape.data.size() >= 4) {
          // The channel count, unless the reshape infers it (-1).
          const size_t last = shape.data.size() / 4 - 1;
          const int32_t channels_out = Get<int32_t>(shape, last);
          if (channels_out > 0) Put<int32_t>(shape, last, channels_out - count);
        }
      }
      Tensor& out = pruned.tensors[op.outputs[0]];
      RemoveAlong(out, out.shape.size() - 1, removed);
    }
  }
  return pruned;
}

}  // namespace hil::model
