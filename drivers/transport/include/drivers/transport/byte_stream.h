// ByteStream: a bidirectional byte pipe to a device.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hil/error.h"

namespace hil::transport {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Writes every byte. Errors: infrastructure (connection closed or failed).
  Status Write(std::span<const uint8_t> data) { return DoWrite(data); }
  Status Write(std::string_view text) {
    return DoWrite({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }

  // Reads whatever is available, at most buffer.size() bytes, waiting up to
  // timeout for the first byte. Returns 0 when nothing arrived in time.
  // Errors: infrastructure (the peer closed the connection, the device went
  // away, a recording ended).
  Result<size_t> Read(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) {
    return DoRead(buffer, timeout);
  }

  // Discards what the device already queued (stale output before a command).
  // A recording has nothing stale in it: replay keeps every byte.
  Status Drain() { return DoDrain(); }

  // A recording played back: nothing in it is stale, so a reader keeps
  // every byte it has read where a live device's leftovers would be dropped.
  virtual bool replays() const { return false; }

  // The connection string this stream was opened from, for messages.
  const std::string& uri() const { return uri_; }

 protected:
  explicit ByteStream(std::string uri) : uri_(std::move(uri)) {}

 private:
  virtual Status DoWrite(std::span<const uint8_t> data) = 0;
  virtual Result<size_t> DoRead(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) = 0;
  virtual Status DoDrain();

  std::string uri_;
};

// Opens the transport the connection string names. Errors: configuration
// (malformed string, missing replay file), infrastructure (the device or
// socket cannot be reached).
Result<std::unique_ptr<ByteStream>> OpenByteStream(std::string_view uri);

// Wraps a stream so that every byte read from it is also appended to a file:
// a raw recording that "replay:FILE" plays back exactly. Drained bytes are
// not recorded, as replay does not drain. Errors: configuration (the file
// cannot be created).
Result<std::unique_ptr<ByteStream>> RecordReads(std::unique_ptr<ByteStream> stream,
                                                const std::string& path);

}  // namespace hil::transport
