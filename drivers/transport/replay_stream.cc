#include "replay_stream.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace hil::transport {
namespace {

class ReplayStream final : public ByteStream {
 public:
  ReplayStream(std::string uri, std::vector<uint8_t> bytes)
      : ByteStream(std::move(uri)), bytes_(std::move(bytes)) {}
  bool replays() const override { return true; }

 private:
  Status DoWrite(std::span<const uint8_t>) override { return OkStatus(); }
  Status DoDrain() override { return OkStatus(); }

  Result<size_t> DoRead(std::span<uint8_t> buffer, std::chrono::milliseconds) override {
    if (position_ == bytes_.size()) {
      return InfrastructureError("end of recording " + uri() + " after " +
                                 std::to_string(bytes_.size()) + " bytes");
    }
    size_t n = std::min(buffer.size(), bytes_.size() - position_);
    std::memcpy(buffer.data(), bytes_.data() + position_, n);
    position_ += n;
    return n;
  }

  std::vector<uint8_t> bytes_;
  size_t position_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> OpenReplay(const ConnectionString& connection) {
  std::ifstream file(connection.path, std::ios::binary);
  if (!file) {
    return ConfigurationError("cannot read recording " + connection.path + ": " +
                              std::strerror(errno));
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  return std::unique_ptr<ByteStream>(new ReplayStream(connection.ToString(), std::move(bytes)));
}

}  // namespace hil::transport
