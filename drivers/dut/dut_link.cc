#include "drivers/dut/dut_link.h"

#include <array>
#include <cstdio>

namespace hil::dut {
namespace {

using Clock = std::chrono::steady_clock;

std::string Seconds(Milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

// Rounded up, so a wait never ends before its deadline.
Milliseconds Remaining(Clock::time_point deadline) {
  auto left = std::chrono::ceil<Milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : Milliseconds(0);
}

}  // namespace

DutLink::DutLink(std::unique_ptr<transport::ByteStream> stream, DutLinkOptions options)
    : stream_(std::move(stream)), options_(options) {}

LinkStats DutLink::stats() const {
  return LinkStats{assembler_.noise_bytes(), assembler_.overlong_lines(), stray_lines_};
}

Status DutLink::Send(std::string_view command) {
  std::string framed(command);
  framed.push_back('%');
  return stream_->Write(framed);
}

Result<std::optional<std::string>> DutLink::NextLine(Clock::time_point deadline) {
  std::array<uint8_t, 1024> buffer;
  while (pending_lines_.empty()) {
    const Milliseconds left = Remaining(deadline);
    if (left.count() == 0) return std::optional<std::string>();
    Result<size_t> n = stream_->Read(buffer, left);
    if (!n.ok()) return n.error();
    Assemble({buffer.data(), *n});
  }
  std::string line = std::move(pending_lines_.front());
  pending_lines_.pop_front();
  return std::optional<std::string>(std::move(line));
}

void DutLink::Assemble(std::span<const uint8_t> bytes) {
  std::vector<std::string> lines;
  assembler_.Push(bytes, lines);
  for (std::string& line : lines) pending_lines_.push_back(std::move(line));
}

Result<std::string> DutLink::WaitForBoot() {
  const auto deadline = Clock::now() + options_.boot_timeout;
  std::string mode;
  bool init_done = false;
  for (;;) {
    Result<std::optional<std::string>> line = NextLine(deadline);
    if (!line.ok()) return line.error().WithContext("waiting for the DUT to boot");
    if (!*line) {
      return InfrastructureError(
          "the DUT at " + uri() + " did not finish booting within " +
          Seconds(options_.boot_timeout) +
          (init_done ? " (saw m-init-done but no m-ready)" : " (no m-init-done)"));
    }
    const std::string& text = **line;
    if (text.rfind("m-timestamp-mode-", 0) == 0) mode = text.substr(17);
    if (text == "m-init-done") init_done = true;
    if (text == "m-ready" && init_done) return mode;
  }
}

Status DutLink::DrainStale() {
  // What is queued now; a DUT that never stops talking is bounded here and
  // met by the command's own deadline.
  constexpr size_t kMostDrained = 1 << 20;
  std::array<uint8_t, 512> buffer;
  for (size_t drained = 0; drained < kMostDrained;) {
    Result<size_t> n = stream_->Read(buffer, Milliseconds(0));
    if (!n.ok()) return n.error();
    if (*n == 0) break;
    drained += *n;
    Assemble({buffer.data(), *n});
  }
  stray_lines_ += pending_lines_.size();
  pending_lines_.clear();
  return OkStatus();
}

Status DutLink::Resync(Milliseconds timeout) {
  // A bare '%' ends whatever partial command the DUT holds. Then a command
  // no firmware knows, carrying a fresh number, is rejected with an error
  // that quotes it: its m-ready is the first one that cannot belong to an
  // earlier, late reply.
  const std::string token = "hil-sync-" + std::to_string(++sync_counter_);
  HIL_RETURN_IF_ERROR(DrainStale());
  assembler_.Reset();
  HIL_RETURN_IF_ERROR(stream_->Write("%" + token + "%"));
  const auto deadline = Clock::now() + timeout;
  bool token_seen = false;
  for (;;) {
    Result<std::optional<std::string>> line = NextLine(deadline);
    if (!line.ok()) return line.error().WithContext("resynchronising with the DUT");
    if (!*line) {
      return InfrastructureError("the DUT at " + uri() + " did not resynchronise within " +
                                 Seconds(timeout) + " (no reply to '" + token + "')");
    }
    if ((*line)->find(token) != std::string::npos) {
      token_seen = true;
    } else if (token_seen && **line == "m-ready") {
      needs_resync_ = false;
      return OkStatus();
    } else {
      ++stray_lines_;
    }
  }
}

Result<Reply> DutLink::Command(std::string_view command, Milliseconds timeout) {
  if (command.find('%') != std::string_view::npos) {
    return ConfigurationError("DUT command '" + std::string(command) + "' contains '%'");
  }
  if (command.size() + 1 > kMaxCommandBytes) {
    return ConfigurationError("DUT command '" + std::string(command) + "' is " +
                              std::to_string(command.size() + 1) + " bytes with '%'; the " +
                              "protocol allows " + std::to_string(kMaxCommandBytes));
  }
  if (needs_resync_) HIL_RETURN_IF_ERROR(Resync(options_.command_timeout));
  HIL_RETURN_IF_ERROR(DrainStale());
  HIL_RETURN_IF_ERROR(Send(command));
  Result<Reply> reply = CollectReply(std::string(command), Clock::now() + timeout);
  if (!reply.ok()) needs_resync_ = true;
  return reply;
}

Result<Reply> DutLink::CollectReply(std::string command, Clock::time_point deadline) {
  const auto start = Clock::now();
  Reply reply;
  reply.command = std::move(command);
  std::string last_line;
  for (;;) {
    Result<std::optional<std::string>> next = NextLine(deadline);
    if (!next.ok()) {
      Error error = next.error().WithContext("waiting for the reply to '" + reply.command + "'");
      // The DUT's last words often say why it went away (a fault report).
      if (!reply.errors.empty()) {
        return Error(error.kind(),
                     error.message() + " (the DUT said: " + reply.errors.back() + ")");
      }
      return error;
    }
    if (!*next) {
      auto waited = std::chrono::duration_cast<Milliseconds>(Clock::now() - start);
      return InfrastructureError("no complete reply to '" + reply.command + "' from " + uri() +
                                 " within " + Seconds(waited) +
                                 (last_line.empty()
                                      ? " (nothing received)"
                                      : " (last line received: '" + last_line + "')"));
    }
    std::string line = std::move(**next);
    switch (ClassifyLine(line)) {
      case LineKind::kReady:
        return reply;
      case LineKind::kError:
        reply.errors.push_back(line.size() >= 4 && line.back() == ']'
                                   ? line.substr(3, line.size() - 4)
                                   : line.substr(2));
        break;
      case LineKind::kBoot:
        return InfrastructureError("the DUT at " + uri() + " reset while answering '" +
                                   reply.command + "' (it printed '" + line + "')");
      case LineKind::kProtocol:
        reply.lines.push_back(line);
        break;
      case LineKind::kText:
        reply.text.push_back(line);
        break;
    }
    last_line = std::move(line);
  }
}

Result<Reply> DutLink::AcceptedCommand(std::string_view command, Milliseconds timeout) {
  Result<Reply> reply = Command(command, timeout);
  if (!reply.ok()) return reply;
  if (reply->rejected()) {
    return InfrastructureError("the DUT rejected '" + std::string(command) +
                               "': " + reply->errors.front());
  }
  return reply;
}

Result<std::string> DutLink::Name() {
  Result<Reply> reply = AcceptedCommand("name", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseName(*reply);
}

Result<Profile> DutLink::GetProfile() {
  Result<Reply> reply = AcceptedCommand("profile", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseProfile(*reply);
}

Result<HarnessInfo> DutLink::Info() {
  Result<Reply> reply = AcceptedCommand("hil-info", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseHarnessInfo(*reply);
}

Result<std::vector<Layer>> DutLink::Layers() {
  Result<Reply> reply = AcceptedCommand("layers", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseLayers(*reply);
}

Status DutLink::LoadBuffer(const std::vector<uint8_t>& data) {
  const std::string load = "db load " + std::to_string(data.size());
  Result<Reply> reply = AcceptedCommand(load, options_.command_timeout);
  if (!reply.ok()) return reply.error();
  const std::string expecting = "m-[Expecting " + std::to_string(data.size()) + " bytes]";
  if (reply->lines.empty() || reply->lines.front() != expecting) {
    return InfrastructureError("reply to '" + load + "' does not follow the protocol: expected '" +
                               expecting + "'");
  }
  std::vector<std::string> chunks = DbChunkCommands(data);
  for (size_t i = 0; i < chunks.size(); ++i) {
    reply = AcceptedCommand(chunks[i], options_.command_timeout);
    if (!reply.ok()) return reply.error();
    bool last = i + 1 == chunks.size();
    bool done = !reply->lines.empty() && reply->lines.back() == "m-load-done";
    if (last != done) {
      return InfrastructureError(last ? "the DUT did not answer m-load-done after the last of " +
                                            std::to_string(data.size()) + " bytes"
                                      : "the DUT answered m-load-done early, after chunk " +
                                            std::to_string(i + 1) + " of " +
                                            std::to_string(chunks.size()));
    }
  }
  return OkStatus();
}

Result<std::vector<uint8_t>> DutLink::PrintBuffer() {
  Result<Reply> reply = AcceptedCommand("db print", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseBufferPrint(*reply);
}

Result<InferenceRun> DutLink::Infer(uint32_t inferences, uint32_t warmups, Milliseconds timeout) {
  const std::string command = "infer " + std::to_string(inferences) + " " + std::to_string(warmups);
  Result<Reply> reply = AcceptedCommand(command, timeout);
  if (!reply.ok()) return reply.error();
  return ParseInference(*reply, inferences, warmups);
}

Result<std::vector<float>> DutLink::Results() {
  Result<Reply> reply = AcceptedCommand("results", options_.command_timeout);
  if (!reply.ok()) return reply.error();
  return ParseResults(*reply);
}

Status DutLink::SetWindowStyle(WindowStyle style) {
  const std::string command = "hil-window " + std::string(WindowStyleName(style));
  Result<Reply> reply = AcceptedCommand(command, options_.command_timeout);
  if (!reply.ok()) return reply.error();
  if (reply->Bracketed("m-hil-window-") != std::string(WindowStyleName(style))) {
    return InfrastructureError("the DUT did not confirm window style " +
                               std::string(WindowStyleName(style)));
  }
  return OkStatus();
}

}  // namespace hil::dut
