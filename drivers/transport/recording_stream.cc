// The raw-recording tee, and the default drain every live stream shares.
#include <cerrno>
#include <cstring>
#include <fstream>

#include "drivers/transport/byte_stream.h"

namespace hil::transport {

Status ByteStream::DoDrain() {
  // What is queued now, not what a chattering device keeps sending: the
  // drain stops after this much, and the reader that follows copes.
  constexpr size_t kMostDrained = 1 << 20;
  uint8_t scratch[512];
  for (size_t drained = 0; drained < kMostDrained;) {
    Result<size_t> n = DoRead(scratch, std::chrono::milliseconds(0));
    if (!n.ok()) return n.error();
    if (*n == 0) return OkStatus();
    drained += *n;
  }
  return OkStatus();
}

namespace {

class RecordingStream final : public ByteStream {
 public:
  RecordingStream(std::unique_ptr<ByteStream> inner, std::ofstream file, std::string path)
      : ByteStream(inner->uri()),
        inner_(std::move(inner)),
        file_(std::move(file)),
        path_(std::move(path)) {}

 private:
  Status DoWrite(std::span<const uint8_t> data) override { return inner_->Write(data); }

  Result<size_t> DoRead(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) override {
    Result<size_t> n = inner_->Read(buffer, timeout);
    if (n.ok() && *n > 0) {
      file_.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(*n));
      // Flushed as it goes: a capture cut short keeps what it read.
      file_.flush();
      if (!file_) return InfrastructureError("cannot write raw recording " + path_);
    }
    return n;
  }

  Status DoDrain() override { return inner_->Drain(); }

 public:
  bool replays() const override { return inner_->replays(); }

 private:
  std::unique_ptr<ByteStream> inner_;
  std::ofstream file_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> RecordReads(std::unique_ptr<ByteStream> stream,
                                                const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    return ConfigurationError("cannot create raw recording " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<ByteStream>(new RecordingStream(std::move(stream), std::move(file), path));
}

}  // namespace hil::transport
