// OptimOptions: the `optim:` section — AdamW, its parameter groups and every schedule. Defaults
// are DINOv2's (`optim:` in ssl_default_config.yaml). An epoch is `iterations_per_epoch` steps,
// not a pass over the data (DINOv2's OFFICIAL_EPOCH_LENGTH).
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::optim {

enum class LrScaling { sqrt, linear, none };
// What lr, weight decay and EMA momentum do after the lr warm-up: DINOv2 anneals all three by a
// cosine to their end values; DINOv3 holds them at their start values, so that a run can be
// stopped, extended or resumed at any length without a schedule tied to its planned end.
enum class ScheduleKind { cosine, constant };

struct OptimOptions {
  int64_t epochs = 100;
  int64_t iterations_per_epoch = 1250;
  double base_lr = 0.004;  // per 1024 images of global batch, scaled by lr_scaling
  LrScaling lr_scaling = LrScaling::sqrt;
  ScheduleKind schedule = ScheduleKind::cosine;
  double min_lr = 1e-6;
  int64_t warmup_epochs = 10;
  double weight_decay = 0.04;  // cosine from weight_decay to weight_decay_end
  double weight_decay_end = 0.4;
  std::vector<double> betas{0.9, 0.999};
  double layerwise_decay = 0.9;
  double patch_embed_lr_mult = 0.2;
  // DINOv2 decays the position embedding and the CLS/register/mask tokens like any weight
  // (dinov2/utils/param_groups.py exempts only biases, norms and LayerScale); false exempts them.
  bool decay_embeddings = true;
  double clip_grad = 3.0;  // max global gradient norm; 0 = no clipping
  int64_t freeze_last_layer_epochs = 1;
  // Continual pretraining from a backbone without heads: the first `heads_only_steps` steps train
  // only the heads (backbone lr 0, so the backbone and the teacher's copy stay as loaded), then
  // the backbone's lr rises linearly from 0 over `backbone_rewarm_steps` (0 = warmup_epochs).
  int64_t heads_only_steps = 0;
  int64_t backbone_rewarm_steps = 0;
  int64_t grad_accumulation_steps = 1;
};

}  // namespace pathodino::optim
