// Transports against real sockets and files on this machine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "drivers/transport/byte_stream.h"

namespace hil::transport {
namespace {

using std::chrono::milliseconds;

class UnixListener {
 public:
  UnixListener() {
    path_ = std::filesystem::temp_directory_path() /
            ("hil-transport-test-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
  }
  ~UnixListener() {
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  int Accept() { return ::accept(fd_, nullptr, nullptr); }
  std::string uri() const { return "unix:" + path_.string(); }

 private:
  std::filesystem::path path_;
  int fd_;
};

TEST(TransportTest, UnixSocketCarriesBytesBothWaysAndTimesOut) {
  UnixListener listener;
  auto stream = OpenByteStream(listener.uri());
  ASSERT_TRUE(stream.ok()) << stream.error().message();
  int peer = listener.Accept();
  ASSERT_GE(peer, 0);

  ASSERT_TRUE((*stream)->Write("name%").ok());
  char received[16] = {};
  ASSERT_EQ(::read(peer, received, sizeof(received)), 5);
  EXPECT_STREQ(received, "name%");

  std::array<uint8_t, 16> buffer{};
  auto nothing = (*stream)->Read(buffer, milliseconds(20));
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, 0u);

  ASSERT_EQ(::write(peer, "m-ready\r\n", 9), 9);
  auto got = (*stream)->Read(buffer, milliseconds(1000));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer.data()), *got), "m-ready\r\n");

  ::close(peer);
  auto closed = (*stream)->Read(buffer, milliseconds(1000));
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(closed.error().message().find("connection closed"), std::string::npos);
}

TEST(TransportTest, TcpLoopbackConnects) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string uri = "tcp:127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  auto stream = OpenByteStream(uri);
  ASSERT_TRUE(stream.ok()) << stream.error().message();
  int peer = ::accept(listener, nullptr, nullptr);
  ASSERT_EQ(::write(peer, "x", 1), 1);
  std::array<uint8_t, 4> buffer{};
  auto got = (*stream)->Read(buffer, milliseconds(1000));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 1u);
  ::close(peer);
  ::close(listener);
}

TEST(TransportTest, UnreachableDevicesAreInfrastructureErrors) {
  auto no_socket = OpenByteStream("unix:/nonexistent/hil.sock");
  ASSERT_FALSE(no_socket.ok());
  EXPECT_EQ(no_socket.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(no_socket.error().message().find("/nonexistent/hil.sock"), std::string::npos);

  auto no_port = OpenByteStream("serial:/dev/hil-no-such-tty");
  ASSERT_FALSE(no_port.ok());
  EXPECT_EQ(no_port.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(no_port.error().message().find("/dev/hil-no-such-tty"), std::string::npos);
}

TEST(TransportTest, ReplayServesTheRecordingInTheChunksAskedForThenEnds) {
  auto path = std::filesystem::temp_directory_path() /
              ("hil-replay-" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream file(path, std::ios::binary);
    file << "0123456789";
  }
  auto stream = OpenByteStream("replay:" + path.string());
  ASSERT_TRUE(stream.ok()) << stream.error().message();
  EXPECT_TRUE((*stream)->Write("ignored").ok());
  std::array<uint8_t, 4> buffer{};
  std::string replayed;
  for (;;) {
    auto got = (*stream)->Read(buffer, milliseconds(0));
    if (!got.ok()) {
      EXPECT_NE(got.error().message().find("end of recording"), std::string::npos);
      break;
    }
    EXPECT_LE(*got, buffer.size());
    replayed.append(reinterpret_cast<char*>(buffer.data()), *got);
  }
  EXPECT_EQ(replayed, "0123456789");
  std::filesystem::remove(path);

  auto missing = OpenByteStream("replay:/nonexistent/capture.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace hil::transport
