// A DUT that already runs the harness (a real board, or one someone else
// booted), reached by a connection string: for hil dut, hil device-test and
// the bench health check.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "drivers/dut/dut_link.h"
#include "hil/error.h"

namespace hil::dut {

// Opens the connection and brings the DUT to a command boundary (it booted
// before we came). Errors: configuration (a bad string), infrastructure.
Result<std::unique_ptr<DutLink>> ConnectRunningDut(
    const std::string& connect,
    std::chrono::milliseconds resync_timeout = std::chrono::milliseconds(5000));

}  // namespace hil::dut
