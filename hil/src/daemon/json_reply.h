// hild's replies: JSON always, errors with the exit code hil would give.
// Internal to hil_daemon.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace hil::daemon {

// Text from plans and devices may hold any bytes: invalid UTF-8 is
// replaced, never a reason to fail the reply.
inline std::string Dump(const nlohmann::json& body, int indent = -1) {
  return body.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void Reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(Dump(body, 2) + "\n", "application/json");
}

// Errors carry one of design.md's classes as the exit code hil would give.
inline void ReplyError(httplib::Response& response, int status, const std::string& message,
                       int exit_code) {
  Reply(response, status, {{"error", message}, {"exit_code", exit_code}});
}

}  // namespace hil::daemon
