// A DUT that already runs the harness (a real board, or one someone else
// booted), reached by a connection string: shared by hil dut and hil
// device-test.
#pragma once

#include <memory>
#include <string>

#include "drivers/dut/dut_link.h"
#include "hil/error.h"

namespace hil::cli {

// Opens the connection and brings the DUT to a command boundary (it booted
// before we came). Errors: configuration (a bad string), infrastructure.
Result<std::unique_ptr<dut::DutLink>> ConnectRunningDut(const std::string& connect);

}  // namespace hil::cli
