#include "drivers/transport/connection_string.h"

#include <gtest/gtest.h>

namespace hil::transport {
namespace {

TEST(ConnectionStringTest, ParsesEveryScheme) {
  auto unix_socket = ParseConnectionString("unix:/tmp/dut.sock");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->scheme, Scheme::kUnix);
  EXPECT_EQ(unix_socket->path, "/tmp/dut.sock");

  auto tcp = ParseConnectionString("tcp:127.0.0.1:5025");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->scheme, Scheme::kTcp);
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 5025);

  auto ipv6 = ParseConnectionString("tcp:[::1]:80");
  ASSERT_TRUE(ipv6.ok());
  EXPECT_EQ(ipv6->host, "::1");

  auto serial = ParseConnectionString("serial:/dev/ttyACM0@3686400");
  ASSERT_TRUE(serial.ok());
  EXPECT_EQ(serial->scheme, Scheme::kSerial);
  EXPECT_EQ(serial->path, "/dev/ttyACM0");
  EXPECT_EQ(serial->baud, 3686400u);

  auto serial_default = ParseConnectionString("serial:/dev/ttyUSB1");
  ASSERT_TRUE(serial_default.ok());
  EXPECT_EQ(serial_default->baud, 0u);

  auto replay = ParseConnectionString("replay:capture.bin");
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->scheme, Scheme::kReplay);
  EXPECT_EQ(replay->path, "capture.bin");
}

TEST(ConnectionStringTest, RoundTripsToText) {
  for (const char* text : {"unix:/a/b", "tcp:localhost:1", "serial:/dev/ttyACM0@115200",
                           "serial:/dev/ttyACM0", "replay:x.bin"}) {
    auto parsed = ParseConnectionString(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(parsed->ToString(), text);
  }
}

TEST(ConnectionStringTest, RejectsMalformedStringsWithAConfigurationError) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"/dev/ttyACM0", "has no scheme"},
      {"usb:1915:c00a", "unknown scheme 'usb'"},
      {"unix:", "no socket path"},
      {"tcp:localhost", "no host and port"},
      {"tcp:localhost:0", "port '0' is not a number from 1 to 65535"},
      {"tcp:localhost:99999", "port '99999'"},
      {"tcp:localhost:http", "port 'http'"},
      {"serial:", "no device"},
      {"serial:/dev/ttyACM0@fast", "baud rate 'fast'"},
      {"replay:", "no file"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseConnectionString(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().kind(), ErrorKind::kConfiguration) << c.text;
    EXPECT_NE(parsed.error().message().find(c.says), std::string::npos)
        << c.text << " -> " << parsed.error().message();
  }
}

}  // namespace
}  // namespace hil::transport
