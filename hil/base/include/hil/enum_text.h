// Enums that files, reports and messages spell as words. Each enum says its
// words once, beside its declaration, by specialising EnumText:
//
//   enum class Flasher { kOpenOcd, kQemu, kNone };
//   template <> struct EnumText<Flasher> {
//     static constexpr std::pair<Flasher, std::string_view> kWords[] = {
//         {Flasher::kOpenOcd, "openocd"}, {Flasher::kQemu, "qemu"}, {Flasher::kNone, "none"}};
//   };
//
// and everything else maps through ToText, FromText and EnumWords.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hil {

template <typename E>
struct EnumText;

template <typename E>
constexpr std::string_view ToText(E value) {
  for (const auto& [each, word] : EnumText<E>::kWords) {
    if (each == value) return word;
  }
  return "?";
}

template <typename E>
std::optional<E> FromText(std::string_view text) {
  for (const auto& [each, word] : EnumText<E>::kWords) {
    if (word == text) return each;
  }
  return std::nullopt;
}

// Every word, in declaration order: for choices in files and --help.
template <typename E>
std::vector<std::string> EnumWords() {
  std::vector<std::string> words;
  for (const auto& entry : EnumText<E>::kWords) words.emplace_back(entry.second);
  return words;
}

}  // namespace hil
