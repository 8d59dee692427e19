// DutLink behaviour that a well-behaved harness never shows, driven by a
// scripted stream: resets, silence, stale output, protocol violations. The
// real harness in QEMU is tested in tests/integration.
#include "drivers/dut/dut_link.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <thread>

namespace hil::dut {
namespace {

using std::chrono::milliseconds;

// Answers each complete command with a scripted reply.
class ScriptedDut final : public transport::ByteStream {
 public:
  explicit ScriptedDut(std::map<std::string, std::string>* script)
      : ByteStream("scripted:"), script_(script) {}

  void Say(const std::string& bytes) {
    outgoing_.insert(outgoing_.end(), bytes.begin(), bytes.end());
  }

 private:
  Status DoWrite(std::span<const uint8_t> data) override {
    for (uint8_t byte : data) {
      if (byte != '%') {
        command_.push_back(static_cast<char>(byte));
        continue;
      }
      auto reply = script_->find(command_);
      if (reply != script_->end()) Say(reply->second);
      command_.clear();
    }
    return OkStatus();
  }

  Result<size_t> DoRead(std::span<uint8_t> buffer, milliseconds timeout) override {
    if (outgoing_.empty()) {
      std::this_thread::sleep_for(std::min(timeout, milliseconds(5)));
      return size_t{0};
    }
    size_t n = std::min(buffer.size(), outgoing_.size());
    for (size_t i = 0; i < n; ++i) {
      buffer[i] = static_cast<uint8_t>(outgoing_.front());
      outgoing_.pop_front();
    }
    return n;
  }

  std::map<std::string, std::string>* script_;
  std::deque<char> outgoing_;
  std::string command_;
};

class DutLinkTest : public ::testing::Test {
 protected:
  DutLink& MakeLink() {
    auto stream = std::make_unique<ScriptedDut>(&script_);
    dut_ = stream.get();
    link_ = std::make_unique<DutLink>(std::move(stream),
                                      DutLinkOptions{milliseconds(200), milliseconds(200)});
    return *link_;
  }

  std::map<std::string, std::string> script_;
  ScriptedDut* dut_ = nullptr;
  std::unique_ptr<DutLink> link_;
};

TEST_F(DutLinkTest, BootBannerGivesTheTimestampMode) {
  DutLink& link = MakeLink();
  dut_->Say("m-timestamp-mode-energy\r\nm-init-done\r\nm-ready\r\n");
  Result<std::string> mode = link.WaitForBoot();
  ASSERT_TRUE(mode.ok()) << mode.error().message();
  EXPECT_EQ(*mode, "energy");
}

TEST_F(DutLinkTest, SilentDutFailsBootWithATimeoutThatSaysWhatWasMissing) {
  DutLink& link = MakeLink();
  Result<std::string> mode = link.WaitForBoot();
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(mode.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(mode.error().message().find("did not finish booting within 0.2 s (no m-init-done)"),
            std::string::npos)
      << mode.error().message();
}

TEST_F(DutLinkTest, ResetInTheMiddleOfAReplyIsAnInfrastructureError) {
  script_["infer 1 0"] = "m-warmup-start-0\r\nm-timestamp-mode-performance\r\nm-init-done\r\n";
  DutLink& link = MakeLink();
  Result<InferenceRun> run = link.Infer(1, 0, milliseconds(200));
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(run.error().message().find("reset while answering 'infer 1 0'"), std::string::npos)
      << run.error().message();
}

TEST_F(DutLinkTest, TimeoutNamesTheCommandAndTheLastLineReceived) {
  script_["infer 1 0"] = "m-warmup-start-0\r\nm-warmup-done\r\n";
  DutLink& link = MakeLink();
  Result<Reply> reply = link.Command("infer 1 0", milliseconds(100));
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message().find("no complete reply to 'infer 1 0'"), std::string::npos);
  EXPECT_NE(reply.error().message().find("last line received: 'm-warmup-done'"), std::string::npos)
      << reply.error().message();
}

TEST_F(DutLinkTest, StaleOutputIsDroppedBeforeACommandAndCounted) {
  script_["name"] = "m-name-dut-[fresh]\r\nm-ready\r\n";
  DutLink& link = MakeLink();
  dut_->Say("m-name-dut-[stale]\r\nm-ready\r\n");
  Result<std::string> name = link.Name();
  ASSERT_TRUE(name.ok()) << name.error().message();
  EXPECT_EQ(*name, "fresh");
  EXPECT_EQ(link.stats().stray_lines, 2u);
}

TEST_F(DutLinkTest, AfterATimeoutTheNextCommandResynchronisesFirst) {
  // The first "name" goes unanswered; the late answer arrives with the
  // resync, and must not be taken for the second command's reply.
  DutLink& link = MakeLink();
  ASSERT_FALSE(link.Command("name", milliseconds(50)).ok());
  dut_->Say("m-name-dut-[late]\r\nm-ready\r\n");
  script_[""] = "m-ready\r\n";
  script_["hil-sync-1"] =
      "m-name-dut-[late-again]\r\ne-[unknown command: hil-sync-1]\r\nm-ready\r\n";
  script_["profile"] = "m-profile-[ulp-mlperf]\r\nm-model-[kws01]\r\nm-ready\r\n";
  Result<Profile> profile = link.GetProfile();
  ASSERT_TRUE(profile.ok()) << profile.error().message();
  EXPECT_EQ(profile->model, "kws01");
}

TEST_F(DutLinkTest, LoadBufferChecksTheLoadDoneMarker) {
  script_["db load 40"] = "m-[Expecting 40 bytes]\r\nm-ready\r\n";
  // A DUT that claims completion after the first 31 bytes.
  script_["db " + std::string(62, '0')] = "m-load-done\r\nm-ready\r\n";
  DutLink& link = MakeLink();
  Status status = link.LoadBuffer(std::vector<uint8_t>(40, 0));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("m-load-done early"), std::string::npos)
      << status.error().message();
}

TEST_F(DutLinkTest, RejectionOfAStandardCommandIsAnInfrastructureError) {
  script_["name"] = "e-[busy]\r\nm-ready\r\n";
  DutLink& link = MakeLink();
  Result<std::string> name = link.Name();
  ASSERT_FALSE(name.ok());
  EXPECT_EQ(name.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(name.error().message().find("rejected 'name': busy"), std::string::npos);
}

}  // namespace
}  // namespace hil::dut
