#include "hil/model/analysis.h"

#include <algorithm>

namespace hil::model {
namespace {

int32_t Dim(const std::vector<int32_t>& shape, size_t from_end) {
  return shape.size() > from_end ? shape[shape.size() - 1 - from_end] : 1;
}

int64_t Elements(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

}  // namespace

std::string ShapeText(const std::vector<int32_t>& shape) {
  std::string text;
  for (int32_t d : shape) text += (text.empty() ? "" : "x") + std::to_string(d);
  return text.empty() ? "scalar" : text;
}

std::vector<LayerInfo> AnalyseLayers(const Model& model) {
  std::vector<LayerInfo> layers;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const Operator& op = model.operators[i];
    LayerInfo info;
    info.index = i;
    info.op = OpName(op.kind);
    const Tensor* out = op.outputs.empty() ? nullptr : &model.tensors[op.outputs[0]];
    const Tensor* in =
        op.inputs.empty() || op.inputs[0] < 0 ? nullptr : &model.tensors[op.inputs[0]];
    if (out != nullptr) info.output_name = out->name, info.output_shape = out->shape;
    if (in != nullptr) info.input_shape = in->shape;
    for (int32_t input : op.inputs) {
      if (input >= 0 && model.tensors[input].constant())
        info.weight_bytes += model.tensors[input].bytes();
    }
    const Tensor* filter =
        op.inputs.size() > 1 && op.inputs[1] >= 0 ? &model.tensors[op.inputs[1]] : nullptr;
    if (out != nullptr && filter != nullptr) {
      switch (op.kind) {
        case OpKind::kConv2D:  // filter [out_c, k_h, k_w, in_c]
          info.macs = Elements(out->shape) * Dim(filter->shape, 1) * Dim(filter->shape, 2) *
                      Dim(filter->shape, 0);
          break;
        case OpKind::kDepthwiseConv2D:  // filter [1, k_h, k_w, out_c]
          info.macs = Elements(out->shape) * Dim(filter->shape, 1) * Dim(filter->shape, 2);
          break;
        case OpKind::kFullyConnected:  // filter [out, in]
          info.macs = Elements(out->shape) * Dim(filter->shape, 0);
          break;
        default:
          break;
      }
    }
    layers.push_back(std::move(info));
  }
  return layers;
}

ArenaPlan PlanArena(const Model& model) {
  const size_t n = model.tensors.size();
  ArenaPlan plan;
  plan.offset.assign(n, -1);
  std::vector<int> first(n, -1), last(n, -1);
  const int end = static_cast<int>(model.operators.size());
  for (int32_t input : model.inputs) first[input] = 0, last[input] = 0;
  for (int i = 0; i < end; ++i) {
    const Operator& op = model.operators[i];
    for (int32_t t : op.inputs) {
      if (t < 0 || model.tensors[t].constant()) continue;
      if (first[t] < 0) first[t] = i;
      last[t] = std::max(last[t], i);
    }
    for (int32_t t : op.outputs) {
      if (first[t] < 0) first[t] = i;
      last[t] = std::max(last[t], i);
    }
  }
  for (int32_t output : model.outputs) last[output] = end;  // read after the run
  // The input is loaded once and must survive every inference of a run
  // (warm-ups and measured ones alike), so nothing may overwrite it.
  for (int32_t input : model.inputs) last[input] = end;
  std::vector<size_t> order;
  for (size_t t = 0; t < n; ++t) {
    if (first[t] >= 0 && !model.tensors[t].constant()) order.push_back(t);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return model.tensors[a].bytes() > model.tensors[b].bytes();
  });
  std::vector<size_t> placed;
  for (size_t t : order) {
    const int64_t size = (model.tensors[t].bytes() + 15) / 16 * 16;
    // The placed tensors alive at the same time, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t other : placed) {
      if (first[other] <= last[t] && first[t] <= last[other]) {
        busy.emplace_back(plan.offset[other],
                          plan.offset[other] + (model.tensors[other].bytes() + 15) / 16 * 16);
      }
    }
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto& [from, to] : busy) {
      if (at + size <= from) break;
      at = std::max(at, to);
    }
    plan.offset[t] = at;
    plan.bytes = std::max(plan.bytes, at + size);
    placed.push_back(t);
  }
  return plan;
}

}  // namespace hil::model
