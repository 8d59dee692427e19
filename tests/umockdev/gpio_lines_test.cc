// Host GPIO for real through libgpiod 1.6, against a GPIO character device
// emulated in this process: umockdev hands libgpiod's ioctls and reads on
// /dev/gpiochip0 and its line handles to the handlers below, which speak the
// kernel's GPIO uAPI v1 (linux/gpio.h) as a chip of eight lines would.
#include "drivers/gpio/gpio_lines.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/gpio.h>
#include <umockdev.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hil::gpio {
namespace {

constexpr int kLines = 8;
const char* const kLineNames[kLines] = {"LINE0", "DUT_INFER", "DUT_LAYER", "DUT_NRST",
                                        "",      "",          "",          ""};

// The emulated chip's state, shared with the umockdev worker thread.
//
// umockdev backs each device node with a pty, and reads go to the handler,
// not the pty. For poll() to say "readable" exactly while edges wait, as the
// kernel's does, the emulator rings a doorbell: a newline written to the
// pty's master side, which the read handler drains by letting the client
// perform its real read before the handler fills in the events.
struct ChipState {
  std::mutex mutex;
  std::deque<gpioevent_data> pending[kLines];               // edges waiting to be read
  int doorbell[kLines] = {-1, -1, -1, -1, -1, -1, -1, -1};  // pty masters
  bool rung[kLines] = {};
  uint32_t event_flags[kLines] = {};  // what each line was requested for
  bool requested_output[kLines] = {};
  std::vector<int> levels_written[kLines];  // every level an output was set to
  std::string consumer[kLines];
};
ChipState chip;

// With chip.mutex held.
void RingDoorbell(int line) {
  if (chip.rung[line] || chip.doorbell[line] < 0) return;
  const char newline = '\n';
  chip.rung[line] = ::write(chip.doorbell[line], &newline, 1) == 1;
}

void Inject(int line, bool rising, uint64_t timestamp_ns) {
  std::lock_guard<std::mutex> lock(chip.mutex);
  gpioevent_data event{};
  event.timestamp = timestamp_ns;
  event.id = rising ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE;
  chip.pending[line].push_back(event);
  RingDoorbell(line);
}

std::string LineNode(int line) { return "/dev/gpiochip0-line" + std::to_string(line); }

// A line handle or event fd of the kernel: a node of its own per line.
int OpenLineFd(int line) { return ::open(LineNode(line).c_str(), O_RDWR | O_CLOEXEC); }

template <typename T>
T* Resolve(UMockdevIoctlClient* client, UMockdevIoctlData** data) {
  *data = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, sizeof(T), nullptr);
  return reinterpret_cast<T*>((*data)->data);
}

gboolean HandleChipIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer) {
  const gulong request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* data = nullptr;
  int result = 0;
  int error = 0;
  if (request == GPIO_GET_CHIPINFO_IOCTL) {
    gpiochip_info* info = Resolve<gpiochip_info>(client, &data);
    std::memset(info, 0, sizeof(*info));
    std::strcpy(info->name, "gpiochip0");
    std::strcpy(info->label, "hil-bench-gpio");
    info->lines = kLines;
  } else if (request == GPIO_GET_LINEINFO_IOCTL) {
    gpioline_info* info = Resolve<gpioline_info>(client, &data);
    const uint32_t offset = info->line_offset;
    std::lock_guard<std::mutex> lock(chip.mutex);
    std::memset(info, 0, sizeof(*info));
    info->line_offset = offset;
    if (offset < kLines) {
      std::strcpy(info->name, kLineNames[offset]);
      std::strncpy(info->consumer, chip.consumer[offset].c_str(), sizeof(info->consumer) - 1);
      const bool used = !chip.consumer[offset].empty();
      info->flags = (used ? GPIOLINE_FLAG_KERNEL : 0) |
                    (chip.requested_output[offset] ? GPIOLINE_FLAG_IS_OUT : 0);
    } else {
      result = -1, error = EINVAL;
    }
  } else if (request == GPIO_GET_LINEHANDLE_IOCTL) {
    gpiohandle_request* handle = Resolve<gpiohandle_request>(client, &data);
    const uint32_t offset = handle->lineoffsets[0];
    if (handle->lines != 1 || offset >= kLines) {
      result = -1, error = EINVAL;
    } else {
      std::lock_guard<std::mutex> lock(chip.mutex);
      chip.requested_output[offset] = (handle->flags & GPIOHANDLE_REQUEST_OUTPUT) != 0;
      chip.consumer[offset] = handle->consumer_label;
      chip.levels_written[offset].push_back(handle->default_values[0]);
      handle->fd = OpenLineFd(static_cast<int>(offset));
    }
  } else if (request == GPIO_GET_LINEEVENT_IOCTL) {
    gpioevent_request* event = Resolve<gpioevent_request>(client, &data);
    const uint32_t offset = event->lineoffset;
    if (offset >= kLines) {
      result = -1, error = EINVAL;
    } else {
      std::lock_guard<std::mutex> lock(chip.mutex);
      chip.event_flags[offset] = event->eventflags;
      chip.consumer[offset] = event->consumer_label;
      event->fd = OpenLineFd(static_cast<int>(offset));
    }
  } else {
    return FALSE;
  }
  if (data != nullptr) umockdev_ioctl_data_unref(data);
  umockdev_ioctl_client_complete(client, result, error);
  return TRUE;
}

gboolean HandleLineIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer line) {
  const gulong request = umockdev_ioctl_client_get_request(client);
  const int offset = GPOINTER_TO_INT(line);
  if (request != GPIOHANDLE_SET_LINE_VALUES_IOCTL && request != GPIOHANDLE_GET_LINE_VALUES_IOCTL) {
    return FALSE;
  }
  UMockdevIoctlData* data = nullptr;
  gpiohandle_data* values = Resolve<gpiohandle_data>(client, &data);
  {
    std::lock_guard<std::mutex> lock(chip.mutex);
    std::vector<int>& written = chip.levels_written[offset];
    if (request == GPIOHANDLE_SET_LINE_VALUES_IOCTL) {
      written.push_back(values->values[0]);
    } else {
      values->values[0] = written.empty() ? 0 : static_cast<uint8_t>(written.back());
    }
  }
  umockdev_ioctl_data_unref(data);
  umockdev_ioctl_client_complete(client, 0, 0);
  return TRUE;
}

// An event fd's read: the waiting edges that fit, or EAGAIN (the fd is
// non-blocking, as the driver sets it).
gboolean HandleLineRead(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer line) {
  const int offset = GPOINTER_TO_INT(line);
  {
    std::lock_guard<std::mutex> lock(chip.mutex);
    if (chip.pending[offset].empty()) {
      umockdev_ioctl_client_complete(client, -1, EAGAIN);
      return TRUE;
    }
  }
  // The client's own read takes the doorbell off the pty.
  int ignored_errno = 0;
  (void)umockdev_ioctl_client_execute(client, &ignored_errno, nullptr);
  UMockdevIoctlData* buffer = umockdev_ioctl_client_get_arg(client);
  const size_t room = static_cast<size_t>(buffer->data_len) / sizeof(gpioevent_data);
  std::vector<gpioevent_data> out;
  {
    std::lock_guard<std::mutex> lock(chip.mutex);
    while (out.size() < room && !chip.pending[offset].empty()) {
      out.push_back(chip.pending[offset].front());
      chip.pending[offset].pop_front();
    }
    chip.rung[offset] = false;
    if (!chip.pending[offset].empty()) RingDoorbell(offset);
  }
  if (out.empty()) {
    umockdev_ioctl_client_complete(client, -1, EAGAIN);
    return TRUE;
  }
  const gint bytes = static_cast<gint>(out.size() * sizeof(gpioevent_data));
  umockdev_ioctl_data_update(buffer, 0, reinterpret_cast<guint8*>(out.data()), bytes);
  umockdev_ioctl_client_complete(client, bytes, 0);
  return TRUE;
}

class GpioLinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      std::lock_guard<std::mutex> lock(chip.mutex);
      for (int i = 0; i < kLines; ++i) {
        chip.pending[i].clear();
        chip.event_flags[i] = 0;
        chip.requested_output[i] = false;
        chip.levels_written[i].clear();
        chip.consumer[i].clear();
      }
    }
    testbed_ = umockdev_testbed_new();
    GError* error = nullptr;
    chip_handler_ = umockdev_ioctl_base_new();
    g_signal_connect_after(chip_handler_, "handle-ioctl", G_CALLBACK(HandleChipIoctl), nullptr);
    ASSERT_TRUE(umockdev_testbed_attach_ioctl(testbed_, "/dev/gpiochip0", chip_handler_, &error));
    // The sysfs `dev` attribute must end with a newline for libgpiod 1.6.
    ASSERT_TRUE(umockdev_testbed_add_from_string(
        testbed_,
        "P: /devices/platform/gpio-sim.0/gpiochip0\nN: gpiochip0\nE: SUBSYSTEM=gpio\n"
        "E: DEVNAME=/dev/gpiochip0\nE: MAJOR=254\nE: MINOR=0\nA: dev=254:0\\n\n",
        &error))
        << (error ? error->message : "");
    for (int line = 0; line < kLines; ++line) {
      UMockdevIoctlBase* handler = umockdev_ioctl_base_new();
      g_signal_connect_after(handler, "handle-ioctl", G_CALLBACK(HandleLineIoctl),
                             GINT_TO_POINTER(line));
      g_signal_connect_after(handler, "handle-read", G_CALLBACK(HandleLineRead),
                             GINT_TO_POINTER(line));
      ASSERT_TRUE(umockdev_testbed_attach_ioctl(testbed_, LineNode(line).c_str(), handler, &error));
      const std::string node = "gpiochip0-line" + std::to_string(line);
      const std::string description = "P: /devices/platform/gpio-sim.0/" + node + "\nN: " + node +
                                      "\nE: SUBSYSTEM=gpio\nE: DEVNAME=" + LineNode(line) +
                                      "\nE: MAJOR=254\nE: MINOR=" + std::to_string(line + 1) +
                                      "\nA: dev=254:" + std::to_string(line + 1) + "\\n\n";
      ASSERT_TRUE(umockdev_testbed_add_from_string(testbed_, description.c_str(), &error))
          << (error ? error->message : "");
      line_handlers_.push_back(handler);
      std::lock_guard<std::mutex> lock(chip.mutex);
      chip.doorbell[line] = umockdev_testbed_get_dev_fd(testbed_, LineNode(line).c_str());
      chip.rung[line] = false;
    }
  }
  void TearDown() override {
    for (UMockdevIoctlBase* handler : line_handlers_) g_object_unref(handler);
    g_object_unref(chip_handler_);
    g_object_unref(testbed_);
  }

  UMockdevTestbed* testbed_ = nullptr;
  UMockdevIoctlBase* chip_handler_ = nullptr;
  std::vector<UMockdevIoctlBase*> line_handlers_;
};

TEST_F(GpioLinesTest, EdgesComeOutWithTheirKernelTimestamps) {
  Result<std::unique_ptr<GpioChip>> opened = GpioChip::Open("gpiochip0");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  GpioChip& gpio = **opened;
  EXPECT_EQ(gpio.label(), "hil-bench-gpio");
  EXPECT_EQ(gpio.line_count(), 8u);
  // By name and by offset.
  ASSERT_TRUE(gpio.WatchEdges({"DUT_INFER", "2"}).ok());
  {
    std::lock_guard<std::mutex> lock(chip.mutex);
    EXPECT_EQ(chip.event_flags[1], static_cast<uint32_t>(GPIOEVENT_REQUEST_BOTH_EDGES));
    EXPECT_EQ(chip.event_flags[2], static_cast<uint32_t>(GPIOEVENT_REQUEST_BOTH_EDGES));
    EXPECT_EQ(chip.consumer[1], "hil");
  }
  Result<std::vector<HostEdge>> nothing = gpio.ReadEdges(std::chrono::milliseconds(30));
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());

  Inject(1, true, 1'000'000'123);
  Inject(2, true, 1'000'400'000);
  Inject(2, false, 1'000'700'000);
  Inject(1, false, 1'002'500'456);
  std::vector<HostEdge> edges;
  while (edges.size() < 4) {
    Result<std::vector<HostEdge>> read = gpio.ReadEdges(std::chrono::milliseconds(500));
    ASSERT_TRUE(read.ok()) << read.error().ToString();
    ASSERT_FALSE(read->empty()) << "edges lost after " << edges.size();
    edges.insert(edges.end(), read->begin(), read->end());
  }
  ASSERT_EQ(edges.size(), 4u);
  std::vector<HostEdge> inference, layer;
  for (const HostEdge& edge : edges) (edge.input == 0 ? inference : layer).push_back(edge);
  ASSERT_EQ(inference.size(), 2u);
  ASSERT_EQ(layer.size(), 2u);
  EXPECT_TRUE(inference[0].rising);
  EXPECT_EQ(inference[0].timestamp_ns, 1'000'000'123);
  EXPECT_FALSE(inference[1].rising);
  EXPECT_EQ(inference[1].timestamp_ns, 1'002'500'456);
  EXPECT_TRUE(layer[0].rising);
  EXPECT_EQ(layer[0].timestamp_ns, 1'000'400'000);
  EXPECT_EQ(layer[1].timestamp_ns, 1'000'700'000);
}

TEST_F(GpioLinesTest, AWaitingReaderGetsAnEdgeThatArrivesLater) {
  Result<std::unique_ptr<GpioChip>> opened = GpioChip::Open("/dev/gpiochip0");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  ASSERT_TRUE((*opened)->WatchEdges({"DUT_LAYER"}).ok());
  std::thread later([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Inject(2, true, 77);
  });
  Result<std::vector<HostEdge>> read = (*opened)->ReadEdges(std::chrono::seconds(5));
  later.join();
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].timestamp_ns, 77);
}

TEST_F(GpioLinesTest, OutputLinesToggle) {
  Result<std::unique_ptr<GpioChip>> opened = GpioChip::Open("gpiochip0");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  // The DUT's reset is active low: requested high, pulsed low.
  Result<size_t> reset = (*opened)->AddOutput("DUT_NRST", true);
  ASSERT_TRUE(reset.ok()) << reset.error().ToString();
  ASSERT_TRUE((*opened)->Pulse(*reset, false, std::chrono::microseconds(200)).ok());
  ASSERT_TRUE((*opened)->SetOutput(*reset, false).ok());
  std::lock_guard<std::mutex> lock(chip.mutex);
  EXPECT_TRUE(chip.requested_output[3]);
  EXPECT_EQ(chip.levels_written[3], (std::vector<int>{1, 0, 1, 0}));
}

TEST_F(GpioLinesTest, UnknownLinesAndChipsAreNamed) {
  Result<std::unique_ptr<GpioChip>> opened = GpioChip::Open("gpiochip0");
  ASSERT_TRUE(opened.ok());
  Status watched = (*opened)->WatchEdges({"DUT_STRAT"});
  ASSERT_FALSE(watched.ok());
  EXPECT_EQ(watched.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(watched.error().message().find(
                "has no line 'DUT_STRAT'; give an offset 0..7 or a name: LINE0, DUT_INFER, "
                "DUT_LAYER, DUT_NRST"),
            std::string::npos)
      << watched.error().message();
  EXPECT_FALSE((*opened)->WatchEdges({"8"}).ok());

  Result<std::unique_ptr<GpioChip>> missing = GpioChip::Open("gpiochip7");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(missing.error().message().find("cannot open GPIO chip 'gpiochip7'"), std::string::npos);
}

}  // namespace
}  // namespace hil::gpio
