#include "progress_output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace hil::cli {

run::ProgressPrinter StderrProgress(bool quiet) {
  using Mode = run::ProgressPrinter::Mode;
  if (quiet) return run::ProgressPrinter(Mode::kQuiet, stderr);
  const char* term = std::getenv("TERM");
  const bool terminal =
      ::isatty(STDERR_FILENO) != 0 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
  if (!terminal) return run::ProgressPrinter(Mode::kLog, stderr);
  winsize size{};
  const size_t width =
      ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
  return run::ProgressPrinter(Mode::kTerminal, stderr, width);
}

}  // namespace hil::cli
