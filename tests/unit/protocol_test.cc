#include "drivers/dut/protocol.h"

#include <gtest/gtest.h>

namespace hil::dut {
namespace {

Reply MakeReply(std::string command, std::vector<std::string> lines) {
  Reply reply;
  reply.command = std::move(command);
  reply.lines = std::move(lines);
  return reply;
}

TEST(ProtocolTest, ClassifiesLines) {
  EXPECT_EQ(ClassifyLine("m-ready"), LineKind::kReady);
  EXPECT_EQ(ClassifyLine("e-[unknown command: x]"), LineKind::kError);
  EXPECT_EQ(ClassifyLine("m-init-done"), LineKind::kBoot);
  EXPECT_EQ(ClassifyLine("m-timestamp-mode-energy"), LineKind::kBoot);
  EXPECT_EQ(ClassifyLine("m-name-dut-[x]"), LineKind::kProtocol);
  EXPECT_EQ(ClassifyLine("help        : print this list"), LineKind::kText);
  EXPECT_EQ(ClassifyLine("m-readyx"), LineKind::kProtocol);
}

TEST(ProtocolTest, ParsesAnInferenceWithEveryMarkerInOrder) {
  Reply reply = MakeReply("infer 3 1", {
                                           "m-warmup-start-1",
                                           "m-warmup-done",
                                           "m-infer-start-3",
                                           "m-lap-us-100",
                                           "m-lap-us-400",
                                           "m-hil-inference-us-[99,100,101]",
                                           "m-infer-done",
                                           "m-results-[0.500,-1.250]",
                                       });
  Result<InferenceRun> run = ParseInference(reply, 3, 1);
  ASSERT_TRUE(run.ok()) << run.error().message();
  EXPECT_EQ(*run->lap_start_us, 100u);
  EXPECT_EQ(*run->lap_end_us, 400u);
  EXPECT_EQ(run->inference_us, (std::vector<uint32_t>{99, 100, 101}));
  ASSERT_EQ(run->results.size(), 2u);
  EXPECT_FLOAT_EQ(run->results[0], 0.5f);
  EXPECT_FLOAT_EQ(run->results[1], -1.25f);
}

TEST(ProtocolTest, MissingOrReorderedMarkersAreInfrastructureErrors) {
  Reply missing = MakeReply(
      "infer 1 0", {"m-warmup-start-0", "m-warmup-done", "m-infer-start-1", "m-results-[1.000]"});
  Result<InferenceRun> run = ParseInference(missing, 1, 0);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(run.error().message().find("m-infer-done"), std::string::npos);

  Reply reordered = MakeReply("infer 1 0", {"m-infer-start-1", "m-warmup-start-0", "m-warmup-done",
                                            "m-infer-done", "m-results-[1.000]"});
  EXPECT_FALSE(ParseInference(reordered, 1, 0).ok());

  Reply wrong_count =
      MakeReply("infer 2 0", {"m-warmup-start-0", "m-warmup-done", "m-infer-start-1",
                              "m-infer-done", "m-results-[1.000]"});
  EXPECT_FALSE(ParseInference(wrong_count, 2, 0).ok());
}

TEST(ProtocolTest, ParsesBufferPrintAndRejectsMalformedBytes) {
  Reply reply = MakeReply("db print", {"m-buffer-0x0a-0xff", "m-buffer-0x00"});
  Result<std::vector<uint8_t>> bytes = ParseBufferPrint(reply);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x0a, 0xff, 0x00}));

  EXPECT_FALSE(ParseBufferPrint(MakeReply("db print", {"m-buffer-0x0g"})).ok());
  EXPECT_FALSE(ParseBufferPrint(MakeReply("db print", {"m-buffer-0x01+0x02"})).ok());
}

TEST(ProtocolTest, ParsesLayersAndChecksTheCount) {
  Reply reply = MakeReply("layers", {"m-layer-count-[2]", "m-layer-[0,conv_2d_3x3,36864]",
                                     "m-layer-[1,fully_connected,64]"});
  Result<std::vector<Layer>> layers = ParseLayers(reply);
  ASSERT_TRUE(layers.ok()) << layers.error().message();
  ASSERT_EQ(layers->size(), 2u);
  EXPECT_EQ((*layers)[1].op, "fully_connected");
  EXPECT_EQ((*layers)[0].macs, 36864u);

  Reply short_reply = MakeReply("layers", {"m-layer-count-[3]", "m-layer-[0,conv,1]"});
  EXPECT_FALSE(ParseLayers(short_reply).ok());
}

TEST(ProtocolTest, HarnessInfoNeedsEveryField) {
  std::vector<std::string> lines = {
      "m-hil-info-protocol-[1]",        "m-hil-info-board-[mps2-an386]",
      "m-hil-info-core-[cortex-m4]",    "m-hil-info-clock-hz-[25000000]",
      "m-hil-info-workload-[mb-dense]", "m-hil-info-kernels-[reference]",
      "m-hil-info-build-[-O2]",         "m-hil-info-window-[per-inference]",
      "m-hil-info-db-capacity-[32768]", "m-hil-info-input-bytes-[8]",
  };
  Result<HarnessInfo> info = ParseHarnessInfo(MakeReply("hil-info", lines));
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->clock_hz, 25000000u);
  EXPECT_EQ(info->build_flags, "-O2");

  lines.erase(lines.begin() + 3);
  Result<HarnessInfo> missing = ParseHarnessInfo(MakeReply("hil-info", lines));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("m-hil-info-clock-hz-"), std::string::npos);
}

TEST(ProtocolTest, DbChunksCarryThirtyOneBytesEach) {
  std::vector<uint8_t> data(70);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  std::vector<std::string> chunks = DbChunkCommands(data);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), 3u + 62u);
  EXPECT_EQ(chunks[2], "db 3e3f404142434445");
  for (const std::string& chunk : chunks) EXPECT_LT(chunk.size() + 1, kMaxCommandBytes);
}

}  // namespace
}  // namespace hil::dut
