// SslOptions: the `ssl:` section — the DINO, iBOT and KoLeo objectives, centering and the EMA
// teacher. Defaults are DINOv2's (`dino:`, `ibot:`, `teacher:` in ssl_default_config.yaml).
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::ssl {

enum class Centering { softmax_center, sinkhorn_knopp };

// A projection head: MLP → L2-normalised bottleneck → weight-normed prototypes.
struct HeadOptions {
  int64_t n_prototypes = 65536;
  int64_t bottleneck_dim = 256;
  int64_t hidden_dim = 2048;
  int64_t nlayers = 3;
  bool trainable_gain =
      true;  // DINOv2 trains the prototypes' weight-norm gains; false fixes them at 1
};

struct DinoOptions {
  double loss_weight = 1.0;
  HeadOptions head;
};

struct IbotOptions {
  double loss_weight = 1.0;
  double mask_sample_probability = 0.5;  // share of images that get masked
  std::vector<double> mask_ratio_min_max{0.1, 0.5};
  bool separate_head = false;  // false: iBOT shares the DINO head (and ignores `head`)
  HeadOptions head;
};

struct KoleoOptions {
  double loss_weight = 0.1;
};

struct TeacherOptions {
  double temp = 0.07;
  double warmup_temp = 0.04;
  int64_t warmup_temp_epochs = 30;
  double momentum = 0.992;  // EMA momentum at step 0, cosine to final_momentum
  double final_momentum = 1.0;
};

struct SslOptions {
  DinoOptions dino;
  IbotOptions ibot;
  KoleoOptions koleo;
  Centering centering = Centering::softmax_center;
  double center_momentum = 0.9;
  int64_t sinkhorn_iterations = 3;
  double student_temp = 0.1;
  TeacherOptions teacher;
};

}  // namespace pathodino::ssl
