// What kind of bench a plan or bench file describes, and how firmware gets
// onto its DUT, with the words files use for them.
#pragma once

#include "hil/enum_text.h"

namespace hil {

enum class BenchKind {
  kVirtual,  // QEMU with the energy model and virtual probes
  kReal,     // a board, its debug probe, UART and power monitor
};

enum class Flasher {
  kOpenOcd,  // OpenOCD (on the virtual bench, through its virtual debug probe)
  kQemu,     // virtual only: QEMU loads the image itself (-kernel)
  kNone,     // real only: the DUT already runs the harness, flashed outside hil
};

template <>
struct EnumText<BenchKind> {
  static constexpr std::pair<BenchKind, std::string_view> kWords[] = {
      {BenchKind::kVirtual, "virtual"}, {BenchKind::kReal, "real"}};
};

template <>
struct EnumText<Flasher> {
  static constexpr std::pair<Flasher, std::string_view> kWords[] = {
      {Flasher::kOpenOcd, "openocd"}, {Flasher::kQemu, "qemu"}, {Flasher::kNone, "none"}};
};

}  // namespace hil
