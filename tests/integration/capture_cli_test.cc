// "hil capture" against the virtual bench's probes: CSV and binary traces,
// a raw recording that replays to the same trace, and the exit codes.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_runner.h"
#include "hil/trace_file.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class CaptureCliTest : public ::testing::Test {
 protected:
  void Boot(const std::string& probe) {
    VirtualDutOptions options;
    options.energy.profile = "mps2-an386";
    options.energy.truth_path = scratch_.File("truth.jsonl");
    options.energy.probe_kind = probe;
    options.energy.probe_socket = scratch_.File(probe + ".sock");
    Result<VirtualDut> dut =
        BootVirtualDut(**FindBoard("mps2-an386"), BuiltImage("mps2-an386", "mb-conv3x3"), options);
    ASSERT_TRUE(dut.ok()) << dut.error().ToString();
    dut_ = std::move(*dut);
  }

  ScratchFolder scratch_;
  VirtualDut dut_;
};

TEST_F(CaptureCliTest, Ppk2CaptureToCsvReplaysFromItsRawRecordingToTheSameCsv) {
  Boot("ppk2");
  const CliRun live = RunHil("capture --probe ppk2 --connect unix:" + scratch_.File("ppk2.sock") +
                             " --seconds 0.2 --raw " + scratch_.File("raw.bin") + " --out " +
                             scratch_.File("live.csv"));
  ASSERT_EQ(live.exit_code, 0) << live.output;
  EXPECT_NE(live.output.find("0 lost on the device"), std::string::npos) << live.output;
  const std::string csv = ReadText(scratch_.File("live.csv"));
  EXPECT_EQ(csv.rfind("time_s,current_a,voltage_v,logic\n", 0), 0u);
  // 0.2 s at 100 kHz, and what came before the stop took effect.
  const size_t rows = static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  EXPECT_GE(rows, 20'000u);
  EXPECT_LT(rows, 40'000u);
  EXPECT_NE(csv.find("\n0.00000000,"), std::string::npos);  // starts at time 0
  EXPECT_NE(csv.find(",3.3,"), std::string::npos);          // the supply from the metadata

  const CliRun replay = RunHil("capture --probe ppk2 --connect replay:" + scratch_.File("raw.bin") +
                               " --seconds 10 --out " + scratch_.File("replay.csv"));
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_EQ(ReadText(scratch_.File("replay.csv")), csv);
}

TEST_F(CaptureCliTest, Lpm01aCaptureToABinaryTraceReadsBack) {
  Boot("lpm01a");
  const CliRun run =
      RunHil("capture --probe lpm01a --connect unix:" + scratch_.File("lpm01a.sock") +
             " --probe-setting format=binary --rate 100000 --supply-mv 1800 --seconds 0.1"
             " --out " +
             scratch_.File("t.hiltrace"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  Result<Trace> trace = ReadBinaryTrace(scratch_.File("t.hiltrace"));
  ASSERT_TRUE(trace.ok()) << trace.error().ToString();
  EXPECT_EQ(trace->sample_rate_hz, 100'000);
  size_t samples = 0;
  for (const SampleBlock& block : trace->blocks) {
    samples += block.size();
    for (size_t i = 0; i < block.size(); ++i) {
      ASSERT_FLOAT_EQ(block.voltage_samples_v[i], 1.8f);
      ASSERT_GT(block.current_a[i], 0);
    }
  }
  EXPECT_GE(samples, 10'000u);
}

// Replaying an LPM01A recording broke: a command dropped the bytes read
// ahead of it, which in a recording are that command's own reply.
TEST_F(CaptureCliTest, Lpm01aCaptureReplaysFromItsRawRecordingToTheSameCsv) {
  Boot("lpm01a");
  const std::string options = " --rate 1000 --supply-mv 1800 --seconds 1.5 --out ";
  const CliRun live =
      RunHil("capture --probe lpm01a --connect unix:" + scratch_.File("lpm01a.sock") + " --raw " +
             scratch_.File("raw.bin") + options + scratch_.File("live.csv"));
  ASSERT_EQ(live.exit_code, 0) << live.output;
  const CliRun replay =
      RunHil("capture --probe lpm01a --connect replay:" + scratch_.File("raw.bin") + options +
             scratch_.File("replay.csv"));
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  const std::string csv = ReadText(scratch_.File("live.csv"));
  EXPECT_GT(std::count(csv.begin(), csv.end(), '\n'), 1000);
  EXPECT_EQ(ReadText(scratch_.File("replay.csv")), csv);
}

TEST_F(CaptureCliTest, ExitCodesSeparateBadInputFromAnAbsentProbe) {
  const CliRun absent =
      RunHil("capture --probe ppk2 --connect unix:" + scratch_.File("nobody.sock") + " --out " +
             scratch_.File("t.csv"));
  EXPECT_EQ(absent.exit_code, 3) << absent.output;
  EXPECT_NE(absent.output.find("infrastructure error: PPK2"), std::string::npos) << absent.output;

  const CliRun extension = RunHil("capture --probe ppk2 --connect unix:/x --out trace.txt");
  EXPECT_EQ(extension.exit_code, 2) << extension.output;
  EXPECT_NE(extension.output.find("name it .csv"), std::string::npos) << extension.output;

  const CliRun kind = RunHil("capture --probe fluke --connect unix:/x --out t.csv");
  EXPECT_EQ(kind.exit_code, 2) << kind.output;

  const CliRun source = RunHil("capture --probe ppk2 --mode source --connect unix:/x --out t.csv");
  EXPECT_EQ(source.exit_code, 2) << source.output;
  EXPECT_NE(source.output.find("needs the supply voltage"), std::string::npos) << source.output;

  // A kind's settings are checked against the probe table, before any
  // device is reached.
  const CliRun foreign =
      RunHil("capture --probe ppk2 --probe-setting rate_hz=5 --connect unix:/x --out t.csv");
  EXPECT_EQ(foreign.exit_code, 2) << foreign.output;
  EXPECT_NE(foreign.output.find("the PPK2 takes no setting 'rate_hz'; its settings: "
                                "source_meter, spike_filter"),
            std::string::npos)
      << foreign.output;
  const CliRun misspelt =
      RunHil("capture --probe lpm01a --probe-setting formt=binary --connect unix:/x --out t.csv");
  EXPECT_EQ(misspelt.exit_code, 2) << misspelt.output;
  EXPECT_NE(misspelt.output.find("(did you mean 'format'?)"), std::string::npos) << misspelt.output;
  const CliRun shapeless =
      RunHil("capture --probe lpm01a --probe-setting binary --connect unix:/x --out t.csv");
  EXPECT_EQ(shapeless.exit_code, 2) << shapeless.output;
  EXPECT_NE(shapeless.output.find("give KEY=VALUE"), std::string::npos) << shapeless.output;
}

// A PPK2 that answers its metadata, then streams nothing but bytes that
// are no sample (0xFF: range 7 does not exist), as fast as it can.
class BabblingPpk2 {
 public:
  explicit BabblingPpk2(const std::string& path) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(listener_, 1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~BabblingPpk2() {
    done_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

 private:
  void Serve() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    const std::string metadata =
        "Calibrated: 1\nR0: 1003.35\nR1: 101.65\nR2: 10.15\nR3: 0.94\nR4: 0.043\n"
        "GS1: 112.789\nO0: 112.94\nS4: 0.00294\nI4: -0.00939\nVDD: 3000\n"
        "HW: 9173\nmode: 2\nIA: 56\nEND\n";
    const std::string garbage(4096, '\xff');
    bool streaming = false;
    while (!done_) {
      pollfd entry{fd, POLLIN, 0};
      if (::poll(&entry, 1, streaming ? 0 : 20) > 0) {
        uint8_t buffer[64];
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) {
          if (buffer[i] == 0x19) (void)!::write(fd, metadata.data(), metadata.size());
          if (buffer[i] == 0x06) streaming = true;
        }
      }
      if (streaming && ::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL) < 0) break;
    }
    ::close(fd);
  }

  int listener_ = -1;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The review's capture: any byte reset the stream's timer, so a PPK2
// sending only invalid words kept `hil capture --seconds 2` going forever.
// Garbage is not progress: the capture ends, exit 3, saying so.
TEST_F(CaptureCliTest, APpk2SendingOnlyGarbageEndsAsAnInfrastructureError) {
  BabblingPpk2 device(scratch_.File("babble.sock"));
  const CliRun run =
      RunCommand("timeout 120 " + std::string(HIL_CLI_PATH) +
                 " capture --probe ppk2 --connect unix:" + scratch_.File("babble.sock") +
                 " --seconds 2 --out " + scratch_.File("t.csv"));
  EXPECT_NE(run.exit_code, 124) << "the capture never ended: " << run.output;
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("infrastructure error"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("captured 0.000 s: 0 samples"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace hil::testing
