#include "drivers/flash/elf_image.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace hil::flash {
namespace {

template <typename T>
bool ReadAt(const std::vector<char>& bytes, uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

}  // namespace

std::optional<ElfSymbol> ElfImage::Find(const std::string& name) const {
  for (const ElfSymbol& symbol : symbols) {
    if (symbol.name == name) return symbol;
  }
  return std::nullopt;
}

Result<ElfImage> ReadElfImage(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError("cannot read firmware image " + path);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
  auto malformed = [&](const std::string& what) {
    return ConfigurationError("firmware image " + path + ": " + what);
  };
  Elf32_Ehdr header;
  if (!ReadAt(bytes, 0, header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return malformed("not an ELF file");
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS32 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return malformed("not a 32-bit little-endian ELF file");
  }
  ElfImage image;
  image.machine = header.e_machine;
  image.entry = header.e_entry;

  std::vector<Elf32_Shdr> sections(header.e_shnum);
  for (size_t i = 0; i < sections.size(); ++i) {
    if (!ReadAt(bytes, header.e_shoff + i * header.e_shentsize, sections[i])) {
      return malformed("truncated section headers");
    }
  }
  for (const Elf32_Shdr& section : sections) {
    if (!(section.sh_flags & SHF_ALLOC)) continue;
    // Berkeley sizes: code and read-only data are text, loaded writable
    // data is data, NOBITS is bss.
    if (section.sh_type == SHT_NOBITS) {
      image.bss_bytes += section.sh_size;
    } else if (section.sh_flags & SHF_WRITE) {
      image.data_bytes += section.sh_size;
    } else {
      image.text_bytes += section.sh_size;
    }
  }
  for (const Elf32_Shdr& section : sections) {
    if (section.sh_type != SHT_SYMTAB || section.sh_link >= sections.size()) continue;
    const Elf32_Shdr& strings = sections[section.sh_link];
    for (uint64_t offset = 0; offset + sizeof(Elf32_Sym) <= section.sh_size;
         offset += sizeof(Elf32_Sym)) {
      Elf32_Sym symbol;
      if (!ReadAt(bytes, section.sh_offset + offset, symbol)) return malformed("truncated symbols");
      if (symbol.st_name >= strings.sh_size) continue;
      const char* name = bytes.data() + strings.sh_offset + symbol.st_name;
      const size_t room = strings.sh_size - symbol.st_name;
      const size_t length = strnlen(name, room);
      if (length == 0 || length == room) continue;
      uint32_t address = symbol.st_value;
      if (ELF32_ST_TYPE(symbol.st_info) == STT_FUNC) address &= ~1u;
      image.symbols.push_back({std::string(name, length), address, symbol.st_size});
    }
  }
  return image;
}

}  // namespace hil::flash
