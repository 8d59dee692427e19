// DutLink: the host side of the MLPerf Tiny / EEMBC DUT protocol, with hil's
// extensions. It works with any firmware that speaks the protocol, over any
// ByteStream.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/dut/line_assembler.h"
#include "drivers/dut/protocol.h"
#include "drivers/transport/byte_stream.h"
#include "hil/error.h"

namespace hil::dut {

using Milliseconds = std::chrono::milliseconds;

struct DutLinkOptions {
  // Time allowed for one reply when a call does not say.
  Milliseconds command_timeout{5000};
  // Time allowed for the boot banner after power-up or reset.
  Milliseconds boot_timeout{10000};
};

// What the link has seen that was not the protocol.
struct LinkStats {
  uint64_t noise_bytes = 0;     // non-printable bytes dropped
  uint64_t overlong_lines = 0;  // lines too long to be protocol
  uint64_t stray_lines = 0;     // lines that arrived between commands
};

class DutLink {
 public:
  explicit DutLink(std::unique_ptr<transport::ByteStream> stream, DutLinkOptions options = {});

  // Waits for the boot banner, which ends with m-ready. Returns the timestamp
  // mode it announced ("performance" or "energy"). Errors: infrastructure
  // (nothing in time, connection closed).
  Result<std::string> WaitForBoot();

  // Brings both sides back to a command boundary after garbage, a timeout
  // or a late reply: ends any partial command in the DUT, then waits for the
  // rejection of a uniquely numbered unknown command and its m-ready, and
  // discards everything before. Errors: infrastructure.
  Status Resync(Milliseconds timeout);

  // Sends one command ('%' appended) and collects its reply up to m-ready.
  // An e-[...] reply is not an error here: it is in Reply::errors for the
  // caller to judge. Errors: configuration (command too long or containing
  // '%'), infrastructure (no reply in time, connection closed, the DUT
  // rebooted mid-command). After an infrastructure error the next command
  // resynchronises first.
  Result<Reply> Command(std::string_view command, Milliseconds timeout);
  Result<Reply> Command(std::string_view command) {
    return Command(command, options_.command_timeout);
  }

  // The commands, typed. Each returns an infrastructure error if the DUT
  // rejects a command that a conforming harness accepts.
  Result<std::string> Name();
  Result<Profile> GetProfile();
  Result<HarnessInfo> Info();
  Result<std::vector<Layer>> Layers();
  // db load N, then db HEX chunks until m-load-done.
  Status LoadBuffer(const std::vector<uint8_t>& data);
  Result<std::vector<uint8_t>> PrintBuffer();
  Result<InferenceRun> Infer(uint32_t inferences, uint32_t warmups, Milliseconds timeout);
  Result<std::vector<float>> Results();
  Status SetWindowStyle(WindowStyle style);

  LinkStats stats() const;
  const std::string& uri() const { return stream_->uri(); }

 private:
  // The next complete line; nullopt if the deadline passes first. Errors:
  // infrastructure (the stream failed or closed).
  Result<std::optional<std::string>> NextLine(std::chrono::steady_clock::time_point deadline);
  // Feeds received bytes to the assembler and queues the complete lines.
  void Assemble(std::span<const uint8_t> bytes);
  // Reads and classifies lines until m-ready or the deadline.
  Result<Reply> CollectReply(std::string command, std::chrono::steady_clock::time_point deadline);
  // Reads whatever is already waiting and drops it as stray.
  Status DrainStale();
  Status Send(std::string_view command);
  Result<Reply> AcceptedCommand(std::string_view command, Milliseconds timeout);

  std::unique_ptr<transport::ByteStream> stream_;
  DutLinkOptions options_;
  LineAssembler assembler_;
  std::deque<std::string> pending_lines_;
  uint64_t stray_lines_ = 0;
  bool needs_resync_ = false;
  uint64_t sync_counter_ = 0;
};

}  // namespace hil::dut
