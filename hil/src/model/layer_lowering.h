// One operator of a model lowered to one layer of the NN runtime
// (firmware/nn/nn.h): the checks every layer needs, the helpers operators
// share, and one method per operator, found through a table by its kind.
// Private to hil/model: lowering.cc is its one user; the operators live
// in operator_lowering.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/lowering.h"
#include "hil/model/model.h"
#include "nn.h"

namespace hil::model {

// Quantisation parameters and clamps, shared by the layers and the model's
// input and output.
double Scale(const Tensor& t, size_t channel = 0);
int32_t ZeroPoint(const Tensor& t);
// A fused activation as an int8 clamp in the output's quantisation.
void ActivationRange(Activation activation, const Tensor& out, int32_t& low, int32_t& high);
// A fused activation of a float32 layer as a clamp.
void FloatRange(Activation activation, float& low, float& high);

class LayerLowering {
 public:
  // The layer of model.operators[index]; constants it points to are kept in
  // out. Errors: configuration, naming the layer.
  static Result<nn_layer> Lower(const Model& model, size_t index, LoweredModel& out);

 private:
  using OperatorMethod = Status (LayerLowering::*)();
  struct OperatorEntry {
    OpKind kind;
    OperatorMethod lower;
  };
  static const OperatorEntry kOperators[];

  LayerLowering(const Model& model, const Operator& op, std::string layer, LoweredModel& out);

  // What every layer shares: types, arena offsets, shapes, activations.
  Status Prepare();
  Status CheckShapes() const;

  // Helpers the operators share.
  Status Typed(int32_t index, const char* what, bool want_float) const;
  Status Fits(int64_t bound, int32_t shift, const char* what) const;
  Status SecondInput();
  const int32_t* Words(std::vector<int32_t> values);
  void Lookup(const std::function<int32_t(int32_t)>& f);
  void LookupReal(double (*f)(double));
  Status Weighted(uint8_t kind);
  Status Window(int32_t kernel_h, int32_t kernel_w);
  bool SameQuantisation(const Tensor& a, const Tensor& b) const;

  // One per operator kind.
  Status Conv2D();
  Status DepthwiseConv2D();
  Status FullyConnected();
  Status Pool();  // average and max
  Status Reshape();
  Status Softmax();
  Status Add();
  Status Mul();
  Status Pad();
  Status Concatenation();
  Status Logistic();
  Status Tanh();
  Status Relu();  // RELU and RELU6
  Status Quantize();
  Status Dequantize();

  const Model& model_;
  const Operator& op_;
  const std::string layer_;  // "layer 3 (CONV_2D)", for errors
  LoweredModel& out_;
  const Tensor& input_;
  const Tensor& output_;
  // The arithmetic follows the first input, except QUANTIZE (float in).
  const bool is_float_;
  nn_layer l_{};
};

}  // namespace hil::model
