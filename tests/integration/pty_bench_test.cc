// "hil bench up --pty": the virtual DUT's UART as a serial port that outside
// tools open by path, and "--realtime": virtual time in step with the host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Slurp(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A client of the serial port as pyserial is one: open by path, raw mode.
class SerialClient {
 public:
  explicit SerialClient(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC)) {
    termios modes{};
    if (fd_ >= 0 && ::tcgetattr(fd_, &modes) == 0) {
      ::cfmakeraw(&modes);
      ::tcsetattr(fd_, TCSANOW, &modes);
    }
  }
  ~SerialClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void Send(const std::string& text) {
    ASSERT_EQ(::write(fd_, text.data(), text.size()), ssize_t(text.size()));
  }
  // Whether an answer has begun to arrive, leaving it unread.
  bool WaitReadable(std::chrono::seconds timeout) {
    pollfd fd{fd_, POLLIN, 0};
    return ::poll(&fd, 1, static_cast<int>(timeout.count() * 1000)) > 0;
  }
  // Everything up to and including the first line holding `until`.
  std::string ReadUntil(const std::string& until, std::chrono::seconds timeout) {
    std::string text;
    const auto deadline = Clock::now() + timeout;
    while (text.find(until) == std::string::npos && Clock::now() < deadline) {
      pollfd fd{fd_, POLLIN, 0};
      if (::poll(&fd, 1, 50) <= 0) continue;
      char buffer[512];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }

 private:
  int fd_;
};

// A "hil bench up --pty" in the background, stopped with Ctrl-C at the end.
class PtyBench {
 public:
  PtyBench(const ScratchFolder& scratch, std::vector<std::string> extra)
      : link_(scratch.File("dut")), log_(scratch.File("bench-up.log")) {
    std::vector<std::string> arguments = {"bench", "up", "--pty", link_, "--seconds", "300"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    pid_ = SpawnProgram(HIL_CLI_PATH, arguments, log_);
    for (int i = 0; i < 600 && !up(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~PtyBench() {
    if (pid_ > 0) Stop();
  }
  bool up() const { return Slurp(log_).find("DUT UART") != std::string::npos; }
  const std::string& link() const { return link_; }
  std::string log() const { return Slurp(log_); }
  int Stop() {
    ::kill(pid_, SIGINT);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string link_, log_;
  pid_t pid_ = -1;
};

TEST(BenchPty, ClientsOpenCloseAndReopenTheDutsSerialPort) {
  ScratchFolder scratch;
  PtyBench bench(scratch, {});
  ASSERT_TRUE(bench.up()) << bench.log();
  // The banner went to the bench's output, not to a client.
  EXPECT_NE(bench.log().find("| m-init-done"), std::string::npos) << bench.log();
  {
    SerialClient client(bench.link());
    ASSERT_TRUE(client.ok());
    client.Send("name%");
    const std::string reply = client.ReadUntil("m-ready", std::chrono::seconds(10));
    EXPECT_EQ(reply.rfind("m-name-dut-[hil-mps2-an386]", 0), 0u) << reply;
    EXPECT_EQ(reply.find("m-init-done"), std::string::npos) << reply;
  }
  // The bridge sees a client leave within milliseconds (PtyBridge's note).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    // A client that leaves without reading its answer...
    SerialClient client(bench.link());
    ASSERT_TRUE(client.ok());
    client.Send("help%");
    // However slow the DUT, its answer has begun (and, a burst, ends) while
    // the client is still there.
    ASSERT_TRUE(client.WaitReadable(std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    // ...leaves nothing for the next.
    SerialClient client(bench.link());
    ASSERT_TRUE(client.ok());
    client.Send("profile%");
    const std::string reply = client.ReadUntil("m-ready", std::chrono::seconds(10));
    EXPECT_EQ(reply.rfind("m-profile-[", 0), 0u) << reply;
    EXPECT_NE(reply.find("m-model-["), std::string::npos) << reply;
    EXPECT_EQ(reply.find("print the DUT name"), std::string::npos) << reply;
  }
  EXPECT_EQ(bench.Stop(), 0);
  EXPECT_NE(bench.log().find("serial port: 3 client sessions"), std::string::npos) << bench.log();
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(scratch / "dut")));
}

TEST(BenchPty, APathThatIsAFileIsRefusedUntouched) {
  ScratchFolder scratch;
  std::ofstream(scratch.File("dut")) << "mine";
  const CliRun run = RunHil("bench up --pty " + scratch.File("dut") + " --seconds 1");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("exists and is not a link"), std::string::npos) << run.output;
  EXPECT_EQ(Slurp(scratch.File("dut")), "mine");
}

// The MLPerf Tiny runner looks its DUT up by USB VID:PID in pyserial's port
// list (DeviceManager.scan: comports(True), keep ports with a vid, match
// devices.yaml). tools/mlperf/run_on_pty.py lists the bench's port there; a
// script doing that lookup, then the runner's first exchange, stands in
// for the runner (not fetchable here).
TEST(BenchPty, TheRunnerWrapperListsThePortAsTheDutsUsbDevice) {
  ScratchFolder scratch;
  PtyBench bench(scratch, {});
  ASSERT_TRUE(bench.up()) << bench.log();
  std::ofstream(scratch.File("main.py")) << R"(import sys
import serial
from serial.tools import list_ports
ports = [p for p in list_ports.comports(True) if p.vid]
dut = [p for p in ports if (p.vid, p.pid) == (0x0483, 0x374B)]
print("found", len(dut), dut[0].hwid)
with serial.Serial(dut[0].device, 115200, timeout=10) as port:
    port.write(b"profile%")
    print(port.read_until(b"m-ready").decode())
print("argv", sys.argv[1:])
)";
  const std::string wrapper = CMAKE_SOURCE_DIR "/tools/mlperf/run_on_pty.py";
  const CliRun run = RunCommand("/usr/bin/python3 " + wrapper + " --port " + bench.link() +
                                " --usb 0483:374b " + scratch.File("main.py") + " -m p -s data");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("found 1 USB VID:PID=0483:374B"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("m-model-["), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("argv ['-m', 'p', '-s', 'data']"), std::string::npos) << run.output;

  // A port that is not the bench's, or a malformed id, is refused.
  CliRun refused = RunCommand("/usr/bin/python3 " + wrapper + " --port " + scratch.File("main.py") +
                              " --usb 0483:374b " + scratch.File("main.py"));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("is not a terminal device"), std::string::npos) << refused.output;
  refused = RunCommand("/usr/bin/python3 " + wrapper + " --port " + bench.link() +
                       " --usb st-link " + scratch.File("main.py"));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("is not VID:PID in hex"), std::string::npos) << refused.output;
}

// The DUT's own clock read twice over a serial session, against the host's.
struct Elapsed {
  double dut_s = 0, host_s = 0;
};

Elapsed TimeInferences(SerialClient& client, int inferences) {
  const auto lap = [&client](Clock::time_point& at) {
    at = Clock::now();
    client.Send("timestamp%");
    const std::string reply = client.ReadUntil("m-ready", std::chrono::seconds(10));
    const size_t found = reply.find("m-lap-us-");
    return found == std::string::npos ? -1.0 : std::stod(reply.substr(found + 9)) * 1e-6;
  };
  Clock::time_point start, end;
  const double dut_start = lap(start);
  client.Send("infer " + std::to_string(inferences) + " 0%");
  const std::string done = client.ReadUntil("m-infer-done", std::chrono::seconds(120));
  EXPECT_NE(done.find("m-infer-done"), std::string::npos) << done;
  client.ReadUntil("m-ready", std::chrono::seconds(10));
  const double dut_end = lap(end);
  return {dut_end - dut_start, std::chrono::duration<double>(end - start).count()};
}

TEST(BenchPty, RealtimePaceKeepsTheDutsClockWithTheHosts) {
  ScratchFolder scratch;
  PtyBench bench(scratch, {"--realtime"});
  ASSERT_TRUE(bench.up()) << bench.log();
  SerialClient client(bench.link());
  ASSERT_TRUE(client.ok());
  // mb-conv3x3 takes 27.6 ms per inference on the emulated M4: 360 of them
  // are 10 s of DUT time, which QEMU alone runs in about 2.5 s here.
  const Elapsed elapsed = TimeInferences(client, 360);
  std::printf("paced: %.3f s of DUT time in %.3f s of host time\n", elapsed.dut_s, elapsed.host_s);
  EXPECT_GT(elapsed.dut_s, 9.5);
  EXPECT_NEAR(elapsed.host_s, elapsed.dut_s, 0.02 * elapsed.dut_s);
}

// Pacing only slows QEMU down: every figure comes from the instruction
// count, so a paced run measures what an unpaced one does.
TEST(RunPace, FiguresAreTheSameAtRealtimePace) {
  ScratchFolder scratch;
  std::map<std::string, nlohmann::json> cases;
  for (const std::string pace : {"fast", "realtime"}) {
    const std::string plan = scratch.File(pace + ".yaml");
    std::ofstream(plan) << "plan: pace-" << pace << "\nbench: {flasher: qemu, pace: " << pace
                        << "}\nnetworks: {conv: {workload: mb-conv3x3}}\n"
                           "matrix: {boards: [mps2-an386]}\nmeasurement: {warmup: 1, runs: 20}\n";
    const auto start = Clock::now();
    const CliRun run = RunHil("run " + plan + " --out " + scratch.File(pace));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ASSERT_EQ(run.exit_code, 0) << run.output;
    cases[pace] = nlohmann::json::parse(Slurp(scratch.File(pace) + "/results.json"))["cases"][0];
    std::printf("%s: hil run took %.1f s\n", pace.c_str(), seconds);
  }
  const nlohmann::json &fast = cases["fast"], &paced = cases["realtime"];
  EXPECT_EQ(paced["status"], "pass") << paced["error"];
  EXPECT_EQ(fast["verification"]["ground_truth"]["instructions"],
            paced["verification"]["ground_truth"]["instructions"]);
  EXPECT_EQ(fast["verification"]["ground_truth"]["energy_uJ"],
            paced["verification"]["ground_truth"]["energy_uJ"]);
  EXPECT_NEAR(fast["energy_uJ"]["median"].get<double>(), paced["energy_uJ"]["median"].get<double>(),
              1e-3 * fast["energy_uJ"]["median"].get<double>());
  EXPECT_NEAR(fast["latency_us"]["median"].get<double>(),
              paced["latency_us"]["median"].get<double>(), 10.0);
}

}  // namespace
}  // namespace hil::testing
