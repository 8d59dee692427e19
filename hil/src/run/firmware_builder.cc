#include "hil/run/firmware_builder.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "drivers/flash/elf_image.h"
#include "hil/boards.h"
#include "hil/model/emit_c.h"
#include "hil/model/emit_tflm.h"
#include "hil/model/lowering.h"
#include "hil/process.h"

namespace hil::run {
namespace {

namespace fs = std::filesystem;

// A build step that takes longer than this is hung (a compiler stuck on a
// pathological input, a tool waiting for a lock that never frees): 15
// minutes, or $HIL_BUILD_STEP_LIMIT_S seconds.
std::chrono::milliseconds BuildStepLimit() {
  if (const char* text = std::getenv("HIL_BUILD_STEP_LIMIT_S"); text != nullptr) {
    const long seconds = std::strtol(text, nullptr, 10);
    if (seconds > 0) return std::chrono::seconds(seconds);
  }
  return std::chrono::minutes(15);
}

// Runs argv with stdout and stderr to log_path, in its own process group,
// which is killed whole when the step outlives the build step limit;
// returns the exit status, or an infrastructure error when it cannot be
// started or hung.
Result<int> RunLogged(const std::vector<std::string>& argv, const std::string& log_path) {
  const std::chrono::milliseconds limit = BuildStepLimit();
  Result<ChildOutcome> outcome = RunWithDeadline(argv, limit, log_path);
  if (!outcome.ok()) return outcome.error();
  if (outcome->timed_out) {
    return InfrastructureError(
        argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " ran over " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) +
        " s and was killed with its children (" + log_path + ")");
  }
  return outcome->status();
}

std::string Tail(const std::string& path, size_t lines) {
  std::ifstream file(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(file, line)) all.push_back(line);
  std::string text;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    text += "\n  " + all[i];
  }
  return text;
}

// A directory name for a configuration: readable, and unique per flags and
// per firmware source tree (two checkouts must not share a CMake cache).
std::string ConfigurationKey(const FirmwareRequest& request, const std::string& model_digest) {
  std::string key = request.optimisation.substr(request.optimisation.find_first_not_of('-'));
  if (!model_digest.empty()) {
    key = model_digest.substr(0, 12) + (request.framework == "tflm" ? "_tflm" : "") + "_" +
          request.kernels + "_" + std::string(ToText(request.number_format)) + "_" + key;
    if (!request.model_id.empty()) key += "_" + request.model_id;
  }
  if (!request.fpu) key += "_softfp";
  for (const std::string& define : request.defines) key += "_" + define;
  std::string safe;
  for (char c : key) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '-';
  if (safe.size() > 60) safe.resize(60);
  const std::string identity = std::string(HIL_FIRMWARE_SOURCE_DIR) + "\n" + key;
  return safe + "-" + std::to_string(std::hash<std::string>{}(identity) % 1000000007);
}

// An exclusive flock on FOLDER/build.lock, held while it lives.
class FolderLock {
 public:
  static Result<FolderLock> Take(const fs::path& folder) {
    const std::string path = (folder / "build.lock").string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return InfrastructureError("cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    return FolderLock(fd);
  }
  FolderLock(FolderLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FolderLock& operator=(FolderLock&&) = delete;
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

// The core flags a board's firmware is built with (BOARD_CPU_FLAGS in
// boards/BOARD/board.cmake) as a folder name:
// mcpu-cortex-m4-mfloat-abi-hard-mfpu-fpv4-sp-d16.
std::string CoreFlagsOf(const std::string& board) {
  std::ifstream file(std::string(HIL_FIRMWARE_SOURCE_DIR) + "/boards/" + board + "/board.cmake");
  const std::string prefix = "set(BOARD_CPU_FLAGS ";
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string name;
    for (const char c : line.substr(prefix.size(), line.find(')') - prefix.size())) {
      if (std::isalnum(static_cast<unsigned char>(c))) {
        name += c;
      } else if (!name.empty() && name.back() != '-') {
        name += '-';
      }
    }
    return name;
  }
  return board;  // no flags line: the board's own tree
}

}  // namespace

std::string TflmSourceRoot() {
  std::string root = HIL_TFLM_ROOT;
  if (const char* text = std::getenv("HIL_TFLM_ROOT"); text != nullptr && *text != '\0') {
    root = text;
  }
  if (root.empty()) return "";
  std::error_code error;
  const fs::path absolute = fs::weakly_canonical(root, error);
  if (error ||
      !fs::exists(absolute / "tflite-micro/tensorflow/lite/micro/micro_interpreter.cc", error)) {
    return "";
  }
  return absolute.string();
}

Result<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ConfigurationError("cannot read " + path);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  char buffer[65536];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    EVP_DigestUpdate(context, buffer, static_cast<size_t>(file.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

FirmwareBuilder::FirmwareBuilder(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {
  if (cache_dir_.empty()) {
    if (const char* dir = std::getenv("HIL_CACHE_DIR"); dir != nullptr && *dir != '\0') {
      cache_dir_ = dir;
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
      cache_dir_ = std::string(home) + "/.cache/hil";
    } else {
      cache_dir_ = (fs::temp_directory_path() / "hil-cache").string();
    }
  }
  // Absolute: the builds run in their own folders, and TFLM's libraries are
  // linked by path (a relative one would be read as a library name).
  std::error_code error;
  const fs::path absolute = fs::absolute(cache_dir_, error);
  if (!error) cache_dir_ = absolute.lexically_normal().string();
}

Result<std::string> FirmwareBuilder::CompileModel(
    const FirmwareRequest& request, const std::string& digest,
    const std::function<void(const std::string&)>& progress) {
  // Keyed by content, framework, number format and the compiler's output
  // format, so a newer hil never links sources an older one emitted.
  const bool as_float = request.number_format == model::NumberFormat::kFloat32;
  const bool tflm = request.framework == "tflm";
  const std::string suffix =
      std::string(tflm ? "-tflm" : "") + (as_float ? "-float32" : "-int8") + "-v" +
      std::to_string(tflm ? model::kEmitTflmFormatVersion : model::kEmitFormatVersion) +
      (request.model_id.empty() ? "" : "-" + request.model_id);
  const std::string model_dir =
      (fs::path(cache_dir_) / "models" / (digest.substr(0, 16) + suffix)).string();
  // The file each emitter writes last: a folder without it is incomplete.
  const std::string last_file = tflm ? "tflm_kernels.txt" : "model_data.c";
  if (fs::exists(fs::path(model_dir) / last_file)) return model_dir;
  if (progress) progress("compiling " + request.model + (tflm ? " for TFLM" : ""));
  // Written aside and renamed into place: an entry exists whole or not at
  // all, so a compile killed halfway is never trusted later, and two
  // writers at once leave one complete entry.
  const std::string staging = model_dir + ".partial-" + std::to_string(::getpid()) + "-" +
                              std::to_string(reinterpret_cast<uintptr_t>(&request));
  std::error_code ignored;
  fs::remove_all(staging, ignored);
  const std::string id =
      request.model_id.empty() ? fs::path(request.model).stem().string() : request.model_id;
  if (tflm) {
    HIL_RETURN_IF_ERROR(model::EmitTflmFile(
        request.model, id, as_float ? model::NumberFormat::kFloat32 : model::NumberFormat::kInt8,
        staging));
  } else {
    Result<std::unique_ptr<model::LoweredModel>> lowered = model::LowerFile(
        request.model, id, as_float ? model::NumberFormat::kFloat32 : model::NumberFormat::kInt8);
    if (!lowered.ok()) return lowered.error().WithContext(request.model);
    HIL_RETURN_IF_ERROR(model::EmitC(**lowered, staging));
  }
  // A folder without its last file is what the old, unstaged writer left
  // when killed: never an entry.
  if (!fs::exists(fs::path(model_dir) / last_file)) fs::remove_all(model_dir, ignored);
  std::error_code moved;
  fs::rename(staging, model_dir, moved);
  if (moved) {
    fs::remove_all(staging, ignored);
    if (!fs::exists(fs::path(model_dir) / last_file)) {
      return InfrastructureError("cannot place the compiled model in " + model_dir + ": " +
                                 moved.message());
    }
  }
  return model_dir;
}

Result<std::vector<std::string>> FirmwareBuilder::BuildTflm(
    const FirmwareRequest& request, const std::string& model_dir,
    const std::function<void(const std::string&)>& progress) {
  const std::string root = TflmSourceRoot();
  if (root.empty()) {
    return ConfigurationError(
        "framework tflm needs TensorFlow Lite Micro's sources, and this hil was configured "
        "without them: reconfigure with -DHIL_TFLM_SOURCE_DIR=DIR (a tree laid out as "
        "../shared/third_party, see README), or let CMake fetch the pinned commits, or set "
        "HIL_TFLM_ROOT=DIR");
  }
  std::vector<std::string> groups;
  {
    std::ifstream list(fs::path(model_dir) / "tflm_kernels.txt");
    std::string group;
    while (std::getline(list, group)) {
      if (!group.empty()) groups.push_back(group);
    }
  }
  // One library tree per core, optimisation and FPU setting (and source
  // trees): boards with the same core flags share it (every hardware board
  // has an emulated twin), and both kernel sets live in it, sharing the
  // interpreter.
  std::string key = CoreFlagsOf(request.board) + "_" +
                    request.optimisation.substr(request.optimisation.find_first_not_of('-')) +
                    (request.fpu ? "" : "_softfp");
  std::string safe;
  for (char c : key) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '-';
  const std::string identity = std::string(HIL_FIRMWARE_SOURCE_DIR) + "\n" + root + "\n" + key;
  const fs::path dir =
      fs::path(cache_dir_) / "tflm" /
      (safe + "-" + std::to_string(std::hash<std::string>{}(identity) % 1000000007));
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return InfrastructureError("cannot create " + dir.string() + ": " + error.message());
  Result<FolderLock> lock = FolderLock::Take(dir);
  if (!lock.ok()) return lock.error();

  std::vector<std::string> targets;
  const std::string set = request.kernels == "cmsis-nn" ? "cmsis-nn" : "reference";
  for (const std::string& group : groups) targets.push_back("tflm_" + set + "_" + group);
  targets.push_back("tflm_core");
  if (set == "cmsis-nn") targets.push_back("cmsis_nn");
  std::vector<std::string> libraries;
  size_t missing = 0;
  for (const std::string& target : targets) {
    libraries.push_back((dir / ("lib" + target + ".a")).string());
    if (!fs::exists(libraries.back())) ++missing;
  }
  const std::string log = (dir / "build.log").string();
  std::ofstream(log, std::ios::trunc).close();
  const auto started = std::chrono::steady_clock::now();
  if (missing != 0 && progress) {
    progress("building TFLM (" + set + " kernels, " + std::to_string(missing) + " of " +
             std::to_string(targets.size()) + " libraries) for " + request.board + " with " +
             request.optimisation + " (log " + log + ")");
  }
  if (!fs::exists(dir / "build.ninja")) {
    Result<int> configured = RunLogged(
        {"cmake", "-S", HIL_FIRMWARE_SOURCE_DIR "/tflm", "-B", dir.string(), "-G", "Ninja",
         "-DCMAKE_TOOLCHAIN_FILE=" HIL_FIRMWARE_SOURCE_DIR "/toolchain/arm-none-eabi.cmake",
         "-DCMAKE_BUILD_TYPE=Release", "-DHIL_TFLM_ROOT=" + root,
         "-DHIL_TFLM_BOARD=" + request.board, "-DHIL_FW_OPT=" + request.optimisation,
         std::string("-DHIL_FW_FPU=") + (request.fpu ? "ON" : "OFF")},
        log);
    if (!configured.ok()) return configured.error();
    if (*configured != 0) {
      std::error_code ignored;
      fs::remove(dir / "build.ninja", ignored);  // configure again next time
      return ConfigurationError("configuring TFLM from " + root + " failed (" + log +
                                "):" + Tail(log, 8));
    }
  }
  std::vector<std::string> build = {"cmake", "--build", dir.string(), "--target"};
  build.insert(build.end(), targets.begin(), targets.end());
  Result<int> built = RunLogged(build, log);
  if (!built.ok()) return built.error();
  if (*built != 0) {
    return ConfigurationError("TFLM does not build for " + request.board + " with " +
                              request.optimisation + " (" + log + "):" + Tail(log, 12));
  }
  if (missing != 0 && progress) {
    char seconds[32];
    std::snprintf(
        seconds, sizeof seconds, "%.1f",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    progress("built TFLM for " + request.board + " " + request.optimisation + " (" + set +
             " kernels: " + std::to_string(groups.size()) + " kernel groups) in " + seconds + " s");
  }
  return libraries;
}

Result<std::string> FirmwareBuilder::Build(
    const FirmwareRequest& request, const std::function<void(const std::string&)>& progress) {
  // A model is compiled once per file content, into the cache.
  std::string model_digest, model_dir;
  if (!request.model.empty()) {
    Result<std::string> digest = Sha256OfFile(request.model);
    if (!digest.ok()) return digest.error();
    model_digest = *digest;
    Result<std::string> compiled = CompileModel(request, model_digest, progress);
    if (!compiled.ok()) return compiled.error();
    model_dir = *compiled;
  }
  std::string tflm_libraries;
  if (request.framework == "tflm") {
    Result<std::vector<std::string>> libraries = BuildTflm(request, model_dir, progress);
    if (!libraries.ok()) return libraries.error();
    for (const std::string& library : *libraries)
      tflm_libraries += (tflm_libraries.empty() ? "" : ";") + library;
  }
  const fs::path dir =
      fs::path(cache_dir_) / "firmware" / ConfigurationKey(request, model_digest) / request.board;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return InfrastructureError("cannot create " + dir.string() + ": " + error.message());
  // One build per folder at a time: two benches asking for the same
  // configuration wait for each other instead of writing one tree at once.
  Result<FolderLock> lock = FolderLock::Take(dir);
  if (!lock.ok()) return lock.error();
  const std::string log = (dir / "build.log").string();
  std::ofstream(log, std::ios::trunc).close();  // this build's messages only
  std::string defines;
  for (const std::string& define : request.defines)
    defines += (defines.empty() ? "" : ";") + define;
  const std::string target = request.board + "-" + request.workload;
  const fs::path elf = dir / request.board / ("harness-" + request.workload + ".elf");
  // An image already in the cache is checked by the build (nothing to do
  // unless a source changed), so only a missing one is announced as a build.
  std::error_code unknown;
  const bool cached = fs::exists(elf);
  const fs::file_time_type cached_at =
      cached ? fs::last_write_time(elf, unknown) : fs::file_time_type();
  if (progress && !cached)
    progress("building " + target + " with " + request.optimisation + " (log " + log + ")");
  Result<int> configured =
      RunLogged({"cmake",
                 "-S",
                 HIL_FIRMWARE_SOURCE_DIR,
                 "-B",
                 dir.string(),
                 "-G",
                 "Ninja",
                 "-DCMAKE_TOOLCHAIN_FILE=" HIL_FIRMWARE_SOURCE_DIR "/toolchain/arm-none-eabi.cmake",
                 "-DCMAKE_BUILD_TYPE=Release",
                 "-DHIL_FW_OPT=" + request.optimisation,
                 "-DHIL_FW_DEFINES=" + defines,
                 "-DHIL_FW_QEMU_BOARDS=" + request.board,
                 "-DHIL_FW_MODEL_DIR=" + model_dir,
                 "-DHIL_FW_FRAMEWORK=" + request.framework,
                 "-DHIL_FW_KERNELS=" + request.kernels,
                 "-DHIL_TFLM_ROOT=" + TflmSourceRoot(),
                 "-DHIL_FW_TFLM_LIBS=" + tflm_libraries,
                 std::string("-DHIL_FW_FPU=") + (request.fpu ? "ON" : "OFF"),
                 "-DHIL_FW_HARDWARE_BOARDS=",
                 "-DHIL_FW_SCALING_BOARDS="},
                log);
  if (!configured.ok()) return configured.error();
  if (*configured != 0) {
    return InfrastructureError("configuring the firmware build failed (" + log +
                               "):" + Tail(log, 8));
  }
  Result<int> built = RunLogged({"cmake", "--build", dir.string(), "--target", target}, log);
  if (!built.ok()) return built.error();
  if (*built != 0) {
    // The build worked with the default flags, so the configuration's
    // flags or definitions broke it: the user's input.
    return ConfigurationError("the firmware does not build with " + request.optimisation +
                              (defines.empty() ? "" : " -D" + defines) + " (" + log +
                              "):" + Tail(log, 12));
  }
  if (progress && cached) {
    const bool rebuilt = fs::last_write_time(elf, unknown) != cached_at;
    progress((rebuilt ? "rebuilt " : "firmware ") + target + " with " + request.optimisation +
             (rebuilt ? " (its sources changed; log " + log + ")" : " (cached)"));
  }
  return elf.string();
}

Result<Firmware> FirmwareBuilder::Provide(const FirmwareRequest& request,
                                          const std::function<void(const std::string&)>& progress) {
  Firmware firmware;
  if (!request.prebuilt.empty()) {
    firmware.elf = request.prebuilt;
  } else if (request.model.empty() && request.optimisation == "-O2" && request.defines.empty() &&
             request.fpu) {
    firmware.elf = HarnessImagePath(request.board, request.workload);
    if (!fs::exists(firmware.elf)) {
      return ConfigurationError("no firmware image " + firmware.elf +
                                ": build the firmware first (./setup.sh)");
    }
  } else {
    Result<std::string> elf = Build(request, progress);
    if (!elf.ok()) return elf.error();
    firmware.elf = *elf;
    firmware.built_now = true;
  }
  Result<flash::ElfImage> image = flash::ReadElfImage(firmware.elf);
  if (!image.ok()) return image.error();
  firmware.text_bytes = image->text_bytes;
  firmware.data_bytes = image->data_bytes;
  firmware.bss_bytes = image->bss_bytes;
  Result<std::string> digest = Sha256OfFile(firmware.elf);
  if (!digest.ok()) return digest.error();
  firmware.sha256 = *digest;
  return firmware;
}

}  // namespace hil::run
