// hil optimize without a bench: its spec is read as strictly as a plan, its
// space names every deployment once, its cost model recovers effects it was
// built from, and its Pareto front and reproduction plan say what they must.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "hil/optimize/cost_model.h"
#include "hil/optimize/optimize_report.h"
#include "hil/optimize/search.h"
#include "hil/plan/optimize_spec.h"
#include "hil/plan/plan_parser.h"

namespace hil::optimize {
namespace {

namespace fs = std::filesystem;

const std::string kShared = HIL_SHARED_DIR;

std::string WriteSpec(const std::string& name, const std::string& text) {
  const fs::path path = fs::path(::testing::TempDir()) / name;
  std::ofstream(path) << text;
  return path.string();
}

std::string Network() {
  return "network:\n  name: kws\n  model: " + kShared +
         "/models/kws_ref_model.tflite\n  dataset: " + kShared + "/datasets/kws01\n";
}

TEST(OptimizeSpec, AMinimalSpecTakesTheWholeSpaceAndShortMeasurements) {
  Result<plan::OptimizeSpec> spec = plan::ReadOptimizeSpec(
      WriteSpec("minimal.yaml", "optimize: kws\n" + Network() + "boards: [mps2-an386]\n"));
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "kws");
  EXPECT_EQ(spec->objective, plan::Objective::kEnergy);
  EXPECT_EQ(spec->space.frameworks, (std::vector<std::string>{"hil", "tflm"}));
  EXPECT_EQ(spec->space.number_formats.size(), 2u);
  EXPECT_EQ(spec->measurement.runs, 3u);
  EXPECT_EQ(spec->limits.top1_drop_pts, 1.0);
  EXPECT_FALSE(spec->limits.latency_us);
  EXPECT_TRUE(fs::path(spec->network.model).is_absolute());
}

TEST(OptimizeSpec, EveryMistakeIsNamedAtItsLineWithAFix) {
  const std::string path = WriteSpec("mistakes.yaml", "optimize: kws\n" + Network() +
                                                          "boards: [mps2-an38]\n"
                                                          "objectiv: energy\n"
                                                          "limits: {top1_drop_pts: -1}\n"
                                                          "space:\n"
                                                          "  frameworks: [hil, hil]\n"
                                                          "  kernels: [cmsis_nn]\n"
                                                          "  fpu: [maybe]\n"
                                                          "budget: {max_measurements: 0}\n"
                                                          "measurement: {window: timestamp}\n");
  Result<plan::OptimizeSpec> spec = plan::ReadOptimizeSpec(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().kind(), ErrorKind::kConfiguration);
  const std::string message = spec.error().message();
  for (const std::string& expected : std::vector<std::string>{
           path + ":6:10: unknown board 'mps2-an38'; did you mean 'mps2-an386'?",
           path + ":7:1:", "did you mean 'objective'?", path + ":8:", "top1_drop_pts",
           path + ":10:", "lists 'hil' twice", path + ":11:", "did you mean 'cmsis-nn'?",
           path + ":12:", "'maybe' is not one of", "max_measurements",
           "measurement.window must be inference"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << "\n" << message;
  }
}

TEST(OptimizeSpec, ANetworkNeedsAModelAndFloat32NeedsADataset) {
  Result<plan::OptimizeSpec> spec = plan::ReadOptimizeSpec(WriteSpec(
      "no-model.yaml", "optimize: kws\nnetwork: {workload: mb-conv3x3}\nboards: [mps2-an386]\n"));
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.error().message().find("network needs 'model'"), std::string::npos)
      << spec.error().message();
  const std::string model = "network: {model: " + kShared + "/models/ad01_int8.tflite}\n";
  Result<plan::OptimizeSpec> int8 = plan::ReadOptimizeSpec(
      WriteSpec("no-dataset.yaml", "optimize: ad\n" + model + "boards: [mps2-an386]\n"));
  ASSERT_TRUE(int8.ok()) << int8.error().ToString();
  EXPECT_EQ(int8->space.number_formats, std::vector{model::NumberFormat::kInt8});
  Result<plan::OptimizeSpec> float32 = plan::ReadOptimizeSpec(
      WriteSpec("no-dataset-float.yaml", "optimize: ad\n" + model +
                                             "boards: [mps2-an386]\n"
                                             "space: {number_formats: [int8, float32]}\n"));
  ASSERT_FALSE(float32.ok());
  EXPECT_NE(float32.error().message().find("without network.dataset"), std::string::npos)
      << float32.error().message();
}

plan::OptimizeSpec TwoBoardSpec() {
  plan::OptimizeSpec spec;
  spec.name = "kws";
  spec.boards = {"mps2-an386", "mps2-an500"};
  return spec;
}

TEST(OptimizeSpace, EveryDeploymentOnceByANameThatReadsBack) {
  const plan::OptimizeSpec spec = TwoBoardSpec();
  const std::vector<Deployment> space = SpaceOf(spec);
  ASSERT_FALSE(space.empty());
  EXPECT_EQ(space.front(), BaselineOf(spec));
  EXPECT_EQ(space.front().Key(), "hil.reference.int8.fpu.O2@mps2-an386");
  // Per board: hil 2 sets x int8 + hil reference float32, the same for
  // tflm, each with 2 FPU settings and 3 levels.
  EXPECT_EQ(space.size(), 2u * (3 + 3) * 2 * 3);
  std::set<std::string> keys;
  for (const Deployment& d : space) {
    EXPECT_TRUE(keys.insert(d.Key()).second) << d.Key();
    const std::optional<Deployment> back = DeploymentNamed(d.Name(), d.board);
    ASSERT_TRUE(back) << d.Name();
    EXPECT_EQ(*back, d);
    EXPECT_FALSE(d.number_format == model::NumberFormat::kFloat32 && d.kernels != "reference")
        << "the specialised kernels are int8: " << d.Key();
  }
  Deployment mixed = space.front();
  mixed.kernels = "simd";
  mixed.reference_layers = 0x1c01;
  EXPECT_EQ(mixed.Name(), "hil.simd.int8.fpu.O2.r1c01");
  EXPECT_EQ(DeploymentNamed(mixed.Name(), mixed.board), mixed);
  EXPECT_EQ(ConfigurationOf(mixed).defines,
            (std::vector<std::string>{"NN_REFERENCE_LAYERS=0x1c01ULL"}));
  EXPECT_FALSE(DeploymentNamed("hil.simd.int8.fpu.O2.rxyz", "b"));
  EXPECT_FALSE(DeploymentNamed("hil.simd.int4.fpu.O2", "b"));
  EXPECT_FALSE(DeploymentNamed("hil.simd", "b"));
}

// A world whose costs are exactly products of per-layer factors: the model
// learns them from the baseline and one change of each dimension, and then
// predicts a combination it never saw.
struct World {
  std::vector<double> base = {1000, 200, 50};
  double Factor(const Deployment& d, size_t layer) const {
    double f = 1;
    if (d.kernels == "simd") f *= layer == 0 ? 0.14 : layer == 1 ? 0.35 : 1.0;
    if (d.optimisation == "-O3") f *= layer == 2 ? 0.9 : 1.02;
    if (!d.fpu) f *= 1.0 + 0.1 * static_cast<double>(layer);
    if (d.board == "mps2-an500") f *= 0.7;
    return f;
  }
  Observation Observe(const Deployment& d) const {
    Observation o;
    o.deployment = d;
    o.layer_ops = {"CONV_2D", "DEPTHWISE_CONV_2D", "SOFTMAX"};
    for (size_t layer = 0; layer < base.size(); ++layer) {
      o.layer_latency_us.push_back(base[layer] * Factor(d, layer));
      o.layer_energy_uj.push_back(base[layer] * Factor(d, layer) * 0.04);
    }
    double sum = 0;
    for (double v : o.layer_latency_us) sum += v;
    o.latency_us = sum * 1.01;
    o.energy_uj = sum * 0.04 * 1.01;
    o.flash_bytes = d.kernels == "simd" ? 56000 : 51000;
    o.ram_bytes = 66000;
    return o;
  }
};

TEST(CostModel, PredictsACombinationFromOneChangeOfEachDimension) {
  const World world;
  Deployment baseline;
  baseline.board = "mps2-an386";
  CostModel model(baseline);
  EXPECT_FALSE(model.Predict(baseline)) << "nothing measured yet";
  model.Add(world.Observe(baseline));
  Deployment simd = baseline, o3 = baseline, soft = baseline, m7 = baseline;
  simd.kernels = "simd", o3.optimisation = "-O3", soft.fpu = false, m7.board = "mps2-an500";
  for (const Deployment& d : {simd, o3, soft, m7}) model.Add(world.Observe(d));
  Deployment combo = simd;
  combo.optimisation = "-O3", combo.fpu = false, combo.board = "mps2-an500";
  const std::optional<Prediction> p = model.Predict(combo);
  ASSERT_TRUE(p);
  const Observation truth = world.Observe(combo);
  ASSERT_EQ(p->layer_latency_us.size(), 3u);
  for (size_t layer = 0; layer < 3; ++layer)
    EXPECT_NEAR(p->layer_latency_us[layer], truth.layer_latency_us[layer],
                1e-4 * truth.layer_latency_us[layer])
        << layer;
  EXPECT_NEAR(p->latency_us, truth.latency_us, 1e-4 * truth.latency_us);
  EXPECT_NEAR(p->energy_uj, truth.energy_uj, 1e-4 * truth.energy_uj);
  EXPECT_NEAR(p->flash_bytes, 56000, 1);
  // A value no measurement has had is not guessed.
  Deployment unseen = baseline;
  unseen.optimisation = "-Os";
  EXPECT_FALSE(model.Predict(unseen));
}

// Where the SIMD kernels are slower on a layer, the per-layer choice is
// predicted from both sets' layer tables; its measurement is not learnt as
// a value of its own.
TEST(CostModel, PredictsAPerLayerChoiceFromBothKernelSets) {
  World world;
  Deployment baseline;
  baseline.board = "mps2-an386";
  CostModel model(baseline);
  Deployment simd = baseline;
  simd.kernels = "simd";
  Observation a = world.Observe(baseline), b = world.Observe(simd);
  b.layer_latency_us[2] *= 1.3, b.layer_energy_uj[2] *= 1.3;  // slower on the softmax-like layer
  b.latency_us = (b.layer_latency_us[0] + b.layer_latency_us[1] + b.layer_latency_us[2]) * 1.01;
  model.Add(a);
  model.Add(b);
  Deployment mixed = simd;
  mixed.reference_layers = 1u << 2;
  const std::optional<Prediction> p = model.Predict(mixed);
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->layer_latency_us[0], b.layer_latency_us[0], 1e-3);
  EXPECT_NEAR(p->layer_latency_us[2], a.layer_latency_us[2], 1e-3);
  const double layers = b.layer_latency_us[0] + b.layer_latency_us[1] + a.layer_latency_us[2];
  EXPECT_NEAR(p->latency_us, layers * 1.01, 1e-3 * layers);
  Observation measured = world.Observe(mixed);
  model.Add(measured);
  EXPECT_EQ(model.size(), 2u);
}

// An inference whose layer edges were not all resolved has no table: the
// others still predict layer by layer what they determine, and what only
// the whole figures determine is predicted whole. Two values only ever
// measured together determine neither alone.
TEST(CostModel, PredictsWhatItsMeasurementsDetermineAndNothingElse) {
  const World world;
  Deployment baseline;
  baseline.board = "mps2-an386";
  CostModel model(baseline);
  Deployment simd = baseline, o3 = baseline;
  simd.kernels = "simd", o3.optimisation = "-O3";
  model.Add(world.Observe(baseline));
  model.Add(world.Observe(simd));
  Observation untabled = world.Observe(o3);
  untabled.layer_ops.clear(), untabled.layer_latency_us.clear(), untabled.layer_energy_uj.clear();
  model.Add(untabled);
  const std::optional<Prediction> p = model.Predict(simd);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->layer_latency_us.size(), 3u);
  Deployment both = simd;
  both.optimisation = "-O3";
  const std::optional<Prediction> whole = model.Predict(both);
  ASSERT_TRUE(whole);
  EXPECT_TRUE(whole->layer_latency_us.empty());
  // Whole factors multiply what differs layer by layer, so they miss a
  // little here (under 2 %): why the layer tables are preferred.
  EXPECT_NEAR(whole->latency_us, world.Observe(both).latency_us, 0.02 * whole->latency_us);

  CostModel together(baseline);
  together.Add(world.Observe(baseline));
  together.Add(world.Observe(both));  // simd and -O3 at once
  EXPECT_TRUE(together.Predict(both));
  EXPECT_FALSE(together.Predict(simd)) << "which of the two made the difference is not known";
}

TEST(CostModel, LayerListsThatDifferAreModelledWhole) {
  const World world;
  Deployment baseline;
  baseline.board = "mps2-an386";
  CostModel model(baseline);
  model.Add(world.Observe(baseline));
  Deployment tflm = baseline;
  tflm.framework = "tflm";
  Observation other = world.Observe(tflm);
  other.layer_ops.push_back("RESHAPE");  // a runtime that lists one more layer
  other.layer_latency_us.push_back(10);
  other.layer_energy_uj.push_back(0.4);
  other.latency_us *= 1.3;
  model.Add(other);
  const std::optional<Prediction> p = model.Predict(tflm);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->layer_latency_us.empty());
  EXPECT_NEAR(p->latency_us, other.latency_us, 1e-3 * other.latency_us);
  // Figures that are not positive are not learnt from.
  Observation broken = world.Observe(baseline);
  broken.energy_uj = NAN;
  model.Add(broken);
  EXPECT_EQ(model.size(), 2u);
}

Candidate Measured(const std::string& kernels, double energy_uj, double top1) {
  Candidate c;
  c.deployment.kernels = kernels;
  c.deployment.board = "mps2-an386";
  c.top1 = top1;
  run::CaseResult r;
  r.status = run::CaseStatus::kPass;
  r.figures.energy_uj.median = energy_uj;
  r.figures.latency_us.median = energy_uj * 25;
  r.firmware.text_bytes = 50000;
  c.measured = r;
  return c;
}

TEST(ParetoFront, KeepsWhatNothingBeatsOnBothAndOnlyWithinTheLimits) {
  plan::OptimizeSpec spec = TwoBoardSpec();
  spec.limits.latency_us = 500;  // 20 uJ at 25 us per uJ
  std::vector<Candidate> candidates = {
      Measured("reference", 45, 94),  // over the latency limit
      Measured("simd", 14, 94),       // on the front
      Measured("cmsis-nn", 9, 93),    // cheaper, less accurate: on the front too
      Measured("x", 15, 94),          // beaten by simd on both
      Measured("y", 8, 90)};          // cheapest but excluded (accuracy)
  candidates[4].excluded = "top-1 too low";
  const std::vector<size_t> front = ParetoFront(candidates, spec);
  EXPECT_EQ(front, (std::vector<size_t>{2, 1}));
  std::string why;
  EXPECT_FALSE(WithinLimits(candidates[0], spec, &why));
  EXPECT_NE(why.find("over the limit"), std::string::npos) << why;
}

TEST(ReproducePlan, IsAPlanHilRunTakes) {
  plan::OptimizeSpec spec = TwoBoardSpec();
  Result<plan::OptimizeSpec> read = plan::ReadOptimizeSpec(
      WriteSpec("reproduce.yaml", "optimize: kws\n" + Network() + "boards: [mps2-an386]\n"));
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  SearchOutcome outcome;
  Candidate baseline = Measured("reference", 45, 94), best = Measured("cmsis-nn", 9, 94);
  best.deployment.framework = "tflm";
  best.deployment.optimisation = "-O3";
  best.deployment.board = "mps2-an500";
  outcome.candidates = {baseline, best};
  outcome.chosen = 1;
  const std::string yaml = ReproducePlan(*read, outcome);
  Result<plan::Plan> plan = plan::ParsePlanText(yaml, "reproduce.yaml", ::testing::TempDir());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString() << "\n" << yaml;
  const std::vector<plan::Case> cases = plan::ExpandMatrix(*plan);
  ASSERT_EQ(cases.size(), 2u) << yaml;
  EXPECT_EQ(cases[0].id, "kws/chosen/mps2-an500");
  EXPECT_EQ(cases[0].configuration->framework, "tflm");
  EXPECT_EQ(cases[0].configuration->optimisation, "-O3");
  EXPECT_EQ(cases[1].id, "kws/baseline/mps2-an386");
  EXPECT_EQ(plan->networks[0].dataset, read->network.dataset);
  EXPECT_NEAR(SavingPct(9, 45), 80, 1e-9);
}

}  // namespace
}  // namespace hil::optimize
