// For fuzz targets whose reader takes a path: the input, written to one
// file per process that each run overwrites.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

inline std::string FuzzInputFile(const uint8_t* data, size_t size, const char* suffix) {
  const std::string path = "/tmp/hil-fuzz-" + std::to_string(::getpid()) + suffix;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return "";
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  return path;
}
