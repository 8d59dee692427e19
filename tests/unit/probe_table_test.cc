// The probe table: every kind is whole, and round-trips through what names
// probes: a plan's bench, a bench file, discovery's USB identities and the
// bring-up (the factory), with the defaults and checks the table gives.
#include "probes/probe_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "hil/bench/bench_spec.h"
#include "hil/plan/plan_parser.h"
#include "probes/discovery.h"

namespace hil::probes {
namespace {

// A value each setting takes, and one it refuses.
std::pair<std::string, std::string> GoodAndBad(const SettingSpec& spec) {
  switch (spec.type) {
    case SettingSpec::Type::kFlag:
      return {"true", "yes"};
    case SettingSpec::Type::kNumber:
      return {std::to_string(spec.max), std::to_string(spec.max * 2 + 1)};
    case SettingSpec::Type::kChoice:
      return {spec.choices.back(), spec.choices.back() + "x"};
  }
  return {};
}

TEST(ProbeTable, ListsEveryKindWhole) {
  ASSERT_FALSE(ProbeTable().empty());
  std::set<std::string> names;
  for (const ProbeKind& kind : ProbeTable()) {
    SCOPED_TRACE(kind.name);
    std::printf("%-8s %-7s %-30s %-7s inputs %zu, edges %s, %s%s\n", kind.name.c_str(),
                kind.label.c_str(), kind.model.c_str(),
                kind.attachment == Attachment::kUsb ? "usb" : "serial", kind.inputs.size(),
                kind.edges == EdgeReport::kEvents ? "events" : "sampled",
                kind.can_power_dut() ? "can power the DUT" : "in series",
                kind.virtual_twin ? ", virtual twin" : "");
    EXPECT_TRUE(names.insert(kind.name).second) << "a name twice";
    EXPECT_FALSE(kind.label.empty());
    EXPECT_FALSE(kind.model.empty());
    EXPECT_FALSE(kind.connect_example.empty());
    EXPECT_FALSE(kind.usb.empty()) << "discovery needs its USB identity";
    EXPECT_TRUE(kind.make) << "no factory";
    for (const std::string& input : kind.inputs) {
      EXPECT_TRUE(input.size() == 2 && input[0] == 'D' && input[1] >= '0' && input[1] <= '7')
          << input << ": the measurement engine takes logic lines 0..7";
    }
    for (const std::string* input :
         {&kind.inference_input, &kind.layer_input, &kind.timestamp_input}) {
      EXPECT_TRUE(*input == "none" || kind.has_input(*input)) << *input;
    }
    if (kind.supply == ProbeKind::DutSupply::kWhenSet) {
      ASSERT_NE(kind.setting(kind.supply_setting), nullptr);
      EXPECT_EQ(kind.setting(kind.supply_setting)->type, SettingSpec::Type::kFlag);
    }
  }
  EXPECT_EQ(&DefaultProbeKind(), &ProbeTable().front());
}

TEST(ProbeTable, UnknownKindsAreRefusedWithASuggestion) {
  EXPECT_EQ(FindProbeKind("ppk3"), nullptr);
  Result<const ProbeKind*> kind = ProbeKindNamed("ppk3");
  ASSERT_FALSE(kind.ok());
  EXPECT_EQ(kind.error().kind(), ErrorKind::kConfiguration);
  EXPECT_NE(kind.error().message().find("(did you mean 'ppk2'?)"), std::string::npos);
}

class ProbeKindRoundTrip : public ::testing::TestWithParam<std::string> {
 protected:
  const ProbeKind& kind() const { return *FindProbeKind(GetParam()); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) / (std::to_string(::getpid()) + "-" + name);
    std::ofstream(path) << text;
    return path.string();
  }
};

TEST_P(ProbeKindRoundTrip, APlansBenchTakesItWithItsDefaultWiring) {
  const std::string bench_kind = kind().virtual_twin ? "virtual" : "real";
  Result<plan::Plan> plan = plan::ParsePlanText(
      "plan: x\nbench: {kind: " + bench_kind + ", probe: " + kind().name +
          "}\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n" +
          (kind().inference_input == "none" ? "measurement: {window: timestamp}\n" : ""),
      "p.yaml", ::testing::TempDir());
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->bench.probe.kind, kind().name);
  EXPECT_EQ(plan->bench.inference.input, kind().inference_input);
  EXPECT_EQ(plan->bench.layer.input, kind().layer_input);
  EXPECT_EQ(plan->bench.timestamp.input, kind().timestamp_input);
  if (!kind().virtual_twin) {
    Result<plan::Plan> on_virtual = plan::ParsePlanText(
        "plan: x\nbench: {probe: " + kind().name +
            "}\nnetworks: {conv: {workload: mb-conv3x3}}\nmatrix: {boards: [mps2-an386]}\n",
        "p.yaml", ::testing::TempDir());
    ASSERT_FALSE(on_virtual.ok());
    EXPECT_NE(on_virtual.error().message().find("the virtual bench has no " + kind().label),
              std::string::npos)
        << on_virtual.error().message();
  }
}

TEST_P(ProbeKindRoundTrip, ABenchFileTakesItWithItsSettings) {
  std::string settings;
  for (const SettingSpec& spec : kind().settings) {
    settings += ", " + spec.key + ": " + GoodAndBad(spec).first;
  }
  const std::string path =
      Write("bench.yaml",
            "benches:\n  - name: lab\n    kind: real\n    board: nucleo-l4r5zi\n"
            "    uart: serial:/dev/ttyACM0\n    probe: {kind: " +
                kind().name + ", connect: '" +
                (kind().attachment == Attachment::kUsb ? "usb" : "serial:/dev/ttyACM1") + "'" +
                settings + "}\n");
  Result<std::vector<bench::BenchSpec>> benches = bench::ReadBenchFile(path);
  ASSERT_TRUE(benches.ok()) << benches.error().message();
  const bench::BenchSpec& lab = benches->front();
  EXPECT_EQ(lab.probe.kind, kind().name);
  EXPECT_EQ(lab.probe.options.size(), kind().settings.size());
  EXPECT_EQ(lab.inference.input, kind().inference_input);
  EXPECT_EQ(lab.timestamp.input, kind().timestamp_input);

  // ... and bring-up: the factory makes this kind's driver from the file's
  // settings, not yet opened.
  Result<std::unique_ptr<PowerProbe>> made = MakeProbe(bench::ProbeSettingsOf(lab));
  ASSERT_TRUE(made.ok()) << made.error().message();
  EXPECT_EQ((*made)->info().kind, kind().name);
}

TEST_P(ProbeKindRoundTrip, DiscoveryKnowsItsUsbIdentities) {
  for (const UsbIdentity& usb : kind().usb) {
    bool found = false;
    for (const KnownModel& model : KnownModels()) {
      found |= model.vid == usb.vid && model.pid == usb.pid && model.kind == kind().name;
    }
    EXPECT_TRUE(found) << std::hex << usb.vid << ":" << usb.pid;
  }
}

TEST_P(ProbeKindRoundTrip, ItsSettingsAreCheckedAtBringUp) {
  ProbeSettings settings;
  settings.kind = kind().name;
  settings.uri = kind().attachment == Attachment::kUsb ? "usb" : "unix:/nonexistent";
  settings.supply_mv = 3300;
  for (const SettingSpec& spec : kind().settings) {
    const auto [good, bad] = GoodAndBad(spec);
    settings.options = {{spec.key, good}};
    EXPECT_TRUE(CheckSettings(kind(), settings).ok()) << spec.key << "=" << good;
    settings.options = {{spec.key, bad}};
    Status refused = CheckSettings(kind(), settings);
    ASSERT_FALSE(refused.ok()) << spec.key << "=" << bad;
    EXPECT_NE(refused.error().message().find(spec.key), std::string::npos);
  }
  settings.options = {{"no_such_setting", "1"}};
  Result<std::unique_ptr<PowerProbe>> refused = MakeProbe(settings);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("takes no setting 'no_such_setting'"),
            std::string::npos);
  if (kind().virtual_twin) {
    // The virtual bench's twin opens with settings the kind takes, and
    // supplies the DUT when the kind can.
    const ProbeSettings twin = VirtualTwinSettings(kind(), "/tmp/p.sock", 1800);
    EXPECT_TRUE(CheckSettings(kind(), twin).ok());
    EXPECT_EQ(twin.uri, "unix:/tmp/p.sock");
    if (kind().supply == ProbeKind::DutSupply::kWhenSet) {
      EXPECT_EQ(twin.options.at(kind().supply_setting), "true");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKind, ProbeKindRoundTrip, ::testing::ValuesIn(ProbeKindNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace hil::probes
