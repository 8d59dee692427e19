// report.html as a person sees it: rendered by Debian's headless Chromium to
// a PNG, whose pixels must show the plots (the trace's line, the layer
// bands, the energy bars, the scatter's points); and laid out at a wide and
// a narrow window, where no text may overlap another or leave its plot,
// nothing may push the page sideways, and the plots must use the width.
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

// Measures the page's layout inside Chromium and writes what it finds, as
// JSON, into a <pre id="layout">: every pair of overlapping texts in a plot,
// a text outside its plot, a table cell whose content overflows it, a page
// wider than the window; and how much of the body's width the plots span.
constexpr const char* kLayoutProbe = R"(<script>
addEventListener('load', () => {
  const problems = [];
  const box = (e) => e.getBoundingClientRect();
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 &&
                            a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const view = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > view + 1)
    problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide in ' + view);
  let right = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const frame = box(svg);
    right = Math.max(right, frame.right);
    const texts = [...svg.querySelectorAll('text')].map((t) => [t.textContent, box(t)]);
    texts.forEach(([text, b], i) => {
      if (b.left < frame.left - 1 || b.right > frame.right + 1)
        problems.push('"' + text + '" leaves its plot');
      for (const [other, c] of texts.slice(i + 1))
        if (overlap(b, c)) problems.push('"' + text + '" overlaps "' + other + '"');
    });
  }
  for (const cell of document.querySelectorAll('td, th'))
    if (cell.scrollWidth > cell.clientWidth + 1)
      problems.push('a cell overflows: ' + cell.textContent.slice(0, 40));
  const body = box(document.body);
  const pre = document.createElement('pre');
  pre.id = 'layout';
  pre.textContent = JSON.stringify({problems, used: (right - body.left) / body.width});
  document.body.appendChild(pre);
});
</script>)";

std::string Unescaped(std::string text) {
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
    for (size_t at; (at = text.find(entity)) != std::string::npos;)
      text.replace(at, entity.size(), c);
  }
  return text;
}

// The report at a window width, as the probe above found it.
nlohmann::json LayoutAt(const ScratchFolder& scratch, const std::string& html, int width) {
  std::string page = ReadWholeFile(html);
  page.insert(page.rfind("</body>"), kLayoutProbe);
  const std::string probed = scratch.File("layout-" + std::to_string(width) + ".html");
  std::ofstream(probed) << page;
  const std::string dom = scratch.File("layout-" + std::to_string(width) + ".dom");
  const std::string command =
      "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=" +
      scratch.File("chromium-profile") + " --window-size=" + std::to_string(width) +
      ",3000 --virtual-time-budget=5000 --dump-dom file://" + probed + " >" + dom + " 2>" +
      scratch.File("chromium.log");
  if (std::system(command.c_str()) != 0) return nullptr;
  const std::string text = ReadWholeFile(dom);
  const size_t open = text.find("<pre id=\"layout\">");
  const size_t close = text.find("</pre>", open);
  if (open == std::string::npos || close == std::string::npos) return nullptr;
  const size_t from = open + std::string("<pre id=\"layout\">").size();
  return nlohmann::json::parse(Unescaped(text.substr(from, close - from)), nullptr, false);
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

  // Nothing overlaps at a wide and a narrow window, and the plots use the
  // width (two side by side at 1400 px, one at 800 px).
  for (const int width : {1400, 800}) {
    const nlohmann::json layout = LayoutAt(scratch, html, width);
    ASSERT_TRUE(layout.is_object())
        << "no layout at " << width << " px: see " << scratch.File("chromium.log");
    std::printf("at %d px: plots span %.0f %% of the body\n", width,
                layout["used"].get<double>() * 100);
    EXPECT_TRUE(layout["problems"].empty()) << width << " px: " << layout["problems"].dump(1);
    EXPECT_GT(layout["used"].get<double>(), 0.9) << width << " px";
  }
}

}  // namespace
}  // namespace hil::testing
