#include "socket_stream.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hil::transport {
namespace {

std::string OsReason() { return std::strerror(errno); }

class SocketStream final : public ByteStream {
 public:
  SocketStream(std::string uri, int fd) : ByteStream(std::move(uri)), fd_(fd) {}
  ~SocketStream() override { ::close(fd_); }

 private:
  Status DoWrite(std::span<const uint8_t> data) override {
    size_t written = 0;
    while (written < data.size()) {
      // MSG_NOSIGNAL: a closed peer is an error to report, not a SIGPIPE.
      ssize_t n = ::send(fd_, data.data() + written, data.size() - written, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InfrastructureError("write to " + uri() + " failed: " + OsReason());
      written += static_cast<size_t>(n);
    }
    return OkStatus();
  }

  Result<size_t> DoRead(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) override {
    pollfd entry{fd_, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return InfrastructureError("poll on " + uri() + " failed: " + OsReason());
    if (ready == 0) return size_t{0};
    ssize_t n;
    do {
      n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return InfrastructureError("connection closed by the device at " + uri());
    if (n < 0) return InfrastructureError("read from " + uri() + " failed: " + OsReason());
    return static_cast<size_t>(n);
  }

  int fd_;
};

Result<int> ConnectUnix(const ConnectionString& connection) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (connection.path.size() >= sizeof(address.sun_path)) {
    return ConfigurationError("socket path too long (" + std::to_string(connection.path.size()) +
                              " bytes, at most " + std::to_string(sizeof(address.sun_path) - 1) +
                              "): " + connection.path);
  }
  std::memcpy(address.sun_path, connection.path.c_str(), connection.path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InfrastructureError("socket() failed: " + OsReason());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::string reason = OsReason();
    ::close(fd);
    return InfrastructureError("cannot connect to " + connection.ToString() + ": " + reason);
  }
  return fd;
}

Result<int> ConnectTcp(const ConnectionString& connection) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  std::string port = std::to_string(connection.port);
  int status = ::getaddrinfo(connection.host.c_str(), port.c_str(), &hints, &addresses);
  if (status != 0) {
    return InfrastructureError("cannot resolve " + connection.host + ": " + gai_strerror(status));
  }
  std::string reason = "no address";
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      reason = OsReason();
      continue;
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      reason = OsReason();
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(addresses);
  if (fd < 0)
    return InfrastructureError("cannot connect to " + connection.ToString() + ": " + reason);
  // Commands are small and latency matters more than throughput.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Result<std::unique_ptr<ByteStream>> ConnectSocket(const ConnectionString& connection) {
  Result<int> fd =
      connection.scheme == Scheme::kUnix ? ConnectUnix(connection) : ConnectTcp(connection);
  if (!fd.ok()) return fd.error();
  return std::unique_ptr<ByteStream>(new SocketStream(connection.ToString(), *fd));
}

}  // namespace hil::transport
