// The TFLite writer the tests build their networks with: hil's own
// (hil/model/tflite_writer.h), under the names the tests use.
#pragma once

#include "hil/model/tflite_writer.h"

namespace hil::testing {

using namespace hil::model::tflite;  // NOLINT: the schema's codes, unqualified
using TfliteWriter = hil::model::tflite::Writer;

}  // namespace hil::testing
