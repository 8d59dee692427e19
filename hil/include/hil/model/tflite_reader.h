// Reads a TensorFlow Lite flatbuffer into hil's model. Every offset is
// checked by flatbuffers' verifier before it is followed, and every index
// (buffer, tensor, operator code) against its table, so a malformed or
// hostile file is a configuration error naming what is wrong, never a
// crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "hil/error.h"
#include "hil/model/model.h"

namespace hil::model {

// `name` says where the bytes came from, in messages. Errors: configuration
// (not a TFLite file, malformed, more than one subgraph, an operator or
// tensor type hil does not support: named with its layer).
Result<Model> ReadTflite(std::span<const uint8_t> bytes, const std::string& name);

Result<Model> ReadTfliteFile(const std::string& path);

// The largest .tflite file hil reads (64 MiB): far beyond any MCU's flash.
inline constexpr size_t kMaxTfliteBytes = size_t{64} << 20;

}  // namespace hil::model
