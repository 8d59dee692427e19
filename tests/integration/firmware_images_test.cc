// Every board's firmware image is built, is a Cortex-M ELF that boots from
// its board's flash, and appears in the size table the build prints.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "drivers/flash/elf_image.h"
#include "hil/boards.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

using flash::ElfImage;
using flash::ElfSymbol;
using flash::ReadElfImage;

// Every board profile: its memory (from the datasheet) must be where the
// board's memory.ld put the image.
std::vector<const BoardSpec*> Profiles() {
  std::vector<const BoardSpec*> boards;
  for (const BoardSpec& board : AllBoards()) boards.push_back(&board);
  return boards;
}

class FirmwareImageTest : public ::testing::TestWithParam<const BoardSpec*> {};

TEST_P(FirmwareImageTest, IsAThumbElfWithAVectorTableInFlash) {
  const BoardSpec& layout = *GetParam();
  const std::string path = BuiltImage(std::string(layout.name), "mb-conv3x3");
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file.good()) << "not built: " << path;
  std::stringstream content;
  content << file.rdbuf();
  const std::string bytes = content.str();
  ASSERT_GE(bytes.size(), sizeof(Elf32_Ehdr));
  Elf32_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  ASSERT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS32);
  EXPECT_EQ(header.e_machine, EM_ARM);
  // Thumb entry point (bit 0 set) inside the board's flash.
  EXPECT_EQ(header.e_entry & 1u, 1u);
  EXPECT_GE(header.e_entry, layout.flash_base);
  EXPECT_LT(header.e_entry, layout.flash_base + layout.flash_bytes);

  // The first loadable segment starts at the flash base with the vector
  // table: initial stack pointer at the top of RAM, then the reset handler.
  bool found = false;
  for (int i = 0; i < header.e_phnum && !found; ++i) {
    Elf32_Phdr segment;
    std::memcpy(&segment, bytes.data() + header.e_phoff + i * header.e_phentsize, sizeof(segment));
    if (segment.p_type != PT_LOAD || segment.p_paddr != layout.flash_base) continue;
    found = true;
    uint32_t vectors[2];
    std::memcpy(vectors, bytes.data() + segment.p_offset, sizeof(vectors));
    EXPECT_EQ(vectors[0], layout.ram_base + layout.ram_bytes);
    EXPECT_EQ(vectors[1], header.e_entry);
  }
  EXPECT_TRUE(found) << "no loadable segment at the flash base";
}

TEST_P(FirmwareImageTest, AppearsInTheBuildSizeTable) {
  std::ifstream table(std::string(HIL_FIRMWARE_BUILD_DIR) + "/sizes.txt");
  ASSERT_TRUE(table.good());
  std::string line;
  bool listed = false;
  const std::string image = "/" + std::string(GetParam()->name) + "/harness-mb-conv3x3.elf";
  while (std::getline(table, line)) {
    if (line.find(image) == std::string::npos) continue;
    std::istringstream fields(line);
    unsigned long text = 0, data = 0, bss = 0;
    fields >> text >> data >> bss;
    EXPECT_GT(text, 1000u) << line;
    EXPECT_GT(bss, 0u) << line;
    listed = true;
  }
  EXPECT_TRUE(listed) << image << " missing from sizes.txt";
}

TEST_P(FirmwareImageTest, ElfReaderAgreesWithTheBuildSizeTableAndFindsSymbols) {
  const std::string image = BuiltImage(std::string(GetParam()->name), "mb-conv3x3");
  Result<ElfImage> elf = ReadElfImage(image);
  ASSERT_TRUE(elf.ok()) << elf.error().ToString();
  std::ifstream table(std::string(HIL_FIRMWARE_BUILD_DIR) + "/sizes.txt");
  std::string line;
  bool compared = false;
  while (std::getline(table, line)) {
    if (line.find(image) == std::string::npos) continue;
    std::istringstream fields(line);
    uint64_t text = 0, data = 0, bss = 0;
    fields >> text >> data >> bss;
    EXPECT_EQ(elf->text_bytes, text);
    EXPECT_EQ(elf->data_bytes, data);
    EXPECT_EQ(elf->bss_bytes, bss);
    compared = true;
  }
  EXPECT_TRUE(compared);
  std::optional<ElfSymbol> main_function = elf->Find("main");
  ASSERT_TRUE(main_function.has_value());
  EXPECT_GT(main_function->size, 0u);
  EXPECT_EQ(main_function->address & 1u, 0u);  // Thumb bit removed
}

INSTANTIATE_TEST_SUITE_P(AllBoards, FirmwareImageTest, ::testing::ValuesIn(Profiles()),
                         [](const ::testing::TestParamInfo<const BoardSpec*>& param) {
                           std::string name(param.param->name);
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(FirmwareImageTest, ElfReaderRejectsWhatIsNotAnElf) {
  Result<ElfImage> text = ReadElfImage(std::string(HIL_SHARED_DIR) + "/docs/design.md");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(text.error().message().find("not an ELF file"), std::string::npos);
  EXPECT_FALSE(ReadElfImage("/nonexistent.elf").ok());
}

TEST(FirmwareImageTest, EveryEmulatedImageHasThePinWriterTheEnergyPluginWatches) {
  for (const char* board : kQemuBoards) {
    Result<ElfImage> elf = ReadElfImage(BuiltImage(board, "mb-conv3x3"));
    ASSERT_TRUE(elf.ok());
    std::optional<ElfSymbol> writer = elf->Find("emulated_pins_write");
    ASSERT_TRUE(writer.has_value()) << board;
    EXPECT_GT(writer->size, 0u);
  }
}

TEST(FirmwareImageTest, EveryMicrobenchmarkIsBuiltForEveryEmulatedBoard) {
  for (const char* board : kQemuBoards) {
    for (std::string_view workload : MicrobenchWorkloads()) {
      std::ifstream file(BuiltImage(board, std::string(workload)));
      EXPECT_TRUE(file.good()) << board << " " << workload;
    }
  }
}

}  // namespace
}  // namespace hil::testing
