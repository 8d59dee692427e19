#include "drivers/transport/connection_string.h"

#include <charconv>

namespace hil::transport {
namespace {

constexpr std::string_view kForms =
    "expected unix:PATH, tcp:HOST:PORT, serial:DEVICE[@BAUD] or replay:FILE";

Result<uint32_t> ParseNumber(std::string_view text, uint32_t max, std::string_view what,
                             std::string_view whole) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > max) {
    return ConfigurationError("connection string '" + std::string(whole) +
                              "': " + std::string(what) + " '" + std::string(text) +
                              "' is not a number from 1 to " + std::to_string(max));
  }
  return value;
}

}  // namespace

std::string ConnectionString::ToString() const {
  switch (scheme) {
    case Scheme::kUnix:
      return "unix:" + path;
    case Scheme::kTcp:
      return "tcp:" + host + ":" + std::to_string(port);
    case Scheme::kSerial:
      return "serial:" + path + (baud != 0 ? "@" + std::to_string(baud) : "");
    case Scheme::kReplay:
      return "replay:" + path;
  }
  return {};
}

Result<ConnectionString> ParseConnectionString(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return ConfigurationError("connection string '" + std::string(text) + "' has no scheme; " +
                              std::string(kForms));
  }
  std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  auto empty_part = [&](std::string_view what) {
    return ConfigurationError("connection string '" + std::string(text) + "' has no " +
                              std::string(what) + "; " + std::string(kForms));
  };

  ConnectionString result{};
  if (scheme == "unix" || scheme == "replay") {
    if (rest.empty()) return empty_part(scheme == "unix" ? "socket path" : "file");
    result.scheme = scheme == "unix" ? Scheme::kUnix : Scheme::kReplay;
    result.path = std::string(rest);
    return result;
  }
  if (scheme == "tcp") {
    size_t port_colon = rest.rfind(':');
    if (port_colon == std::string_view::npos || port_colon == 0) return empty_part("host and port");
    auto port = ParseNumber(rest.substr(port_colon + 1), 65535, "port", text);
    if (!port.ok()) return port.error();
    result.scheme = Scheme::kTcp;
    result.host = std::string(rest.substr(0, port_colon));
    // Accept [::1]:PORT for IPv6 literals.
    if (result.host.size() > 2 && result.host.front() == '[' && result.host.back() == ']') {
      result.host = result.host.substr(1, result.host.size() - 2);
    }
    result.port = static_cast<uint16_t>(*port);
    return result;
  }
  if (scheme == "serial") {
    size_t at = rest.find('@');
    std::string_view device = rest.substr(0, at);
    if (device.empty()) return empty_part("device");
    result.scheme = Scheme::kSerial;
    result.path = std::string(device);
    if (at != std::string_view::npos) {
      auto baud = ParseNumber(rest.substr(at + 1), 20'000'000, "baud rate", text);
      if (!baud.ok()) return baud.error();
      result.baud = *baud;
    }
    return result;
  }
  return ConfigurationError("connection string '" + std::string(text) + "': unknown scheme '" +
                            std::string(scheme) + "'; " + std::string(kForms));
}

}  // namespace hil::transport
