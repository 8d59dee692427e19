// A .tflite model as sources for the DUT's TensorFlow Lite Micro workload
// (firmware/tflm/): the file's bytes and the layer table
// (tflm_model_data.cc), the sizes, the resolver's operators and the arena
// (tflm_model.h), and the TFLM kernel groups to link (tflm_kernels.txt).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/model.h"
#include "hil/model/to_float.h"

namespace hil::model {

// Raised whenever the emitted TFLM sources change: caches key on it.
inline constexpr int kEmitTflmFormatVersion = 1;

// The kernel groups (firmware/tflm/tflm_build.cmake: kernels/<group>.cc)
// a model's operators need, sorted, each once.
std::vector<std::string> TflmKernelGroups(const Model& model);

// Arena bytes for TFLM: the activations as hil plans them, plus what TFLM
// keeps beside them (tensor and node structs, per-channel quantisation
// data, kernel scratch buffers), with room to spare. The firmware reports
// what TFLM really used.
uint32_t TflmArenaBytes(const Model& model);

// Writes DIR/tflm_model.h, DIR/tflm_model_data.cc and DIR/tflm_kernels.txt.
// model is what bytes hold, as ReadTflite read it. Errors: configuration (a
// graph with other than one input and one output), infrastructure (cannot
// write).
Status EmitTflm(const Model& model, std::span<const uint8_t> bytes, const std::string& id,
                const std::string& dir);

// Reads a .tflite file and emits it for TFLM; as float32, its float twin
// (ToFloat32) written as a .tflite by hil. Errors: as ReadTfliteFile (with
// the file's name), WriteTflite and EmitTflm.
Status EmitTflmFile(const std::string& path, const std::string& id, NumberFormat format,
                    const std::string& dir);

}  // namespace hil::model
