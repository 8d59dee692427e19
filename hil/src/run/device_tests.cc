#include "hil/run/device_tests.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "hil/run/exports.h"

namespace hil::run {
namespace {

bool Glob(const char* pattern, const char* text) {
  if (*pattern == '\0') return *text == '\0';
  if (*pattern == '*') return Glob(pattern + 1, text) || (*text != '\0' && Glob(pattern, text + 1));
  if (*text == '\0') return false;
  return (*pattern == '?' || *pattern == *text) && Glob(pattern + 1, text + 1);
}

bool AnyMatches(const std::string& name, const std::string& patterns) {
  std::stringstream list(patterns);
  std::string pattern;
  while (std::getline(list, pattern, ':')) {
    if (!pattern.empty() && Glob(pattern.c_str(), name.c_str())) return true;
  }
  return false;
}

std::string Suite(const std::string& name) { return name.substr(0, name.find('.')); }

// JUnit wants plain decimals, never exponents.
std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", seconds);
  return text;
}

}  // namespace

bool MatchesFilter(const std::string& name, const std::string& filter) {
  if (filter.empty()) return true;
  const size_t minus = filter.find('-');
  const std::string positive = minus == std::string::npos ? filter : filter.substr(0, minus);
  const std::string negative = minus == std::string::npos ? "" : filter.substr(minus + 1);
  return (positive.empty() || AnyMatches(name, positive)) && !AnyMatches(name, negative);
}

Result<std::vector<DeviceTest>> ListDeviceTests(dut::DutLink& link) {
  Result<dut::Reply> reply = link.Command("hil-tests");
  if (!reply.ok()) return reply.error();
  if (reply->rejected()) {
    return TestFailure("the harness does not list on-device tests (" + reply->errors[0] +
                       "); is it an image with HIL_TEST cases?");
  }
  std::vector<DeviceTest> tests;
  for (const std::string& entry : reply->AllBracketed("m-hil-test-")) {
    // "INDEX SUITE.NAME FILE:LINE"
    std::stringstream fields(entry);
    DeviceTest test;
    if (!(fields >> test.index >> test.name >> test.location)) {
      return InfrastructureError("the DUT listed a test as '" + entry +
                                 "'; expected 'INDEX SUITE.NAME FILE:LINE'");
    }
    const size_t dot = test.name.find('.');
    test.disabled = dot != std::string::npos && test.name.compare(dot + 1, 9, "DISABLED_") == 0;
    tests.push_back(test);
  }
  // The linker's order is not the source's: sort as googletest lists them.
  std::stable_sort(tests.begin(), tests.end(), [](const DeviceTest& a, const DeviceTest& b) {
    const size_t ca = a.location.rfind(':'), cb = b.location.rfind(':');
    const std::string fa = a.location.substr(0, ca), fb = b.location.substr(0, cb);
    if (fa != fb) return fa < fb;
    return std::stoul(a.location.substr(ca + 1)) < std::stoul(b.location.substr(cb + 1));
  });
  return tests;
}

Result<std::vector<DeviceTestResult>> RunDeviceTests(dut::DutLink& link, const std::string& filter,
                                                     bool also_run_disabled) {
  Result<std::vector<DeviceTest>> tests = ListDeviceTests(link);
  if (!tests.ok()) return tests.error();
  std::vector<DeviceTestResult> results;
  for (const DeviceTest& test : *tests) {
    DeviceTestResult result;
    result.test = test;
    if (!MatchesFilter(test.name, filter) || (test.disabled && !also_run_disabled)) {
      results.push_back(result);
      continue;
    }
    Result<dut::Reply> reply = link.Command("hil-test " + std::to_string(test.index));
    if (!reply.ok()) return reply.error();
    if (reply->rejected()) return InfrastructureError("hil-test: " + reply->errors[0]);
    result.run = true;
    result.failures = reply->AllBracketed("m-hil-test-failure-");
    const std::optional<std::string> outcome = reply->Bracketed("m-hil-test-result-");
    if (!outcome) {
      return InfrastructureError("test " + test.name + " sent no m-hil-test-result line");
    }
    std::stringstream fields(*outcome);
    std::string verdict;
    fields >> verdict >> result.micros;
    result.passed = verdict == "pass" && result.failures.empty();
    results.push_back(result);
  }
  return results;
}

std::string DeviceTestReport(const std::vector<DeviceTestResult>& results) {
  std::ostringstream out;
  size_t run = 0, passed = 0, disabled = 0;
  std::vector<std::string> failed;
  for (const DeviceTestResult& r : results) {
    if (!r.run) {
      disabled += r.test.disabled;
      continue;
    }
    ++run;
    out << "[ RUN      ] " << r.test.name << "\n";
    for (const std::string& failure : r.failures) out << failure << "\n";
    if (r.passed) {
      ++passed;
      out << "[       OK ] " << r.test.name << " (" << r.micros << " us on the DUT)\n";
    } else {
      failed.push_back(r.test.name);
      out << "[  FAILED  ] " << r.test.name << " (" << r.micros << " us on the DUT)\n";
    }
  }
  out << "[==========] " << run << " on-device tests ran.\n";
  out << "[  PASSED  ] " << passed << " tests.\n";
  if (!failed.empty()) {
    out << "[  FAILED  ] " << failed.size() << " tests, listed below:\n";
    for (const std::string& name : failed) out << "[  FAILED  ] " << name << "\n";
  }
  if (disabled > 0) out << "  YOU HAVE " << disabled << " DISABLED TESTS\n";
  return out.str();
}

std::string DeviceTestJUnit(const std::vector<DeviceTestResult>& results,
                            const std::string& board) {
  std::vector<std::string> suites;
  for (const DeviceTestResult& r : results) {
    const std::string suite = Suite(r.test.name);
    if (std::find(suites.begin(), suites.end(), suite) == suites.end()) suites.push_back(suite);
  }
  std::ostringstream xml;
  size_t tests = 0, failures = 0;
  double seconds = 0;
  for (const DeviceTestResult& r : results) {
    tests += 1, failures += r.run && !r.passed;
    seconds += static_cast<double>(r.micros) / 1e6;
  }
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"on-device tests on "
      << XmlEscaped(board) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"0\" time=\"" << Seconds(seconds) << "\">\n";
  for (const std::string& suite : suites) {
    std::ostringstream cases;
    size_t count = 0, failed = 0;
    double suite_seconds = 0;
    for (const DeviceTestResult& r : results) {
      if (Suite(r.test.name) != suite) continue;
      ++count;
      suite_seconds += static_cast<double>(r.micros) / 1e6;
      cases << "    <testcase classname=\"" << XmlEscaped(suite) << "\" name=\""
            << XmlEscaped(r.test.name.substr(suite.size() + 1)) << "\" time=\""
            << Seconds(static_cast<double>(r.micros) / 1e6) << "\"";
      if (!r.run) {
        cases << ">\n      <skipped message=\""
              << (r.test.disabled ? "disabled" : "left out by the filter") << "\"/>\n"
              << "      <system-out>defined at " << XmlEscaped(r.test.location)
              << "</system-out>\n    </testcase>\n";
      } else if (r.passed) {
        cases << ">\n      <system-out>defined at " << XmlEscaped(r.test.location)
              << "</system-out>\n    </testcase>\n";
      } else {
        ++failed;
        std::string all;
        for (const std::string& failure : r.failures) all += failure + "\n";
        cases << ">\n      <failure message=\""
              << XmlEscaped(r.failures.empty() ? "failed" : r.failures[0]) << "\" type=\"failure\">"
              << XmlEscaped(all) << "</failure>\n    </testcase>\n";
      }
    }
    xml << "  <testsuite name=\"" << XmlEscaped(suite) << "\" tests=\"" << count << "\" failures=\""
        << failed << "\" errors=\"0\" time=\"" << Seconds(suite_seconds) << "\">\n"
        << cases.str() << "  </testsuite>\n";
  }
  xml << "</testsuites>\n";
  return xml.str();
}

}  // namespace hil::run
