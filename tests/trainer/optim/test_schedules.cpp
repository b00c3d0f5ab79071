// The per-step values of a run: DINOv2's cosine schedules and DINOv3's constant ones.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "trainer/optim/schedules.h"

using namespace pathodino::optim;

namespace {

OptimOptions twenty_steps() {
  OptimOptions optim;
  optim.epochs = 2;
  optim.iterations_per_epoch = 10;
  optim.warmup_epochs = 1;
  return optim;
}

}  // namespace

TEST(Schedules, CosineAnnealsLrDecayAndMomentumToTheirEnds) {
  OptimOptions optim = twenty_steps();
  optim.lr_scaling = LrScaling::none;
  optim.base_lr = 0.01;
  optim.min_lr = 0.001;
  optim.weight_decay = 0.04;
  optim.weight_decay_end = 0.4;
  pathodino::ssl::SslOptions ssl;
  ssl.teacher.momentum = 0.99;
  ssl.teacher.final_momentum = 1.0;
  const auto s = make_training_schedules(optim, ssl, 64);
  EXPECT_NEAR(s.lr[0], 0.0, 1e-12);
  EXPECT_NEAR(s.lr[9], 0.01, 1e-12);  // warm-up ends at the peak, both ends included
  EXPECT_NEAR(s.lr[10], 0.01, 1e-12);
  EXPECT_NEAR(s.lr[15], 0.001 + 0.5 * 0.009 * (1 + std::cos(std::numbers::pi * 5 / 10)), 1e-12);
  EXPECT_GT(s.lr[15], s.lr[19]);
  EXPECT_NEAR(s.lr[20], 0.001, 1e-12);  // past the end reads the end value
  EXPECT_NEAR(s.weight_decay[0], 0.04, 1e-12);
  EXPECT_GT(s.weight_decay[19], 0.35);
  EXPECT_NEAR(s.teacher_momentum[0], 0.99, 1e-12);
  EXPECT_GT(s.teacher_momentum[19], 0.999);
}

TEST(Schedules, ConstantHoldsThePeakAfterTheWarmUp) {
  OptimOptions optim = twenty_steps();
  optim.schedule = ScheduleKind::constant;
  optim.lr_scaling = LrScaling::sqrt;
  optim.base_lr = 0.004;
  optim.min_lr = 1e-6;  // ignored: nothing is annealed
  optim.weight_decay = 0.04;
  optim.weight_decay_end = 0.4;
  optim.freeze_last_layer_epochs = 1;
  pathodino::ssl::SslOptions ssl;
  ssl.teacher.momentum = 0.994;
  ssl.teacher.final_momentum = 1.0;
  const auto s = make_training_schedules(optim, ssl, 256);
  const double peak = 0.004 * 0.5;   // sqrt(256 / 1024)
  EXPECT_NEAR(s.lr[0], 0.0, 1e-12);  // the warm-up is the cosine schedule's
  EXPECT_NEAR(s.lr[5], peak * 5 / 9, 1e-12);
  for (int64_t i = 9; i <= 25; ++i) {
    EXPECT_NEAR(s.lr[i], peak, 1e-12) << i;
    EXPECT_NEAR(s.weight_decay[i], 0.04, 1e-12) << i;
    EXPECT_NEAR(s.teacher_momentum[i], 0.994, 1e-12) << i;
  }
  EXPECT_NEAR(s.weight_decay[0], 0.04, 1e-12);
  EXPECT_NEAR(s.last_layer_lr[9], 0.0, 1e-12);  // the last-layer freeze still applies
  EXPECT_NEAR(s.last_layer_lr[10], peak, 1e-12);
}

TEST(Schedules, TeacherTemperatureRampLongerThanTheRunIsCutOffNotRefused) {
  // DINOv2: CosineScheduler(temp, temp, warmup, warmup, start=warmup_temp) — a ramp of its own
  // length whatever the run's; a run shorter than the ramp ends part-way up.
  const OptimOptions optim = twenty_steps();
  pathodino::ssl::SslOptions ssl;
  ssl.teacher.warmup_temp = 0.04;
  ssl.teacher.temp = 0.07;
  ssl.teacher.warmup_temp_epochs = 5;  // 50 steps of ramp, 20 steps of run
  const auto s = make_training_schedules(optim, ssl, 64);
  for (int64_t i = 0; i < 20; ++i)
    EXPECT_NEAR(s.teacher_temp[i], 0.04 + 0.03 * static_cast<double>(i) / 49.0, 1e-12) << i;
  EXPECT_EQ(s.warmups_end, 50);        // the longer warm-up decides, even past the run's end
  ssl.teacher.warmup_temp_epochs = 1;  // a ramp inside the run reaches temp and stays
  const auto t = make_training_schedules(optim, ssl, 64);
  EXPECT_NEAR(t.teacher_temp[9], 0.07, 1e-12);
  EXPECT_NEAR(t.teacher_temp[19], 0.07, 1e-12);
  EXPECT_EQ(t.warmups_end, 10);
}

TEST(Schedules, HeadsOnlyWarmUpHoldsTheBackboneAtZeroThenReWarmsIt) {
  OptimOptions optim = twenty_steps();
  optim.schedule = ScheduleKind::constant;
  optim.lr_scaling = LrScaling::none;
  optim.base_lr = 0.01;
  optim.warmup_epochs = 0;
  pathodino::ssl::SslOptions ssl;
  EXPECT_EQ(make_training_schedules(optim, ssl, 64).backbone_lr[0], 0.01);  // off: the lr itself
  optim.heads_only_steps = 5;
  optim.backbone_rewarm_steps = 4;
  const auto s = make_training_schedules(optim, ssl, 64);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.backbone_lr[i], 0.0) << i;
    EXPECT_NEAR(s.lr[i], 0.01, 1e-12) << i;  // the heads train
  }
  for (int64_t i = 0; i < 4; ++i) EXPECT_NEAR(s.backbone_lr[5 + i], 0.01 * (i + 1) / 5, 1e-12);
  for (int64_t i = 9; i < 20; ++i) EXPECT_NEAR(s.backbone_lr[i], 0.01, 1e-12) << i;
  optim.backbone_rewarm_steps = 0;  // the lr warm-up's length: one epoch here
  optim.warmup_epochs = 1;
  const auto w = make_training_schedules(optim, ssl, 64);
  EXPECT_NEAR(w.backbone_lr[5], w.lr[5] / 11, 1e-12);
  EXPECT_NEAR(w.backbone_lr[15], w.lr[15], 1e-12);
}
