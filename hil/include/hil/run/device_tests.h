// On-device test cases (firmware/harness/device_test.h): listed with
// "hil-tests", run one by one with "hil-test N", reported as googletest
// prints and as JUnit XML, with the DUT's failure messages and lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/dut/dut_link.h"
#include "hil/error.h"

namespace hil::run {

struct DeviceTest {
  uint32_t index = 0;     // the harness's number for "hil-test N"
  std::string name;       // SUITE.NAME
  std::string location;   // FILE:LINE of its definition
  bool disabled = false;  // NAME starts with DISABLED_
};

struct DeviceTestResult {
  DeviceTest test;
  bool run = false;  // false: skipped (disabled or filtered out)
  bool passed = false;
  uint64_t micros = 0;                // on the DUT's timer
  std::vector<std::string> failures;  // FILE:LINE: EXPRESSION: DETAIL
};

// Errors: infrastructure (the link), test failure (the DUT refused the
// command: a harness without on-device tests support).
Result<std::vector<DeviceTest>> ListDeviceTests(dut::DutLink& link);

// Runs every listed test whose name matches filter (googletest's
// '*'/'?' patterns, ':'-separated; empty: all), disabled ones only when
// asked. Errors: infrastructure.
Result<std::vector<DeviceTestResult>> RunDeviceTests(dut::DutLink& link, const std::string& filter,
                                                     bool also_run_disabled);

// googletest-like lines for a terminal or a log.
std::string DeviceTestReport(const std::vector<DeviceTestResult>& results);
// JUnit XML: one testsuite per suite; failures carry the DUT's messages.
std::string DeviceTestJUnit(const std::vector<DeviceTestResult>& results, const std::string& board);

// googletest's filter: '*' any text, '?' one character, ':' alternatives,
// and after '-', patterns to leave out.
bool MatchesFilter(const std::string& name, const std::string& filter);

}  // namespace hil::run
