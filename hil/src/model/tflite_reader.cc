#include "hil/model/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "hil/model/analysis.h"

namespace hil::model {
namespace {

namespace fb = flatbuffers;

// Field slots of the TFLite schema's tables (slot = 4 + 2 * field id).
constexpr fb::voffset_t Slot(int id) { return static_cast<fb::voffset_t>(4 + 2 * id); }

// Each view reads one table of the schema; Verify checks the fields hil
// reads (and anything they point to) lie inside the buffer.
struct BufferView : fb::Table {
  const fb::Vector<uint8_t>* data() const {
    return GetPointer<const fb::Vector<uint8_t>*>(Slot(0));
  }
  uint64_t offset() const { return GetField<uint64_t>(Slot(1), 0); }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, Slot(0)) && v.VerifyVector(data()) &&
           VerifyField<uint64_t>(v, Slot(1), 8) && VerifyField<uint64_t>(v, Slot(2), 8) &&
           v.EndTable();
  }
};

struct QuantizationView : fb::Table {
  const fb::Vector<float>* scale() const { return GetPointer<const fb::Vector<float>*>(Slot(2)); }
  const fb::Vector<int64_t>* zero_point() const {
    return GetPointer<const fb::Vector<int64_t>*>(Slot(3));
  }
  int32_t quantized_dimension() const { return GetField<int32_t>(Slot(6), 0); }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, Slot(2)) && v.VerifyVector(scale()) &&
           VerifyOffset(v, Slot(3)) && v.VerifyVector(zero_point()) &&
           VerifyField<int32_t>(v, Slot(6), 4) && v.EndTable();
  }
};

struct TensorView : fb::Table {
  const fb::Vector<int32_t>* shape() const {
    return GetPointer<const fb::Vector<int32_t>*>(Slot(0));
  }
  int8_t type() const { return GetField<int8_t>(Slot(1), 0); }
  uint32_t buffer() const { return GetField<uint32_t>(Slot(2), 0); }
  const fb::String* name() const { return GetPointer<const fb::String*>(Slot(3)); }
  const QuantizationView* quantization() const {
    return GetPointer<const QuantizationView*>(Slot(4));
  }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, Slot(0)) && v.VerifyVector(shape()) &&
           VerifyField<int8_t>(v, Slot(1), 1) && VerifyField<uint32_t>(v, Slot(2), 4) &&
           VerifyOffset(v, Slot(3)) && v.VerifyString(name()) && VerifyOffset(v, Slot(4)) &&
           v.VerifyTable(quantization()) && v.EndTable();
  }
};

struct OperatorView : fb::Table {
  uint32_t opcode_index() const { return GetField<uint32_t>(Slot(0), 0); }
  const fb::Vector<int32_t>* inputs() const {
    return GetPointer<const fb::Vector<int32_t>*>(Slot(1));
  }
  const fb::Vector<int32_t>* outputs() const {
    return GetPointer<const fb::Vector<int32_t>*>(Slot(2));
  }
  // The options union's value: a table whose layout the opcode decides;
  // verified field by field when it is read.
  const fb::Table* options() const { return GetPointer<const fb::Table*>(Slot(4)); }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<uint32_t>(v, Slot(0), 4) &&
           VerifyOffset(v, Slot(1)) && v.VerifyVector(inputs()) && VerifyOffset(v, Slot(2)) &&
           v.VerifyVector(outputs()) && VerifyField<uint8_t>(v, Slot(3), 1) &&
           VerifyOffset(v, Slot(4)) && v.EndTable();
  }
};

struct SubGraphView : fb::Table {
  const fb::Vector<fb::Offset<TensorView>>* tensors() const {
    return GetPointer<const fb::Vector<fb::Offset<TensorView>>*>(Slot(0));
  }
  const fb::Vector<int32_t>* inputs() const {
    return GetPointer<const fb::Vector<int32_t>*>(Slot(1));
  }
  const fb::Vector<int32_t>* outputs() const {
    return GetPointer<const fb::Vector<int32_t>*>(Slot(2));
  }
  const fb::Vector<fb::Offset<OperatorView>>* operators() const {
    return GetPointer<const fb::Vector<fb::Offset<OperatorView>>*>(Slot(3));
  }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyOffset(v, Slot(0)) && v.VerifyVector(tensors()) &&
           v.VerifyVectorOfTables(tensors()) && VerifyOffset(v, Slot(1)) &&
           v.VerifyVector(inputs()) && VerifyOffset(v, Slot(2)) && v.VerifyVector(outputs()) &&
           VerifyOffset(v, Slot(3)) && v.VerifyVector(operators()) &&
           v.VerifyVectorOfTables(operators()) && v.EndTable();
  }
};

struct OperatorCodeView : fb::Table {
  int8_t deprecated_builtin_code() const { return GetField<int8_t>(Slot(0), 0); }
  int32_t builtin_code() const { return GetField<int32_t>(Slot(3), 0); }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<int8_t>(v, Slot(0), 1) && VerifyOffset(v, Slot(1)) &&
           v.VerifyString(GetPointer<const fb::String*>(Slot(1))) &&
           VerifyField<int32_t>(v, Slot(2), 4) && VerifyField<int32_t>(v, Slot(3), 4) &&
           v.EndTable();
  }
};

struct ModelView : fb::Table {
  uint32_t version() const { return GetField<uint32_t>(Slot(0), 0); }
  const fb::Vector<fb::Offset<OperatorCodeView>>* operator_codes() const {
    return GetPointer<const fb::Vector<fb::Offset<OperatorCodeView>>*>(Slot(1));
  }
  const fb::Vector<fb::Offset<SubGraphView>>* subgraphs() const {
    return GetPointer<const fb::Vector<fb::Offset<SubGraphView>>*>(Slot(2));
  }
  const fb::String* description() const { return GetPointer<const fb::String*>(Slot(3)); }
  const fb::Vector<fb::Offset<BufferView>>* buffers() const {
    return GetPointer<const fb::Vector<fb::Offset<BufferView>>*>(Slot(4));
  }
  bool Verify(fb::Verifier& v) const {
    return VerifyTableStart(v) && VerifyField<uint32_t>(v, Slot(0), 4) &&
           VerifyOffset(v, Slot(1)) && v.VerifyVector(operator_codes()) &&
           v.VerifyVectorOfTables(operator_codes()) && VerifyOffset(v, Slot(2)) &&
           v.VerifyVector(subgraphs()) && v.VerifyVectorOfTables(subgraphs()) &&
           VerifyOffset(v, Slot(3)) && v.VerifyString(description()) && VerifyOffset(v, Slot(4)) &&
           v.VerifyVector(buffers()) && v.VerifyVectorOfTables(buffers()) && v.EndTable();
  }
};

// TFLite's builtin operator codes, for the ops hil runs and the names of a
// few common ones it does not, for messages.
const std::map<int32_t, OpKind>& SupportedOps() {
  static const std::map<int32_t, OpKind> ops = {{0, OpKind::kAdd},
                                                {1, OpKind::kAveragePool2D},
                                                {2, OpKind::kConcatenation},
                                                {3, OpKind::kConv2D},
                                                {4, OpKind::kDepthwiseConv2D},
                                                {6, OpKind::kDequantize},
                                                {9, OpKind::kFullyConnected},
                                                {14, OpKind::kLogistic},
                                                {17, OpKind::kMaxPool2D},
                                                {18, OpKind::kMul},
                                                {19, OpKind::kRelu},
                                                {21, OpKind::kRelu6},
                                                {22, OpKind::kReshape},
                                                {25, OpKind::kSoftmax},
                                                {28, OpKind::kTanh},
                                                {34, OpKind::kPad},
                                                {114, OpKind::kQuantize}};
  return ops;
}

std::string UnsupportedName(int32_t code) {
  static const std::map<int32_t, const char*> names = {{5, "DEPTH_TO_SPACE"},
                                                       {8, "FLOOR"},
                                                       {11, "L2_NORMALIZATION"},
                                                       {12, "L2_POOL_2D"},
                                                       {16, "LSTM"},
                                                       {23, "RESIZE_BILINEAR"},
                                                       {24, "RNN"},
                                                       {26, "SPACE_TO_DEPTH"},
                                                       {27, "SVDF"},
                                                       {32, "CUSTOM"},
                                                       {39, "TRANSPOSE"},
                                                       {40, "MEAN"},
                                                       {41, "SUB"},
                                                       {42, "DIV"},
                                                       {45, "STRIDED_SLICE"},
                                                       {53, "CAST"},
                                                       {65, "SLICE"},
                                                       {74, "SUM"},
                                                       {83, "PACK"},
                                                       {88, "UNPACK"},
                                                       {97, "RESIZE_NEAREST_NEIGHBOR"},
                                                       {98, "LEAKY_RELU"},
                                                       {99, "SQUARED_DIFFERENCE"},
                                                       {101, "ABS"},
                                                       {126, "BATCH_MATMUL"},
                                                       {117, "HARD_SWISH"}};
  const auto found = names.find(code);
  return found != names.end() ? found->second : "builtin operator " + std::to_string(code);
}

Result<TensorType> TypeOf(int8_t code) {
  switch (code) {
    case 0:
      return TensorType::kFloat32;
    case 2:
      return TensorType::kInt32;
    case 3:
      return TensorType::kUInt8;
    case 4:
      return TensorType::kInt64;
    case 6:
      return TensorType::kBool;
    case 7:
      return TensorType::kInt16;
    case 9:
      return TensorType::kInt8;
    default:
      return TensorType::kOther;
  }
}

std::vector<int32_t> Ints(const fb::Vector<int32_t>* vector) {
  return vector == nullptr ? std::vector<int32_t>()
                           : std::vector<int32_t>(vector->begin(), vector->end());
}

// The verifier only checks a vector's length word is 4-aligned, so 8-byte
// elements may sit 4 bytes off; copying them byte-wise reads them safely.
std::vector<int64_t> Int64s(const fb::Vector<int64_t>* vector) {
  std::vector<int64_t> values(vector->size());
  if (!values.empty()) std::memcpy(values.data(), vector->Data(), values.size() * sizeof(int64_t));
  return values;
}

// Reads an operator's options table, verifying each field as it goes.
class Options {
 public:
  Options(const fb::Table* table, const uint8_t* base, size_t size)
      : table_(table), verifier_(base, size) {
    ok_ = table_ == nullptr || table_->VerifyTableStart(verifier_);
  }
  bool ok() const { return ok_; }
  template <typename T>
  T Get(int id, T fallback) {
    // A table whose start did not verify has no trustworthy vtable: read
    // nothing from it.
    if (table_ == nullptr || !ok_) return fallback;
    if (!table_->VerifyField<T>(verifier_, Slot(id), sizeof(T))) {
      ok_ = false;
      return fallback;
    }
    return table_->GetField<T>(Slot(id), fallback);
  }

 private:
  const fb::Table* table_;
  fb::Verifier verifier_;
  bool ok_ = true;
};

Result<Activation> ActivationOf(int8_t code, const std::string& layer) {
  switch (code) {
    case 0:
      return Activation::kNone;
    case 1:
      return Activation::kRelu;
    case 2:
      return Activation::kReluN1To1;
    case 3:
      return Activation::kRelu6;
    default:
      return ConfigurationError(layer + ": fused activation " + std::to_string(code) +
                                " (TANH or SIGN_BIT) is not supported");
  }
}

}  // namespace

int64_t Tensor::elements() const {
  // Saturates rather than overflows; the reader refuses such tensors anyway.
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0) return 0;
    if (d != 0 && n > kMaxTensorElements / d) return kMaxTensorElements;
    n *= d;
  }
  return n;
}

size_t ElementBytes(TensorType type) {
  switch (type) {
    case TensorType::kFloat32:
    case TensorType::kInt32:
      return 4;
    case TensorType::kInt8:
    case TensorType::kUInt8:
    case TensorType::kBool:
      return 1;
    case TensorType::kInt16:
      return 2;
    case TensorType::kInt64:
      return 8;
    case TensorType::kOther:
      return 0;
  }
  return 0;
}

const char* TensorTypeName(TensorType type) {
  switch (type) {
    case TensorType::kFloat32:
      return "float32";
    case TensorType::kInt32:
      return "int32";
    case TensorType::kInt8:
      return "int8";
    case TensorType::kUInt8:
      return "uint8";
    case TensorType::kInt16:
      return "int16";
    case TensorType::kInt64:
      return "int64";
    case TensorType::kBool:
      return "bool";
    case TensorType::kOther:
      return "other";
  }
  return "other";
}

const char* OpName(OpKind kind) {
  switch (kind) {
    case OpKind::kAdd:
      return "ADD";
    case OpKind::kAveragePool2D:
      return "AVERAGE_POOL_2D";
    case OpKind::kConcatenation:
      return "CONCATENATION";
    case OpKind::kConv2D:
      return "CONV_2D";
    case OpKind::kDepthwiseConv2D:
      return "DEPTHWISE_CONV_2D";
    case OpKind::kDequantize:
      return "DEQUANTIZE";
    case OpKind::kFullyConnected:
      return "FULLY_CONNECTED";
    case OpKind::kLogistic:
      return "LOGISTIC";
    case OpKind::kMaxPool2D:
      return "MAX_POOL_2D";
    case OpKind::kMul:
      return "MUL";
    case OpKind::kPad:
      return "PAD";
    case OpKind::kQuantize:
      return "QUANTIZE";
    case OpKind::kRelu:
      return "RELU";
    case OpKind::kRelu6:
      return "RELU6";
    case OpKind::kReshape:
      return "RESHAPE";
    case OpKind::kSoftmax:
      return "SOFTMAX";
    case OpKind::kTanh:
      return "TANH";
  }
  return "?";
}

Result<Model> ReadTflite(std::span<const uint8_t> bytes, const std::string& name) {
  const auto malformed = [&](const std::string& what) {
    return ConfigurationError(name + ": not a valid TensorFlow Lite model: " + what);
  };
  if (bytes.size() < 8 || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return malformed("too short or too large for a flatbuffer");
  }
  if (!fb::BufferHasIdentifier(bytes.data(), "TFL3")) {
    return malformed("no TFL3 identifier at byte 4");
  }
  // flatbuffers reads scalars in place and its verifier checks alignment
  // relative to the buffer's start, so the start itself must be 8-aligned.
  std::vector<uint64_t> aligned;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
    aligned.resize((bytes.size() + 7) / 8);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    bytes = {reinterpret_cast<const uint8_t*>(aligned.data()), bytes.size()};
  }
  fb::Verifier verifier(bytes.data(), bytes.size());
  if (!verifier.VerifyBuffer<ModelView>("TFL3")) {
    return malformed(
        "the flatbuffer does not verify (an offset or length points outside the file)");
  }
  const ModelView* root = fb::GetRoot<ModelView>(bytes.data());
  Model model;
  model.version = root->version();
  if (root->description() != nullptr) model.description = root->description()->str();
  if (root->subgraphs() == nullptr || root->subgraphs()->size() != 1) {
    return malformed("hil runs models with exactly one subgraph");
  }
  const SubGraphView* graph = root->subgraphs()->Get(0);
  const auto* buffers = root->buffers();
  const size_t buffer_count = buffers == nullptr ? 0 : buffers->size();
  const auto* tensors = graph->tensors();
  if (tensors == nullptr) return malformed("the subgraph has no tensors");

  for (fb::uoffset_t i = 0; i < tensors->size(); ++i) {
    const TensorView* t = tensors->Get(i);
    Tensor tensor;
    tensor.name = t->name() != nullptr ? t->name()->str() : "tensor " + std::to_string(i);
    tensor.shape = Ints(t->shape());
    int64_t elements = 1;
    for (int32_t d : tensor.shape) {
      if (d < 0)
        return malformed("tensor '" + tensor.name + "' has a dynamic or negative dimension");
      elements = d == 0 || elements <= kMaxTensorElements / d ? elements * d : kMaxTensorElements;
    }
    if (elements >= kMaxTensorElements) {
      return malformed("tensor '" + tensor.name + "' has shape " + ShapeText(tensor.shape) +
                       ", over 2^31 elements: no microcontroller holds it");
    }
    Result<TensorType> type = TypeOf(t->type());
    tensor.type = *type;
    if (const QuantizationView* q = t->quantization()) {
      if (q->scale() != nullptr)
        tensor.quantization.scale.assign(q->scale()->begin(), q->scale()->end());
      if (q->zero_point() != nullptr) tensor.quantization.zero_point = Int64s(q->zero_point());
      tensor.quantization.axis = q->quantized_dimension();
      if (tensor.quantization.scale.size() != tensor.quantization.zero_point.size() &&
          !tensor.quantization.zero_point.empty()) {
        return malformed("tensor '" + tensor.name + "' has " +
                         std::to_string(tensor.quantization.scale.size()) + " scales but " +
                         std::to_string(tensor.quantization.zero_point.size()) + " zero points");
      }
    }
    const uint32_t b = t->buffer();
    if (b >= buffer_count && b != 0) {
      return malformed("tensor '" + tensor.name + "' names buffer " + std::to_string(b) + " of " +
                       std::to_string(buffer_count));
    }
    if (b != 0 && b < buffer_count) {
      const BufferView* buffer = buffers->Get(b);
      if (buffer->data() != nullptr && buffer->data()->size() > 0) {
        tensor.data.assign(buffer->data()->begin(), buffer->data()->end());
        if (tensor.type == TensorType::kOther) {
          return malformed("tensor '" + tensor.name + "' has a type hil does not know");
        }
        if (static_cast<int64_t>(tensor.data.size()) != tensor.bytes()) {
          return malformed("tensor '" + tensor.name + "' holds " +
                           std::to_string(tensor.data.size()) + " bytes for " +
                           std::to_string(tensor.bytes()) + " its shape needs");
        }
      } else if (buffer->offset() > 1) {
        return malformed("tensor '" + tensor.name + "' keeps its data outside the flatbuffer");
      }
    }
    model.tensors.push_back(std::move(tensor));
  }
  const auto valid_tensor = [&](int32_t index) {
    return index >= -1 && index < static_cast<int32_t>(model.tensors.size());
  };
  model.inputs = Ints(graph->inputs());
  model.outputs = Ints(graph->outputs());
  for (int32_t index : model.inputs) {
    if (index < 0 || !valid_tensor(index)) return malformed("a graph input names no tensor");
  }
  for (int32_t index : model.outputs) {
    if (index < 0 || !valid_tensor(index)) return malformed("a graph output names no tensor");
  }

  const auto* codes = root->operator_codes();
  const auto* operators = graph->operators();
  if (operators == nullptr || operators->size() == 0)
    return malformed("the subgraph has no operators");
  for (fb::uoffset_t i = 0; i < operators->size(); ++i) {
    const OperatorView* o = operators->Get(i);
    Operator op;
    op.inputs = Ints(o->inputs());
    op.outputs = Ints(o->outputs());
    for (int32_t index : op.inputs) {
      if (!valid_tensor(index))
        return malformed("layer " + std::to_string(i) + " names a tensor that does not exist");
    }
    for (int32_t index : op.outputs) {
      if (index < 0 || !valid_tensor(index)) {
        return malformed("layer " + std::to_string(i) + " names an output that does not exist");
      }
    }
    const std::string layer =
        "layer " + std::to_string(i) +
        (op.outputs.empty() ? "" : " ('" + model.tensors[op.outputs[0]].name + "')");
    if (codes == nullptr || o->opcode_index() >= codes->size()) {
      return malformed(layer + " names operator code " + std::to_string(o->opcode_index()) +
                       " of " + std::to_string(codes == nullptr ? 0 : codes->size()));
    }
    const OperatorCodeView* code = codes->Get(o->opcode_index());
    // Newer files keep the code in builtin_code and a placeholder in the
    // deprecated byte; older ones only the byte. The larger is the code.
    const int32_t builtin =
        std::max<int32_t>(code->deprecated_builtin_code(), code->builtin_code());
    const auto supported = SupportedOps().find(builtin);
    if (supported == SupportedOps().end()) {
      return ConfigurationError(name + ": " + layer + ": operator " + UnsupportedName(builtin) +
                                " is not supported by hil's runtime");
    }
    op.kind = supported->second;
    Options options(o->options(), bytes.data(), bytes.size());
    int8_t activation = 0;
    switch (op.kind) {
      case OpKind::kConv2D:
        op.padding = options.Get<int8_t>(0, 0) == 1 ? Padding::kValid : Padding::kSame;
        op.stride_w = options.Get<int32_t>(1, 1);
        op.stride_h = options.Get<int32_t>(2, 1);
        activation = options.Get<int8_t>(3, 0);
        op.dilation_w = options.Get<int32_t>(4, 1);
        op.dilation_h = options.Get<int32_t>(5, 1);
        break;
      case OpKind::kDepthwiseConv2D:
        op.padding = options.Get<int8_t>(0, 0) == 1 ? Padding::kValid : Padding::kSame;
        op.stride_w = options.Get<int32_t>(1, 1);
        op.stride_h = options.Get<int32_t>(2, 1);
        op.depth_multiplier = options.Get<int32_t>(3, 1);
        activation = options.Get<int8_t>(4, 0);
        op.dilation_w = options.Get<int32_t>(5, 1);
        op.dilation_h = options.Get<int32_t>(6, 1);
        break;
      case OpKind::kAveragePool2D:
      case OpKind::kMaxPool2D:
        op.padding = options.Get<int8_t>(0, 0) == 1 ? Padding::kValid : Padding::kSame;
        op.stride_w = options.Get<int32_t>(1, 1);
        op.stride_h = options.Get<int32_t>(2, 1);
        op.filter_w = options.Get<int32_t>(3, 1);
        op.filter_h = options.Get<int32_t>(4, 1);
        activation = options.Get<int8_t>(5, 0);
        break;
      case OpKind::kFullyConnected:
        activation = options.Get<int8_t>(0, 0);
        if (options.Get<int8_t>(1, 0) != 0) {
          return ConfigurationError(name + ": " + layer +
                                    ": FULLY_CONNECTED with shuffled weights is not supported");
        }
        break;
      case OpKind::kSoftmax:
        op.beta = options.Get<float>(0, 1.0f);
        break;
      case OpKind::kConcatenation:
        op.axis = options.Get<int32_t>(0, 0);
        activation = options.Get<int8_t>(1, 0);
        break;
      case OpKind::kAdd:
      case OpKind::kMul:
        activation = options.Get<int8_t>(0, 0);
        break;
      default:
        break;
    }
    if (!options.ok()) return malformed(layer + ": its options table does not verify");
    Result<Activation> fused = ActivationOf(activation, name + ": " + layer);
    if (!fused.ok()) return fused.error();
    op.activation = *fused;
    if (op.stride_w < 1 || op.stride_h < 1 || op.dilation_w < 1 || op.dilation_h < 1 ||
        op.filter_w < 1 || op.filter_h < 1 || op.depth_multiplier < 1) {
      return malformed(layer + ": a stride, dilation, filter size or depth multiplier below 1");
    }
    model.operators.push_back(std::move(op));
  }
  return model;
}

Result<Model> ReadTfliteFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError("cannot read the model " + path);
  std::vector<uint8_t> bytes;
  char buffer[65536];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    bytes.insert(bytes.end(), buffer, buffer + file.gcount());
    if (bytes.size() > kMaxTfliteBytes) {
      return ConfigurationError("the model " + path + " is over " +
                                std::to_string(kMaxTfliteBytes >> 20) + " MiB");
    }
  }
  return ReadTflite(bytes, path);
}

}  // namespace hil::model
