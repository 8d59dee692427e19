// Helpers shared by the integration tests that boot the harness in QEMU.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace hil::testing {

inline constexpr const char* kQemuBoards[] = {"mps2-an386", "mps2-an500", "mps3-an547"};

// The firmware tree this test binary was built with, whatever the environment.
inline std::string BuiltImage(const std::string& board, const std::string& workload) {
  return std::string(HIL_FIRMWARE_BUILD_DIR) + "/" + board + "/harness-" + workload + ".elf";
}

// A real keyword-spotting input tensor (49 x 10 int8 MFCC features) from
// the shared dataset.
inline std::vector<uint8_t> KwsTensor() {
  const std::string path = std::string(HIL_SHARED_DIR) + "/datasets/kws01/tst_000000_Stop_7.bin";
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing shared dataset file " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
}

// A free TCP port on loopback: bind to 0, read it back, release it.
inline int FreeTcpPort() {
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(probe);
  return port;
}

// A folder of its own for the running test, removed when it goes; a test
// that needs several names each (one per host, say).
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& suffix = "")
      : path_(std::filesystem::temp_directory_path() /
              ("hil-test-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() +
               (suffix.empty() ? "" : "-" + suffix))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() { std::filesystem::remove_all(path_); }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Every line of a JSON-lines file, parsed.
inline std::vector<nlohmann::json> ReadJsonLines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> records;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) records.push_back(nlohmann::json::parse(line));
  return records;
}

// A connected Unix-domain stream socket, or -1.
inline int ConnectUnixSocket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace hil::testing
