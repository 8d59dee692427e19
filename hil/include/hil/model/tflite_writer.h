// Writes TensorFlow Lite files: tensors, operators with their options, one
// subgraph, laid out by flatbuffers' own builder against the published
// TFLite schema's field ids. hil writes a model's float32 twin this way for
// TFLM, and the tests build networks with ops the shared MLPerf Tiny models
// do not use (ADD, MUL, PAD, CONCATENATION, ...).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/model.h"

namespace hil::model {

// A model as a .tflite file TFLM and hil's reader take. Errors:
// configuration (a tensor type TFLite files cannot name here).
Result<std::vector<uint8_t>> WriteTflite(const Model& model);

namespace tflite {

// TFLite schema codes used here.
enum TensorTypeCode : int8_t { kFloat32 = 0, kInt32 = 2, kInt8 = 9 };
enum BuiltinCode : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kTanh = 28,
  kPad = 34,
  kQuantize = 114,
};
enum OptionsType : uint8_t {
  kNoOptions = 0,
  kConv2DOptions = 1,
  kDepthwiseConv2DOptions = 2,
  kPool2DOptions = 5,
  kFullyConnectedOptions = 8,
  kSoftmaxOptions = 9,
  kConcatenationOptions = 10,
  kAddOptions = 11,
  kMulOptions = 21,
};
enum PaddingCode : int8_t { kSame = 0, kValid = 1 };
enum ActivationCode : int8_t { kNone = 0, kReluAct = 1, kRelu6Act = 3 };

class Writer {
 public:
  struct TensorSpec {
    std::string name;
    std::vector<int32_t> shape;
    int8_t type = kInt8;
    std::vector<float> scales;  // empty: not quantised
    std::vector<int64_t> zero_points;
    int32_t axis = 0;
    std::vector<uint8_t> data;  // constant contents; empty for computed tensors
  };

  // An option field: id in its table and a value of one scalar type.
  struct Field {
    int id;
    enum { kByte, kInt, kFloat } kind;
    int32_t i;
    float f;
  };
  static Field Byte(int id, int8_t v) { return {id, Field::kByte, v, 0}; }
  static Field Int(int id, int32_t v) { return {id, Field::kInt, v, 0}; }
  static Field Float(int id, float v) { return {id, Field::kFloat, 0, v}; }

  int32_t Tensor(TensorSpec spec) {
    tensors_.push_back(std::move(spec));
    return static_cast<int32_t>(tensors_.size()) - 1;
  }
  int32_t Activation(const std::string& name, std::vector<int32_t> shape, float scale,
                     int64_t zero_point, int8_t type = kInt8) {
    TensorSpec spec{name, std::move(shape), type, {}, {}, 0, {}};
    if (type == kInt8) spec.scales = {scale}, spec.zero_points = {zero_point};
    return Tensor(std::move(spec));
  }
  void Op(int32_t code, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
          uint8_t options_type = kNoOptions, std::vector<Field> options = {}) {
    ops_.push_back({code, std::move(inputs), std::move(outputs), options_type, std::move(options)});
  }

  void Describe(std::string text) { description_ = std::move(text); }

  std::vector<uint8_t> Finish(std::vector<int32_t> inputs, std::vector<int32_t> outputs) {
    namespace fb = flatbuffers;
    fb::FlatBufferBuilder b;
    b.ForceDefaults(true);
    const auto slot = [](int id) { return static_cast<fb::voffset_t>(4 + 2 * id); };
    // Buffer 0 is the empty buffer TFLite reserves; then one per constant.
    std::vector<fb::Offset<void>> buffers;
    std::vector<uint32_t> buffer_of(tensors_.size(), 0);
    buffers.push_back(fb::Offset<void>(b.EndTable(b.StartTable())));
    for (size_t t = 0; t < tensors_.size(); ++t) {
      if (tensors_[t].data.empty()) continue;
      b.ForceVectorAlignment(tensors_[t].data.size(), 1, 16);
      const auto data = b.CreateVector(tensors_[t].data);
      const auto start = b.StartTable();
      b.AddOffset(slot(0), data);
      buffer_of[t] = static_cast<uint32_t>(buffers.size());
      buffers.push_back(fb::Offset<void>(b.EndTable(start)));
    }
    std::vector<fb::Offset<void>> tensors;
    for (size_t t = 0; t < tensors_.size(); ++t) {
      const TensorSpec& spec = tensors_[t];
      fb::Offset<void> quantization;
      if (!spec.scales.empty()) {
        const auto scales = b.CreateVector(spec.scales);
        const auto zeros = b.CreateVector(spec.zero_points);
        const auto start = b.StartTable();
        b.AddOffset(slot(2), scales);
        b.AddOffset(slot(3), zeros);
        b.AddElement<int32_t>(slot(6), spec.axis, 0);
        quantization = fb::Offset<void>(b.EndTable(start));
      }
      const auto shape = b.CreateVector(spec.shape);
      const auto name = b.CreateString(spec.name);
      const auto start = b.StartTable();
      b.AddOffset(slot(0), shape);
      b.AddElement<int8_t>(slot(1), spec.type, 0);
      b.AddElement<uint32_t>(slot(2), buffer_of[t], 0);
      b.AddOffset(slot(3), name);
      if (!spec.scales.empty()) b.AddOffset(slot(4), quantization);
      tensors.push_back(fb::Offset<void>(b.EndTable(start)));
    }
    std::vector<int32_t> codes;
    std::vector<fb::Offset<void>> operators;
    for (const OpSpec& op : ops_) {
      size_t code_index = 0;
      while (code_index < codes.size() && codes[code_index] != op.code) ++code_index;
      if (code_index == codes.size()) codes.push_back(op.code);
      fb::Offset<void> options;
      if (op.options_type != kNoOptions) {
        const auto start = b.StartTable();
        for (const Field& field : op.options) {
          if (field.kind == Field::kByte)
            b.AddElement<int8_t>(slot(field.id), static_cast<int8_t>(field.i), 0);
          if (field.kind == Field::kInt) b.AddElement<int32_t>(slot(field.id), field.i, 0);
          if (field.kind == Field::kFloat) b.AddElement<float>(slot(field.id), field.f, 0);
        }
        options = fb::Offset<void>(b.EndTable(start));
      }
      const auto ins = b.CreateVector(op.inputs);
      const auto outs = b.CreateVector(op.outputs);
      const auto start = b.StartTable();
      b.AddElement<uint32_t>(slot(0), static_cast<uint32_t>(code_index), 0);
      b.AddOffset(slot(1), ins);
      b.AddOffset(slot(2), outs);
      b.AddElement<uint8_t>(slot(3), op.options_type, 0);
      if (op.options_type != kNoOptions) b.AddOffset(slot(4), options);
      operators.push_back(fb::Offset<void>(b.EndTable(start)));
    }
    std::vector<fb::Offset<void>> code_tables;
    for (int32_t code : codes) {
      const auto start = b.StartTable();
      b.AddElement<int8_t>(slot(0), static_cast<int8_t>(code < 127 ? code : 127), 0);
      b.AddElement<int32_t>(slot(2), 1, 1);
      b.AddElement<int32_t>(slot(3), code, 0);
      code_tables.push_back(fb::Offset<void>(b.EndTable(start)));
    }
    const auto tensor_vector = b.CreateVector(tensors);
    const auto in_vector = b.CreateVector(inputs);
    const auto out_vector = b.CreateVector(outputs);
    const auto op_vector = b.CreateVector(operators);
    const auto graph_start = b.StartTable();
    b.AddOffset(slot(0), tensor_vector);
    b.AddOffset(slot(1), in_vector);
    b.AddOffset(slot(2), out_vector);
    b.AddOffset(slot(3), op_vector);
    const fb::Offset<void> graph(b.EndTable(graph_start));
    const auto codes_vector = b.CreateVector(code_tables);
    const auto graphs_vector = b.CreateVector(std::vector<fb::Offset<void>>{graph});
    const auto buffers_vector = b.CreateVector(buffers);
    const auto description = b.CreateString(description_);
    const auto start = b.StartTable();
    b.AddElement<uint32_t>(slot(0), 3, 0);
    b.AddOffset(slot(1), codes_vector);
    b.AddOffset(slot(2), graphs_vector);
    b.AddOffset(slot(3), description);
    b.AddOffset(slot(4), buffers_vector);
    b.Finish(fb::Offset<void>(b.EndTable(start)), "TFL3");
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }

 private:
  struct OpSpec {
    int32_t code;
    std::vector<int32_t> inputs, outputs;
    uint8_t options_type;
    std::vector<Field> options;
  };
  std::vector<TensorSpec> tensors_;
  std::vector<OpSpec> ops_;
  std::string description_ = "written by hil";
};

}  // namespace tflite

}  // namespace hil::model
