#include "serial_stream.h"

#include <libserialport.h>

namespace hil::transport {
namespace {

std::string LastSerialError() {
  char* message = sp_last_error_message();
  std::string text = message != nullptr ? message : "unknown error";
  sp_free_error_message(message);
  return text;
}

class SerialStream final : public ByteStream {
 public:
  SerialStream(std::string uri, sp_port* port) : ByteStream(std::move(uri)), port_(port) {}
  ~SerialStream() override {
    sp_close(port_);
    sp_free_port(port_);
  }

 private:
  Status DoWrite(std::span<const uint8_t> data) override {
    // A generous bound: at 9600 baud a 100-byte command takes ~0.1 s.
    constexpr unsigned kWriteTimeoutMs = 5000;
    sp_return n = sp_blocking_write(port_, data.data(), data.size(), kWriteTimeoutMs);
    if (n < 0) return InfrastructureError("write to " + uri() + " failed: " + LastSerialError());
    if (static_cast<size_t>(n) != data.size()) {
      return InfrastructureError("write to " + uri() + " timed out after " + std::to_string(n) +
                                 " of " + std::to_string(data.size()) + " bytes");
    }
    return OkStatus();
  }

  Result<size_t> DoRead(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) override {
    // Returns as soon as at least one byte is there, like a socket read.
    // libserialport reads a timeout of 0 as "wait forever": a zero (or
    // negative) timeout is a poll, never a block.
    sp_return n = timeout.count() <= 0
                      ? sp_nonblocking_read(port_, buffer.data(), buffer.size())
                      : sp_blocking_read_next(port_, buffer.data(), buffer.size(),
                                              static_cast<unsigned>(timeout.count()));
    if (n < 0) {
      return InfrastructureError("read from " + uri() +
                                 " failed (device unplugged?): " + LastSerialError());
    }
    return static_cast<size_t>(n);
  }

  sp_port* port_;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> OpenSerialPort(const ConnectionString& connection) {
  const std::string uri = connection.ToString();
  sp_port* port = nullptr;
  if (sp_get_port_by_name(connection.path.c_str(), &port) != SP_OK) {
    return InfrastructureError("no serial port " + connection.path + ": " + LastSerialError());
  }
  auto fail = [&](const std::string& step) -> Result<std::unique_ptr<ByteStream>> {
    std::string reason = LastSerialError();
    sp_close(port);
    sp_free_port(port);
    return InfrastructureError("cannot " + step + " " + uri + ": " + reason);
  };
  if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
    std::string reason = LastSerialError();
    sp_free_port(port);
    return InfrastructureError("cannot open " + uri + ": " + reason);
  }
  uint32_t baud = connection.baud != 0 ? connection.baud : kDefaultBaud;
  if (sp_set_baudrate(port, static_cast<int>(baud)) != SP_OK) return fail("set the baud rate of");
  if (sp_set_bits(port, 8) != SP_OK || sp_set_parity(port, SP_PARITY_NONE) != SP_OK ||
      sp_set_stopbits(port, 1) != SP_OK || sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE) != SP_OK) {
    return fail("set 8N1 without flow control on");
  }
  if (sp_set_dtr(port, SP_DTR_ON) != SP_OK) return fail("assert DTR on");
  return std::unique_ptr<ByteStream>(new SerialStream(uri, port));
}

}  // namespace hil::transport
