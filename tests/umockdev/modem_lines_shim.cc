// umockdev backs an emulated ttyACM device with a pty, and ptys have no
// modem-control lines: TIOCMGET and friends fail with ENOTTY, which
// libserialport's open refuses (protocols.md section 6). A real CDC-ACM port
// has them. This test-only interposer, linked into the umockdev test binary
// alone, answers those four requests with a plausible line state when the
// kernel refuses them, and passes every other ioctl on (to umockdev's
// preload library, then libc).
#include <dlfcn.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdarg>

namespace {

int modem_bits = TIOCM_DSR | TIOCM_CTS | TIOCM_CD;

using IoctlFunction = int (*)(int, unsigned long, ...);

IoctlFunction NextIoctl() {
  static IoctlFunction next = reinterpret_cast<IoctlFunction>(dlsym(RTLD_NEXT, "ioctl"));
  return next;
}

}  // namespace

extern "C" int ioctl(int fd, unsigned long request, ...) {
  va_list arguments;
  va_start(arguments, request);
  void* argument = va_arg(arguments, void*);
  va_end(arguments);
  const int result = NextIoctl()(fd, request, argument);
  if (result == 0 || errno != ENOTTY) return result;
  int* bits = static_cast<int*>(argument);
  switch (request) {
    case TIOCMGET:
      *bits = modem_bits;
      return 0;
    case TIOCMSET:
      modem_bits = *bits;
      return 0;
    case TIOCMBIS:
      modem_bits |= *bits;
      return 0;
    case TIOCMBIC:
      modem_bits &= ~*bits;
      return 0;
    default:
      return result;
  }
}
