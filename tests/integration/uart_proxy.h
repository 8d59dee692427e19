// A man-in-the-middle on a DUT's UART socket that adds line noise, so tests
// can show the DutLink survives what real UART lines do.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

class UartProxy {
 public:
  struct Noise {
    // Non-printable bytes put at random places in the DUT's output.
    double noise_bytes_per_chunk = 0;
    // A printable junk line put after every Nth line the DUT sends (0: never).
    int junk_line_every = 0;
  };

  // Connects to the DUT at upstream_socket and listens on a new socket.
  UartProxy(const std::string& upstream_socket, Noise noise, uint32_t seed = 1);
  ~UartProxy();

  std::string uri() const { return "unix:" + listen_path_.string(); }
  // Sends bytes to the DUT as if they came from the host.
  void InjectToDut(const std::string& bytes);
  uint64_t noise_bytes_injected() const { return noise_bytes_; }
  uint64_t junk_lines_injected() const { return junk_lines_; }

 private:
  void Run();
  std::string Dirty(const char* data, size_t size);

  Noise noise_;
  uint32_t random_state_;
  std::filesystem::path listen_path_;
  int listen_fd_ = -1;
  int upstream_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::mutex upstream_write_;
  std::atomic<uint64_t> noise_bytes_{0};
  std::atomic<uint64_t> junk_lines_{0};
  int lines_seen_ = 0;
  std::thread thread_;
};
