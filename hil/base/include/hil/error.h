// Errors and results shared by every layer of hil.
//
// Four kinds of failure are kept apart from the driver that notices them to
// the exit code and the JUnit report, because each asks for a different
// reaction: fix your input, fix or retry the bench, look at the DUT, or
// distrust the figure.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hil {

enum class ErrorKind {
  // The user's input is wrong: a plan, a flag, a file. Exit code 2.
  kConfiguration,
  // The bench failed: probe unplugged, flash failed, DUT silent. Retried,
  // never reported as a test failure. Exit code 3.
  kInfrastructure,
  // The DUT did the wrong thing: an expectation not met, wrong outputs.
  // Exit code 1.
  kTestFailure,
  // The figure cannot be trusted: lost samples, missing edges. Reported as
  // such, never as a number. Exit code 1, since the run did not show that
  // its expectations hold.
  kMeasurementInvalid,
};

// Short lower-case name, as used in reports: "configuration", ...
const char* ErrorKindName(ErrorKind kind);

// The process exit code for a command that ends with this kind of error.
int ExitCodeFor(ErrorKind kind);

inline constexpr int kExitOk = 0;

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // "infrastructure error: <message>"
  std::string ToString() const;

  // Returns a copy with "context: " put before the message, keeping the kind.
  Error WithContext(const std::string& context) const;

 private:
  ErrorKind kind_;
  std::string message_;
};

inline Error ConfigurationError(std::string message) {
  return Error(ErrorKind::kConfiguration, std::move(message));
}
inline Error InfrastructureError(std::string message) {
  return Error(ErrorKind::kInfrastructure, std::move(message));
}
inline Error TestFailure(std::string message) {
  return Error(ErrorKind::kTestFailure, std::move(message));
}
inline Error MeasurementInvalid(std::string message) {
  return Error(ErrorKind::kMeasurementInvalid, std::move(message));
}

// A value or the error that prevented it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Success or the error that prevented it.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

inline Status OkStatus() { return Status(); }

}  // namespace hil

// Returns the error of a Status or Result expression from the current
// function, which must return a Status or a Result.
#define HIL_RETURN_IF_ERROR(expression)                \
  do {                                                 \
    auto hil_status_ = (expression);                   \
    if (!hil_status_.ok()) return hil_status_.error(); \
  } while (false)
