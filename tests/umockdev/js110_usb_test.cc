// The JS110 driver through libusb against an emulated USB device: umockdev
// gives libusb the descriptors, and an in-process ioctl handler written here
// plays the device: string descriptors, the calibration and settings
// control requests, and 512-byte frames on bulk IN 0x82. Frames and the
// calibration record are built by hand here, not with the driver's codec.
#include <gtest/gtest.h>
#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <umockdev.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>

#include "probes/discovery.h"
#include "probes/js110/js110_probe.h"

namespace hil {
namespace {

// Device: 16d0:0e88, class ff, strings 1..3; one interface, bulk IN 0x82 and
// bulk OUT 0x01 of 512 bytes.
constexpr char kDescriptors[] =
    "12010002ff000040d016880e000101020301"
    "0902200001010080320904000002ff00000007058202000200070501020002 00";

constexpr char kSerial[] = "JS110-4242";
constexpr int kFrames = 40;
constexpr int kSkippedPacket = 10;  // the device never sends packet 10
constexpr int kMissingWord = 1000;  // and sample word 1000 is 0xFFFFFFFF

// The test's own picture of the device's numbers.
double CurrentOffset(int range) { return -100.0 * range; }
double CurrentGain(int range) { return 1e-9 * std::pow(10.0, range); }
constexpr double kVoltageOffset = -200, kVoltageGain = 5e-4;

// Sample word k of the stream (by position among sent words).
uint32_t WordFor(uint32_t k) {
  if (k == kMissingWord) return 0xFFFFFFFF;
  const uint32_t range = k % 3;                    // bits 1:0, bit 16 clear
  const uint32_t current = (1000 + k % 50) & ~1u;  // LSB carries GPI0
  const uint32_t gpi0 = (k / 100) & 1;
  const uint32_t voltage = 8000 & ~1u;  // LSB carries GPI1 (0)
  return range | (current | gpi0) << 2 | voltage << 18;
}

struct UsbDevice {
  std::mutex mutex;
  std::deque<UMockdevIoctlData*> done;
  std::deque<UMockdevIoctlData*> waiting;  // bulk IN URBs with nothing to send yet
  bool streaming = false;
  int settings_writes = 0;
  uint16_t next_packet = 0;
  int frames_sent = 0;
};
UsbDevice device;

std::vector<uint8_t> CalibrationRecord() {
  std::vector<double> values;
  for (int r = 0; r < 7; ++r) values.push_back(CurrentOffset(r));
  for (int r = 0; r < 7; ++r) values.push_back(CurrentGain(r));
  values.insert(values.end(), {kVoltageOffset, kVoltageOffset, kVoltageGain, kVoltageGain});
  std::vector<uint8_t> bytes(values.size() * 8);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> StringDescriptor(uint8_t index) {
  if (index == 0) return {4, 3, 0x09, 0x04};  // English (US)
  const char* text = index == 3 ? kSerial : index == 2 ? "Joulescope" : "Jetperch";
  std::vector<uint8_t> descriptor = {0, 3};
  for (const char* c = text; *c; ++c) descriptor.insert(descriptor.end(), {uint8_t(*c), 0});
  descriptor[0] = static_cast<uint8_t>(descriptor.size());
  return descriptor;
}

// Fills a bulk IN URB with the next frame; false when the stream has no more.
bool FillFrame(usbdevfs_urb* urb, UMockdevIoctlData* buffer) {
  if (!device.streaming || device.frames_sent >= kFrames) return false;
  if (device.next_packet == kSkippedPacket) ++device.next_packet;
  uint8_t frame[512] = {};
  frame[2] = 0x00, frame[3] = 0x02;  // length 512
  frame[4] = device.next_packet & 0xFF, frame[5] = device.next_packet >> 8;
  for (uint32_t k = 0; k < 126; ++k) {
    const uint32_t word = WordFor(static_cast<uint32_t>(device.frames_sent) * 126 + k);
    std::memcpy(frame + 8 + 4 * k, &word, 4);
  }
  std::memcpy(buffer->data, frame, 512);
  std::memcpy(urb->buffer, frame, 512);  // the client shares our address space
  urb->actual_length = 512;
  urb->status = 0;
  ++device.next_packet;
  ++device.frames_sent;
  return true;
}

gboolean HandleIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer) {
  const gulong request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* argument = umockdev_ioctl_client_get_arg(client);
  std::lock_guard<std::mutex> lock(device.mutex);
  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      UMockdevIoctlData* data = umockdev_ioctl_data_resolve(argument, 0, sizeof(guint32), nullptr);
      *reinterpret_cast<guint32*>(data->data) =
          USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM;
      umockdev_ioctl_data_unref(data);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESET:
    case USBDEVFS_RESETEP:
    case USBDEVFS_SETINTERFACE:
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    case USBDEVFS_SUBMITURB: {
      UMockdevIoctlData* urb_data =
          umockdev_ioctl_data_resolve(argument, 0, sizeof(usbdevfs_urb), nullptr);
      auto* urb = reinterpret_cast<usbdevfs_urb*>(urb_data->data);
      UMockdevIoctlData* buffer = umockdev_ioctl_data_resolve(
          urb_data, G_STRUCT_OFFSET(usbdevfs_urb, buffer), urb->buffer_length, nullptr);
      if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
        const uint8_t* setup = buffer->data;
        const uint8_t type = setup[0], req = setup[1];
        const uint16_t value = static_cast<uint16_t>(setup[2] | setup[3] << 8);
        std::vector<uint8_t> reply;
        if (type == 0x80 && req == 6 && value >> 8 == 3) {
          reply = StringDescriptor(value & 0xFF);
        } else if (type == 0xC0 && req == 8) {
          reply = CalibrationRecord();
        } else if (type == 0x40 && req == 3) {
          ++device.settings_writes;
          device.streaming = setup[8 + 12] & 1;  // our settings layout: byte 12
        }
        const size_t n = std::min<size_t>(reply.size(), urb->buffer_length - 8);
        if (n > 0) {  // an empty reply has no data pointer to copy from
          std::memcpy(buffer->data + 8, reply.data(), n);
          std::memcpy(static_cast<uint8_t*>(urb->buffer) + 8, reply.data(), n);
        }
        urb->actual_length = static_cast<int>(type & 0x80 ? n : urb->buffer_length - 8);
        urb->status = 0;
        device.done.push_back(urb_data);
      } else if (urb->endpoint == 0x82) {
        if (FillFrame(urb, buffer)) {
          device.done.push_back(urb_data);
        } else {
          device.waiting.push_back(urb_data);
        }
      } else {
        urb->actual_length = urb->buffer_length;
        urb->status = 0;
        device.done.push_back(urb_data);
      }
      umockdev_ioctl_data_unref(buffer);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_DISCARDURB: {
      // Cancel: a waiting URB completes with -ENOENT and is reaped as usual.
      // Only bulk IN URBs ever wait, and libusb cancels them all, so which
      // one goes first does not matter.
      if (!device.waiting.empty()) {
        UMockdevIoctlData* urb_data = device.waiting.front();
        device.waiting.pop_front();
        auto* urb = reinterpret_cast<usbdevfs_urb*>(urb_data->data);
        urb->status = -ENOENT;
        urb->actual_length = 0;
        device.done.push_back(urb_data);
        umockdev_ioctl_client_complete(client, 0, 0);
      } else {
        umockdev_ioctl_client_complete(client, -1, EINVAL);
      }
      return TRUE;
    }
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY: {
      if (device.done.empty()) {
        umockdev_ioctl_client_complete(client, -1, EAGAIN);
        return TRUE;
      }
      UMockdevIoctlData* urb_data = device.done.front();
      device.done.pop_front();
      UMockdevIoctlData* pointer =
          umockdev_ioctl_data_resolve(argument, 0, sizeof(gpointer), nullptr);
      umockdev_ioctl_data_set_ptr(pointer, 0, urb_data);
      umockdev_ioctl_data_unref(pointer);
      umockdev_ioctl_data_unref(urb_data);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    default:
      return FALSE;
  }
}

class Js110UsbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testbed_ = umockdev_testbed_new();
    handler_ = umockdev_ioctl_base_new();
    g_signal_connect_after(handler_, "handle-ioctl", G_CALLBACK(HandleIoctl), nullptr);
    GError* error = nullptr;
    ASSERT_TRUE(umockdev_testbed_attach_ioctl(testbed_, "/dev/bus/usb/001/007", handler_, &error));
    std::string descriptors = kDescriptors;
    descriptors.erase(std::remove(descriptors.begin(), descriptors.end(), ' '), descriptors.end());
    const std::string description =
        "P: /devices/usb1/1-7\nN: bus/usb/001/007\nE: SUBSYSTEM=usb\nE: DRIVER=usb\n"
        "E: BUSNUM=001\nE: DEVNUM=007\nE: DEVNAME=/dev/bus/usb/001/007\nE: DEVTYPE=usb_device\n"
        "A: busnum=1\\n\nA: devnum=7\\n\nA: speed=480\\n\nA: bConfigurationValue=1\\n\n"
        "A: idVendor=16d0\\n\nA: idProduct=0e88\\n\nH: descriptors=" +
        descriptors + "\n";
    ASSERT_TRUE(umockdev_testbed_add_from_string(testbed_, description.c_str(), &error))
        << (error ? error->message : "");
    device.streaming = false;
    device.frames_sent = 0;
    device.next_packet = 0;
  }
  void TearDown() override {
    g_object_unref(handler_);
    g_object_unref(testbed_);
  }

  UMockdevTestbed* testbed_ = nullptr;
  UMockdevIoctlBase* handler_ = nullptr;
};

TEST_F(Js110UsbTest, DiscoveryFindsItWithItsSerialNumber) {
  std::vector<std::string> notes;
  Result<std::vector<probes::DiscoveredProbe>> found = probes::DiscoverProbes(notes);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].kind, "js110");
  EXPECT_EQ((*found)[0].connect, std::string("usb:") + kSerial);
}

TEST_F(Js110UsbTest, StreamsCalibratedSamplesWithGpiAndCountsLossExactly) {
  js110::Js110Options options;
  options.uri = std::string("usb:") + kSerial;
  options.transfers_in_flight = 4;
  options.frames_per_transfer = 1;
  js110::Js110Probe probe(options);
  const Status opened = probe.Open();
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(probe.info().serial, kSerial);
  EXPECT_EQ(probe.calibration().current_gain[2], CurrentGain(2));
  ASSERT_TRUE(probe.Start().ok());
  std::vector<SampleBlock> blocks;
  uint64_t received = 0;
  while (received < (kFrames * 126 - 1)) {
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, std::chrono::milliseconds(3000));
    ASSERT_TRUE(poll.ok()) << poll.error().ToString();
    ASSERT_EQ(*poll, PowerProbe::Poll::kBlock) << "after " << received << " samples";
    received += block.size();
    blocks.push_back(std::move(block));
  }
  ASSERT_TRUE(probe.Stop().ok());
  EXPECT_FALSE(device.streaming);  // the stop reached the device
  // One skipped packet (126 samples) and one missing word, each at its place.
  EXPECT_EQ(probe.stats().lost_samples, 127u);
  for (const SampleBlock& block : blocks) {
    for (size_t i = 0; i < block.size(); ++i) {
      const uint64_t index = block.first_index + i;
      // Sent word k sits at index k, or k + 126 after the skipped packet.
      const uint32_t k = static_cast<uint32_t>(index >= 1260 ? index - 126 : index);
      ASSERT_NE(k, static_cast<uint32_t>(kMissingWord));
      const int range = static_cast<int>(k % 3);
      const double adc = ((1000 + k % 50) & ~1u) | ((k / 100) & 1);
      ASSERT_DOUBLE_EQ(block.current_a[i], (adc + CurrentOffset(range)) * CurrentGain(range))
          << index;
      ASSERT_FLOAT_EQ(block.voltage_samples_v[i],
                      static_cast<float>((8000 + kVoltageOffset) * kVoltageGain));
      ASSERT_EQ(block.logic[i], (k / 100) & 1) << index;
    }
  }
}

TEST_F(Js110UsbTest, AnAbsentSerialNumberIsAClearInfrastructureError) {
  js110::Js110Options options;
  options.uri = "usb:NOPE";
  js110::Js110Probe probe(options);
  const Status opened = probe.Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind(), ErrorKind::kInfrastructure);
  EXPECT_NE(
      opened.error().message().find("no JS110 (16d0:0e88) with serial NOPE is attached; found "
                                    "JS110-4242"),
      std::string::npos)
      << opened.error().message();
}

}  // namespace
}  // namespace hil
