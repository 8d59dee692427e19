// The JS110's entry in the probe table.
#include "probes/js110/js110_probe.h"
#include "probes/probe_kind.h"

namespace hil::probes::kinds {

ProbeKind js110() {
  ProbeKind kind;
  kind.name = "js110";
  kind.label = "JS110";
  kind.model = "Joulescope JS110";
  kind.attachment = Attachment::kUsb;
  kind.usb = {{0x16D0, 0x0E88, ""}};
  kind.connect_example = "usb or usb:SERIAL";
  // GPI0 and GPI1 ride in the samples' least significant bits.
  kind.edges = EdgeReport::kSampled;
  kind.inputs = {"D0", "D1"};
  kind.inference_input = "D0";
  kind.layer_input = "D1";
  // In series with the DUT's own supply.
  kind.supply = ProbeKind::DutSupply::kNever;
  kind.make = [](const ProbeSettings& settings) -> Result<std::unique_ptr<PowerProbe>> {
    js110::Js110Options options;
    options.uri = settings.uri;
    return std::unique_ptr<PowerProbe>(new js110::Js110Probe(options));
  };
  return kind;
}

}  // namespace hil::probes::kinds
