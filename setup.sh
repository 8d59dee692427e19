#!/usr/bin/env bash
# Sets up a Debian 12 machine for hil and builds everything:
#   1. installs the Debian packages hil needs (apt-get, as root or via sudo),
#      skipping apt entirely when they are all present;
#   2. configures and builds the host tools and the DUT firmware in build/.
# Safe to run again at any time.
#
# Options:
#   --packages-only   install packages, do not build
#   --build-dir DIR   build somewhere else than ./build
#   --sanitize LIST   build the host code with sanitizers, e.g. address,undefined
#   -- ARGS...        pass the rest to cmake, e.g. -- -DHIL_PREBUILT_FIRMWARE_DIR=build/firmware
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$here/build"
packages_only=0
sanitize=""
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; cmake_args=("$@"); break ;;
    --packages-only) packages_only=1 ;;
    --build-dir) build_dir="$2"; shift ;;
    --sanitize) sanitize="$2"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Every package the code, the tests and the firmware build use.
packages=(
  # host toolchain and build
  g++ cmake ninja-build pkg-config clang-format git
  # DUT firmware and the virtual bench
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi
  qemu-system-arm
  # flashing and hardware access
  openocd libserialport-dev libusb-1.0-0-dev libgpiod-dev
  # host libraries
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev libssl-dev
  # a lab's shared queue and results (hil/daemon/LAB.md): libpq, and the server the tests start
  libpq-dev postgresql
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev umockdev libumockdev-dev libxml2-utils
  # pyserial: the serial-port tests and tools/mlperf/run_on_pty.py
  python3-serial
  # the HTML report's rendering test: a headless browser and a PNG reader
  chromium libpng-dev
  # models: the flatbuffers reader; clang's libFuzzer for the fuzz targets
  libflatbuffers-dev clang libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
  case "$package" in \#*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#packages[@]} Debian packages are installed"
else
  echo "setup.sh: installing ${#missing[@]} Debian packages: ${missing[*]}"
  run_as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
      run_as_root=(sudo)
    else
      echo "setup.sh: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
      exit 3
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${run_as_root[@]}" apt-get update -q
  "${run_as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ "$packages_only" -eq 1 ] && exit 0

echo "setup.sh: configuring and building in $build_dir"
# TensorFlow Lite Micro from the pinned local tree when there is one (CI,
# offline machines); otherwise CMake fetches the same commits.
tflm_sources=()
if [ -d "$here/../shared/third_party/tflite-micro" ]; then
  tflm_sources=(-DHIL_TFLM_SOURCE_DIR="$here/../shared/third_party")
fi
cmake -S "$here" -B "$build_dir" -G Ninja -DHIL_SANITIZE="$sanitize" "${tflm_sources[@]}" \
  "${cmake_args[@]}"
cmake --build "$build_dir"
echo "setup.sh: done. Try: $build_dir/bin/hil dut --board mps2-an386"
