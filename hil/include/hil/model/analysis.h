// What a model costs: per layer its shapes, multiply-accumulates and weight
// bytes; for the whole, the activation arena its tensors share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hil/model/model.h"

namespace hil::model {

struct LayerInfo {
  size_t index = 0;
  std::string op;
  std::string output_name;
  std::vector<int32_t> input_shape, output_shape;
  int64_t macs = 0;
  int64_t weight_bytes = 0;  // constant inputs (filters, biases)
};

// Where each activation tensor lives in one shared arena: tensors whose
// lifetimes (producer to last consumer) overlap never share bytes. Graph
// inputs and outputs live for the whole inference: an input is loaded once
// and run many times.
struct ArenaPlan {
  int64_t bytes = 0;
  std::vector<int64_t> offset;  // per tensor; -1 for constants and unused tensors
};

// Greedy: the largest tensors first, each at the lowest offset (16-byte
// aligned) free over its whole lifetime.
ArenaPlan PlanArena(const Model& model);

std::vector<LayerInfo> AnalyseLayers(const Model& model);

std::string ShapeText(const std::vector<int32_t>& shape);

}  // namespace hil::model
