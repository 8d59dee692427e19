#include "hil/error.h"

namespace hil {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfiguration:
      return "configuration";
    case ErrorKind::kInfrastructure:
      return "infrastructure";
    case ErrorKind::kTestFailure:
      return "test failure";
    case ErrorKind::kMeasurementInvalid:
      return "measurement invalid";
  }
  return "unknown";
}

int ExitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfiguration:
      return 2;
    case ErrorKind::kInfrastructure:
      return 3;
    case ErrorKind::kTestFailure:
    case ErrorKind::kMeasurementInvalid:
      return 1;
  }
  return 3;
}

std::string Error::ToString() const {
  std::string text = ErrorKindName(kind_);
  if (kind_ == ErrorKind::kConfiguration || kind_ == ErrorKind::kInfrastructure) {
    text += " error";
  }
  return text + ": " + message_;
}

Error Error::WithContext(const std::string& context) const {
  return Error(kind_, context + ": " + message_);
}

}  // namespace hil
