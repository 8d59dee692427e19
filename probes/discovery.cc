#include "probes/discovery.h"

#include <libserialport.h>
#include <libusb-1.0/libusb.h>

#include <cstdio>

#include "probes/probe_table.h"

namespace hil::probes {
namespace {

const KnownModel* Match(int vid, int pid) {
  for (const KnownModel& model : KnownModels()) {
    if (model.vid == vid && model.pid == pid) return &model;
  }
  return nullptr;
}

DiscoveredProbe FromModel(const KnownModel& model) {
  DiscoveredProbe probe;
  probe.kind = model.kind;
  probe.model = model.model;
  probe.vid = model.vid;
  probe.pid = model.pid;
  probe.note = model.note;
  return probe;
}

bool ListSerialPorts(std::vector<DiscoveredProbe>& found, std::vector<std::string>& notes) {
  sp_port** ports = nullptr;
  if (sp_list_ports(&ports) != SP_OK) {
    notes.push_back("serial ports could not be listed: " + std::string(sp_last_error_message()));
    return false;
  }
  for (sp_port** port = ports; *port != nullptr; ++port) {
    if (sp_get_port_transport(*port) != SP_TRANSPORT_USB) continue;
    int vid = 0, pid = 0;
    if (sp_get_port_usb_vid_pid(*port, &vid, &pid) != SP_OK) continue;
    const KnownModel* model = Match(vid, pid);
    if (model == nullptr) continue;
    DiscoveredProbe probe = FromModel(*model);
    probe.connect = std::string("serial:") + sp_get_port_name(*port);
    if (const char* serial = sp_get_port_usb_serial(*port)) probe.serial = serial;
    found.push_back(probe);
  }
  sp_free_port_list(ports);
  return true;
}

bool ListUsbDevices(std::vector<DiscoveredProbe>& found, std::vector<std::string>& notes) {
  libusb_context* context = nullptr;
  if (libusb_init(&context) != 0) {
    notes.push_back("USB devices could not be listed (libusb_init failed)");
    return false;
  }
  libusb_device** devices = nullptr;
  const ssize_t count = libusb_get_device_list(context, &devices);
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor descriptor{};
    if (libusb_get_device_descriptor(devices[i], &descriptor) != 0) continue;
    const KnownModel* model = Match(descriptor.idVendor, descriptor.idProduct);
    // Byte-stream probes are listed as serial ports; here only the others.
    if (model == nullptr) continue;
    const ProbeKind* kind = FindProbeKind(model->kind);
    if (kind != nullptr && kind->attachment == Attachment::kSerialPort) continue;
    DiscoveredProbe probe = FromModel(*model);
    libusb_device_handle* handle = nullptr;
    if (descriptor.iSerialNumber != 0 && libusb_open(devices[i], &handle) == 0) {
      unsigned char serial[128];
      const int n = libusb_get_string_descriptor_ascii(handle, descriptor.iSerialNumber, serial,
                                                       sizeof(serial));
      if (n > 0) probe.serial.assign(reinterpret_cast<char*>(serial), static_cast<size_t>(n));
      libusb_close(handle);
    }
    if (probe.serial.empty()) {
      char where[32];
      std::snprintf(where, sizeof(where), "bus %u address %u", libusb_get_bus_number(devices[i]),
                    libusb_get_device_address(devices[i]));
      probe.note += std::string(probe.note.empty() ? "" : "; ") + "serial number unreadable (" +
                    where + "; permissions?)";
      probe.connect = "usb";
    } else {
      probe.connect = "usb:" + probe.serial;
    }
    found.push_back(probe);
  }
  if (count >= 0) libusb_free_device_list(devices, 1);
  libusb_exit(context);
  return true;
}

}  // namespace

const std::vector<KnownModel>& KnownModels() {
  static const std::vector<KnownModel> models = [] {
    std::vector<KnownModel> known;
    for (const ProbeKind& kind : ProbeTable()) {
      for (const UsbIdentity& usb : kind.usb) {
        known.push_back({usb.vid, usb.pid, kind.name, kind.model, usb.note});
      }
    }
    // Recognised, so that a user sees why it is not usable.
    known.push_back({0x16D0, 0x10BA, "", "Joulescope JS220", "no hil driver yet"});
    return known;
  }();
  return models;
}

Result<std::vector<DiscoveredProbe>> DiscoverProbes(std::vector<std::string>& notes) {
  std::vector<DiscoveredProbe> found;
  const bool serial = ListSerialPorts(found, notes);
  const bool usb = ListUsbDevices(found, notes);
  if (!serial && !usb) {
    return InfrastructureError("neither serial ports nor USB devices could be listed");
  }
  return found;
}

}  // namespace hil::probes
