// One protocol command sent to a DUT and its reply, as `hil dut` and
// `hil capture --dut` show them.
#pragma once

#include <chrono>
#include <string>

#include "drivers/dut/dut_link.h"
#include "hil/error.h"

namespace hil::cli {

// Sends one command without its '%'; an 'infer' may take up to
// infer_timeout, any other command the link's default.
Result<dut::Reply> SendDutCommand(dut::DutLink& link, const std::string& command,
                                  std::chrono::milliseconds infer_timeout);

// Prints the exchange to stdout: the command as "-> name%" (an arrow, so it
// cannot be taken for a shell prompt), then the reply's lines as the DUT
// sent them. True if the DUT answered with an error line.
bool PrintDutExchange(const std::string& command, const dut::Reply& reply);

}  // namespace hil::cli
