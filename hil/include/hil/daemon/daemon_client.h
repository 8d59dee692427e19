// An HTTP client for hild's address, as hil submit and hil::testing name
// it: unix:PATH (the socket) or tcp:HOST:PORT. Header-only, so the
// installed hil::testing needs nothing else of hil's.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace hil::daemon {

// The client, or null when the address is neither form. On TCP the caller
// adds the bearer token.
inline std::unique_ptr<httplib::Client> DaemonClient(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) {
    auto client = std::make_unique<httplib::Client>(address.substr(5));
    client->set_address_family(AF_UNIX);
    return client;
  }
  if (address.rfind("tcp:", 0) == 0) {
    const std::string rest = address.substr(4);
    const size_t colon = rest.rfind(':');
    if (colon == std::string::npos) return nullptr;
    return std::make_unique<httplib::Client>(rest.substr(0, colon),
                                             std::atoi(rest.substr(colon + 1).c_str()));
  }
  return nullptr;
}

}  // namespace hil::daemon
