// report.html as a person sees it: rendered by Debian's headless Chromium to
// a PNG, whose pixels must show the plots (the trace's line, the layer
// bands, the energy bars, the scatter's points).
#include <gtest/gtest.h>
#include <png.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli_runner.h"
#include "virtual_bench.h"

namespace hil::testing {
namespace {

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // 3 bytes per pixel
};

// Decodes a PNG with libpng's simplified API.
bool ReadPng(const std::string& path, Image& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) return false;
  png.format = PNG_FORMAT_RGB;
  image.width = png.width;
  image.height = png.height;
  image.rgb.resize(PNG_IMAGE_SIZE(png));
  const bool ok = png_image_finish_read(&png, nullptr, image.rgb.data(), 0, nullptr) != 0;
  png_image_free(&png);
  return ok;
}

// Pixels within a small distance of a colour (anti-aliasing aside).
size_t PixelsNear(const Image& image, uint32_t colour) {
  const int r = colour >> 16 & 0xFF, g = colour >> 8 & 0xFF, b = colour & 0xFF;
  size_t count = 0;
  for (size_t i = 0; i + 2 < image.rgb.size(); i += 3) {
    if (std::abs(image.rgb[i] - r) + std::abs(image.rgb[i + 1] - g) +
            std::abs(image.rgb[i + 2] - b) <
        24)
      ++count;
  }
  return count;
}

TEST(ReportRender, TheReportShowsItsPlotsInHeadlessChromium) {
  ScratchFolder scratch;
  const std::string out = scratch.File("qs");
  const CliRun run = RunHil("run " CMAKE_SOURCE_DIR "/testplans/quickstart.yaml --out " + out +
                            " --firmware-cache " + scratch.File("cache"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string html = out + "/report.html";
  ASSERT_TRUE(std::filesystem::exists(html));
  {
    std::ifstream file(html);
    const std::string text((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("<script"), std::string::npos) << "self-contained: no scripts";
    EXPECT_EQ(text.find("http://"), text.find("http://www.w3.org")) << "no network resources";
  }
  ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0)
      << "Debian's chromium is not installed: run ./setup.sh";
  const std::string png = scratch.File("report.png");
  const std::string command =
      "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--user-data-dir=" +
      scratch.File("chromium-profile") + " --window-size=1280,3000 --screenshot=" + png +
      " file://" + html + " >" + scratch.File("chromium.log") + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << "see " << scratch.File("chromium.log");
  Image image;
  ASSERT_TRUE(ReadPng(png, image)) << png;
  EXPECT_EQ(image.width, 1280u);
  EXPECT_EQ(image.height, 3000u);
  // The plots' own colours, in amounts only drawn plots give.
  const size_t blue = PixelsNear(image, 0x1f6fb4);    // trace lines, latency bars, points
  const size_t orange = PixelsNear(image, 0xe0701a);  // energy bars, points
  const size_t band = PixelsNear(image, 0xdbeafe);    // the layer bands behind the trace
  const size_t pass = PixelsNear(image, 0x2a9d3a);    // status badges
  std::printf("pixels: blue %zu, orange %zu, layer bands %zu, pass badges %zu\n", blue, orange,
              band, pass);
  EXPECT_GT(blue, 5000u);
  EXPECT_GT(orange, 5000u);
  EXPECT_GT(band, 50000u);
  EXPECT_GT(pass, 500u);
}

}  // namespace
}  // namespace hil::testing
