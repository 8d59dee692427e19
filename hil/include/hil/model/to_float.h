// The float32 twin of an int8 network, for the "number_format: float32"
// configuration: the research compared float and int8 builds of one
// network. Weights and biases are dequantised (value = scale x (q - zero
// point), per channel where the model quantised per channel), every
// computed tensor becomes float32, requantisation steps become copies, and
// the int8 graph input is kept with a DEQUANTIZE in front, so the same
// input files and datasets feed both builds. The output is float32.
#pragma once

#include "hil/enum_text.h"
#include "hil/model/model.h"

namespace hil::model {

// A model that is float32 already comes back unchanged.
Model ToFloat32(const Model& model);

enum class NumberFormat { kInt8, kFloat32 };

}  // namespace hil::model

template <>
struct hil::EnumText<hil::model::NumberFormat> {
  using Format = hil::model::NumberFormat;
  static constexpr std::pair<Format, std::string_view> kWords[] = {{Format::kInt8, "int8"},
                                                                   {Format::kFloat32, "float32"}};
};
