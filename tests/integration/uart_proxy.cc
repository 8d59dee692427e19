#include "uart_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace {

int ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) return fd;
    ::usleep(10000);
  }
  throw std::runtime_error("proxy cannot connect to " + path);
}

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

UartProxy::UartProxy(const std::string& upstream_socket, Noise noise, uint32_t seed)
    : noise_(noise), random_state_(seed) {
  upstream_fd_ = ConnectUnix(upstream_socket);
  listen_path_ = upstream_socket + ".proxy";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, listen_path_.c_str(), sizeof(address.sun_path) - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 1) != 0) {
    throw std::runtime_error("proxy cannot listen on " + listen_path_.string());
  }
  if (::pipe(stop_pipe_) != 0) throw std::runtime_error("pipe failed");
  thread_ = std::thread([this] { Run(); });
}

UartProxy::~UartProxy() {
  char stop = 1;
  ssize_t ignored = ::write(stop_pipe_[1], &stop, 1);
  (void)ignored;
  thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::close(listen_fd_);
  ::close(upstream_fd_);
  std::filesystem::remove(listen_path_);
}

void UartProxy::InjectToDut(const std::string& bytes) {
  std::lock_guard<std::mutex> lock(upstream_write_);
  WriteAll(upstream_fd_, bytes);
}

std::string UartProxy::Dirty(const char* data, size_t size) {
  auto next = [this] {
    random_state_ = random_state_ * 1103515245u + 12345u;
    return random_state_ >> 8;
  };
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    // Noise bytes: never '\r' or '\n', which would cut a real line in two.
    if (noise_.noise_bytes_per_chunk > 0 &&
        (next() % 1000) < noise_.noise_bytes_per_chunk * 1000.0 / static_cast<double>(size)) {
      static const char kNoise[] = {'\x00', '\x7f', '\x1b', '\xff', '\x80', '\x07'};
      out.push_back(kNoise[next() % sizeof(kNoise)]);
      ++noise_bytes_;
    }
    out.push_back(data[i]);
    if (data[i] == '\n' && noise_.junk_line_every > 0 &&
        ++lines_seen_ % noise_.junk_line_every == 0) {
      out += "#@! line noise 0x5a5a !@#\r\n";
      ++junk_lines_;
    }
  }
  return out;
}

void UartProxy::Run() {
  pollfd accept_fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  if (::poll(accept_fds, 2, -1) <= 0 || (accept_fds[1].revents & POLLIN)) return;
  int host_fd = ::accept(listen_fd_, nullptr, nullptr);
  if (host_fd < 0) return;
  char buffer[4096];
  for (;;) {
    pollfd fds[3] = {{host_fd, POLLIN, 0}, {upstream_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) break;
    if (fds[2].revents & POLLIN) break;
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::recv(host_fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      InjectToDut(std::string(buffer, static_cast<size_t>(n)));
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::recv(upstream_fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      WriteAll(host_fd, Dirty(buffer, static_cast<size_t>(n)));
    }
  }
  ::close(host_fd);
}
