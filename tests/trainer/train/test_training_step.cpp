// The training step's parts on a small ViT: StudentTeacher losses and gradients, the EMA update,
// scheduled AdamW groups and the frozen last layer, per-module clipping, the non-finite guard,
// iBOT mask batches, and the log formats.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "trainer/metrics/jsonl_log.h"
#include "trainer/metrics/progress_line.h"
#include "trainer/optim/grad_clip.h"
#include "trainer/optim/param_groups.h"
#include "trainer/optim/scheduled_adamw.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/nonfinite_guard.h"
#include "trainer/train/train_step.h"

namespace pathodino {
namespace {

models::ModelOptions tiny_model() {
  models::ModelOptions model;
  model.arch = "vit_tiny";
  model.patch_size = 8;
  model.drop_path_rate = 0.1;
  return model;
}

ssl::SslOptions small_heads() {
  ssl::SslOptions options;
  options.dino.head = {256, 64, 128, 3};
  options.ibot.separate_head = true;
  options.ibot.head = {128, 64, 128, 3};
  return options;
}

ssl::SslBatch random_batch(int64_t b) {
  ssl::SslBatch batch;
  batch.batch_size = b;
  batch.global_crops = torch::randn({2 * b, 3, 32, 32});
  batch.local_crops = torch::randn({3 * b, 3, 16, 16});
  batch.masks = train::ibot_masks_tensor({4, 0.5, 0.1, 0.5}, b, 7, 0, 0, b);
  return batch;
}

TEST(StudentTeacher, LossesGradientsAndEma) {
  torch::manual_seed(0);
  ssl::StudentTeacher model(tiny_model(), small_heads(), 32, 3);
  auto student = model.student().named_parameters();
  auto teacher = model.teacher().named_parameters();
  ASSERT_EQ(student.size(), teacher.size());
  for (size_t i = 0; i < student.size(); ++i) {
    ASSERT_EQ(student[i].first, teacher[i].first);
    ASSERT_TRUE(torch::equal(student[i].second, teacher[i].second)) << student[i].first;
    ASSERT_FALSE(teacher[i].second.requires_grad());
  }
  const ssl::SslBatch batch = random_batch(4);
  ASSERT_GT(batch.masks.sum().item<int64_t>(), 0);
  const ssl::SslLosses losses = model.forward(batch, 0.04, ssl::single_process());
  for (const auto& t : {losses.dino, losses.ibot, losses.koleo})
    ASSERT_TRUE(std::isfinite(t.item<double>()));
  EXPECT_GT(losses.ibot.item<double>(), 0);
  EXPECT_NEAR(
      losses.total.item<double>(),
      losses.dino.item<double>() + losses.ibot.item<double>() + 0.1 * losses.koleo.item<double>(),
      1e-4);
  const ssl::SslHealth& h = losses.health;
  for (double entropy : {h.teacher_entropy, h.student_entropy}) {
    EXPECT_GE(entropy, 0);
    EXPECT_LE(entropy, std::log(256.0) + 1e-4);
  }
  EXPECT_GE(h.teacher_kl_to_uniform, -1e-6);
  EXPECT_GE(h.student_kl_to_uniform, -1e-6);
  EXPECT_GE(h.prototypes_for_90pct, 1);
  EXPECT_LE(h.prototypes_for_90pct, 256);
  EXPECT_GT(h.cls_effective_rank, 1.0);
  EXPECT_LE(h.cls_effective_rank, 8.0 + 1e-6);  // 2·4 global crops
  EXPECT_EQ(h.center_norm, 0.0);                // no update yet
  losses.total.backward();
  int64_t with_grad = 0;
  for (auto& [name, p] : student)
    if (p.grad().defined()) ++with_grad;
  EXPECT_GE(with_grad, static_cast<int64_t>(student.size()) - 1);  // all but maybe the mask token
  EXPECT_TRUE(model.student().backbone->named_parameters()["mask_token"].grad().defined());
  for (auto& [name, p] : teacher) ASSERT_FALSE(p.grad().defined()) << name;

  // EMA: after changing the student, teacher = m·teacher + (1 − m)·student.
  const auto before = teacher[5].second.clone();
  {
    torch::NoGradGuard no_grad;
    student[5].second.add_(1.0);
  }
  model.update_teacher(0.9);
  EXPECT_TRUE(torch::allclose(teacher[5].second, 0.9 * before + 0.1 * student[5].second));
}

TEST(ScheduledAdamW, GroupValuesAndFrozenLastLayer) {
  torch::manual_seed(1);
  ssl::StudentTeacher model(tiny_model(), small_heads(), 32, 4);
  std::vector<std::pair<std::string, torch::Tensor>> backbone, heads;
  for (auto& [name, p] : model.student().named_parameters())
    (name.rfind("backbone.", 0) == 0 ? backbone : heads)
        .emplace_back(name.rfind("backbone.", 0) == 0 ? name.substr(9) : name, p);
  const auto groups = optim::make_param_groups(backbone, 12, heads, optim::OptimOptions{});
  optim::ScheduledAdamW optimizer(groups, optim::OptimOptions{});
  optimizer.set_schedule_values({1e-3, 0.0, 1e-3, 0.04});
  for (auto& group : optimizer.optimizer().param_groups()) {
    const auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    EXPECT_LE(o.lr(), 1e-3 + 1e-12);
    EXPECT_TRUE(o.weight_decay() == 0.0 || std::abs(o.weight_decay() - 0.04) < 1e-12);
  }
  // Every tensor's lr is schedule × its own multiplier.
  for (const auto& g : groups)
    for (auto& group : optimizer.optimizer().param_groups())
      for (auto& p : group.params())
        if (p.is_same(g.param)) {
          const auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
          ASSERT_NEAR(o.lr(), g.is_last_layer ? 0.0 : 1e-3 * g.lr_multiplier, 1e-15) << g.name;
          ASSERT_NEAR(o.weight_decay(), 0.04 * g.wd_multiplier, 1e-15) << g.name;
        }

  const auto last_layer = model.student().heads.dino->last_layer_weight().clone();
  const auto gain = model.student().heads.dino->last_layer_gain().clone();
  const auto qkv = model.student().backbone->named_parameters()["blocks.3.attn.qkv.weight"].clone();
  optimizer.zero_grad();
  model.forward(random_batch(2), 0.04, ssl::single_process()).total.backward();
  optimizer.step();
  EXPECT_TRUE(torch::equal(model.student().heads.dino->last_layer_weight(), last_layer));
  EXPECT_TRUE(torch::equal(model.student().heads.dino->last_layer_gain(), gain));
  EXPECT_FALSE(
      torch::equal(model.student().backbone->named_parameters()["blocks.3.attn.qkv.weight"], qkv));
}

TEST(TrainStep, ASkippedStepLeavesCentersStudentAndTeacherAsTheyWere) {
  torch::manual_seed(2);
  ssl::StudentTeacher model(tiny_model(), small_heads(), 32, 5);
  optim::OptimOptions optim;
  optim.freeze_last_layer_epochs = 0;
  train::TrainStep step(model, optim, /*max_consecutive_nonfinite=*/3, /*bf16_autocast=*/false);
  const train::StepValues values{1e-3, 1e-3, 0.04, 0.9, 0.04, 1e-3};
  ASSERT_TRUE(step(random_batch(2), 0, values).applied);  // moves the centers away from zero
  const auto dino_center = model.dino_center().center().clone();
  const auto ibot_center = model.ibot_center().center().clone();
  const auto student = model.student().parameters()[3].clone();
  const auto teacher = model.teacher().parameters()[3].clone();
  ASSERT_GT(dino_center.abs().sum().item<double>(), 0.0);
  // A finite loss whose gradient is not: the step is dropped after the centers saw its batch.
  step.set_before_state_update([&] { model.student().parameters()[0].grad().fill_(NAN); });
  const train::StepResult r = step(random_batch(2), 1, values);
  EXPECT_FALSE(r.applied);
  EXPECT_TRUE(std::isfinite(r.dino));
  EXPECT_EQ(step.skipped_total(), 1);
  EXPECT_TRUE(torch::equal(model.dino_center().center(), dino_center));
  EXPECT_TRUE(torch::equal(model.ibot_center().center(), ibot_center));
  EXPECT_TRUE(torch::equal(model.student().parameters()[3], student));
  EXPECT_TRUE(torch::equal(model.teacher().parameters()[3], teacher));
  // The next good step centres with the old center and moves it.
  step.set_before_state_update({});
  ASSERT_TRUE(step(random_batch(2), 2, values).applied);
  EXPECT_FALSE(torch::equal(model.dino_center().center(), dino_center));
}

// A heads-only step: the backbone's lr is 0, so student and teacher backbones stay bit-equal to
// where they started (AdamW's decoupled decay is scaled by the lr too) while the heads move.
TEST(TrainStep, HeadsOnlyStepsLeaveBothBackbonesAsLoaded) {
  torch::manual_seed(3);
  ssl::StudentTeacher model(tiny_model(), small_heads(), 32, 6);
  optim::OptimOptions optim;
  optim.freeze_last_layer_epochs = 0;
  train::TrainStep step(model, optim, /*max_consecutive_nonfinite=*/3, /*bf16_autocast=*/false);
  std::vector<torch::Tensor> student, teacher;
  for (const auto& p : model.student().backbone->parameters()) student.push_back(p.clone());
  for (const auto& p : model.teacher().backbone->parameters()) teacher.push_back(p.clone());
  const auto head = model.student().heads.dino->last_layer_weight().clone();
  const train::StepValues frozen{1e-3, 1e-3, 0.04, 0.9, 0.04, /*backbone_lr=*/0.0};
  for (int64_t s = 0; s < 2; ++s) ASSERT_TRUE(step(random_batch(2), s, frozen).applied);
  for (size_t i = 0; i < student.size(); ++i) {
    EXPECT_TRUE(torch::equal(model.student().backbone->parameters()[i], student[i])) << i;
    EXPECT_TRUE(torch::equal(model.teacher().backbone->parameters()[i], teacher[i])) << i;
  }
  EXPECT_FALSE(torch::equal(model.student().heads.dino->last_layer_weight(), head));
  const train::StepValues joined{1e-3, 1e-3, 0.04, 0.9, 0.04, 1e-3};
  ASSERT_TRUE(step(random_batch(2), 2, joined).applied);
  EXPECT_FALSE(torch::equal(model.student().backbone->parameters()[3], student[3]));
}

TEST(GradClip, ClipsEachModuleAndReportsTheGlobalNorm) {
  auto a = torch::zeros({4}, torch::requires_grad());
  auto b = torch::zeros({3}, torch::requires_grad());
  a.mutable_grad() = torch::full({4}, 3.0);  // norm 6
  b.mutable_grad() = torch::full({3}, 0.5);  // norm ≈ 0.866
  const double norm = optim::clip_grad_norms({{a}, {b}}, 3.0);
  EXPECT_NEAR(norm, std::sqrt(36.0 + 0.75), 1e-5);
  EXPECT_NEAR(a.grad().norm().item<double>(), 3.0, 1e-4);              // clipped on its own
  EXPECT_NEAR(b.grad().norm().item<double>(), std::sqrt(0.75), 1e-6);  // untouched
  b.mutable_grad()[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(std::isfinite(optim::clip_grad_norms({{a}, {b}}, 3.0)));
}

TEST(NonfiniteGuard, SkipsCountsAndStopsNamingTheTerm) {
  train::NonfiniteGuard guard(3);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(guard.accept(0, {{"dino loss", 1.0}, {"koleo loss", -0.5}}));
  EXPECT_FALSE(guard.accept(1, {{"dino loss", 1.0}, {"ibot loss", nan}}));
  EXPECT_FALSE(guard.accept(2, {{"gradient norm", INFINITY}}));
  EXPECT_TRUE(guard.accept(3, {{"dino loss", 2.0}}));  // a good step resets the run of skips
  EXPECT_EQ(guard.skipped_total(), 2);
  EXPECT_FALSE(guard.accept(4, {{"ibot loss", nan}}));
  EXPECT_FALSE(guard.accept(5, {{"ibot loss", nan}}));
  try {
    guard.accept(6, {{"dino loss", 1.0}, {"ibot loss", nan}});
    FAIL() << "expected TrainingDiverged";
  } catch (const train::TrainingDiverged& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("step 6: ibot loss is NaN for 3 consecutive steps"), std::string::npos)
        << message;
  }
}

TEST(IbotMasks, TensorRowsAreTheLoadersPerCropMasks) {
  const data::IbotMasking masking{6, 0.5, 0.1, 0.5};
  const auto masks = train::ibot_masks_tensor(masking, 8, 1, 5, 2, 3);  // images 2–4 of 8
  ASSERT_EQ(masks.sizes(), (std::vector<int64_t>{6, 36}));
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 3; ++i) {
      const auto mask = data::ibot_mask(masking, 16, 1, 5, c * 8 + 2 + i);
      for (int64_t j = 0; j < 36; ++j)
        ASSERT_EQ(masks[c * 3 + i][j].item<bool>(), mask[j] != 0) << c << " " << i << " " << j;
    }
}

TEST(Logs, JsonLinesAndProgress) {
  metrics::LogRecord record;
  record.integers = {{"step", 12}};
  record.numbers = {{"loss", 1.5}, {"grad_norm", std::numeric_limits<double>::quiet_NaN()}};
  record.texts = {{"event", "skip"}};
  const auto parsed = nlohmann::json::parse(metrics::JsonlLog::to_json_line(record));
  EXPECT_EQ(parsed["step"], 12);
  EXPECT_DOUBLE_EQ(parsed["loss"].get<double>(), 1.5);
  EXPECT_TRUE(parsed["grad_norm"].is_null());
  EXPECT_EQ(parsed["event"], "skip");

  EXPECT_EQ(metrics::format_duration(45), "45s");
  EXPECT_EQ(metrics::format_duration(185), "3m05s");
  EXPECT_EQ(metrics::format_duration(7620), "2h07m");
  metrics::Progress p{50, 200, 12.5, 2.0, {{"loss", 7.25}, {"dino", 7.0}}};
  EXPECT_EQ(metrics::progress_line(p),
            "step 50/200 (25%) | 12.5 img/s | ETA 5m00s | loss 7.25 dino 7");
}

}  // namespace
}  // namespace pathodino

#include "trainer/train/collapse_watch.h"

namespace pathodino {
namespace {

TEST(CollapseWatch, WarnsAfterWarmupWhileTheDinoLossSitsAtLogK) {
  const double log_k = std::log(4096.0);
  train::CollapseWatch watch(4096, /*warmup_end=*/20, 0.01, /*remind_every=*/3);
  EXPECT_NEAR(watch.log_prototypes(), log_k, 1e-12);
  for (int i = 0; i < 10; ++i) watch.add(log_k);
  EXPECT_FALSE(watch.check(9, log_k)) << "warm-up is not judged";
  for (int i = 0; i < 10; ++i) watch.add(log_k - 0.001);
  EXPECT_FALSE(watch.check(19, log_k)) << "still warm-up";
  for (int i = 0; i < 10; ++i) watch.add(log_k - 0.01);
  const auto warning = watch.check(29, log_k);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("after step 30"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("log K = 8.318"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("teacher targets are uniform"), std::string::npos) << *warning;
  EXPECT_TRUE(watch.collapsed());
  int reminders = 0;
  for (int line = 0; line < 6; ++line) {
    for (int i = 0; i < 10; ++i) watch.add(log_k);
    if (watch.check(39 + 10 * line, log_k)) ++reminders;
  }
  EXPECT_EQ(reminders, 2) << "reminded every 3rd line, not every line";
  // A sharp teacher with a near-uniform student keeps the loss at log K too; the line says so.
  train::CollapseWatch sharp(4096, 0, 0.01, 1);
  for (int i = 0; i < 10; ++i) sharp.add(log_k - 0.02);
  const auto student_side = sharp.check(9, 0.94 * log_k);
  ASSERT_TRUE(student_side);
  EXPECT_NE(student_side->find("off uniform but the student's predictions stay near it"),
            std::string::npos)
      << *student_side;
  // A loss clearly below log K is learning: no warning, the flag drops.
  for (int i = 0; i < 10; ++i) watch.add(0.8 * log_k);
  EXPECT_FALSE(watch.check(99, 0.7 * log_k));
  EXPECT_FALSE(watch.collapsed());
}

}  // namespace
}  // namespace pathodino
