// StudentTeacher: DINOv2's meta-architecture on one rank — a student (backbone + heads) trained by
// gradient, a teacher of the same shape updated only as the student's EMA, the teacher's
// centering state, and the forward pass that turns a multi-crop batch into the three losses:
//   teacher (no grad, eval mode): global crops → CLS → DINO head → centred targets;
//                                 masked patch tokens → iBOT head → centred targets;
//   student: global crops with iBOT masks + local crops → CLS → DINO head;  masked patches → iBOT
//            head;  global CLS → KoLeo.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/model_options.h"
#include "models/vit/vision_transformer.h"
#include "trainer/ssl/centering.h"
#include "trainer/ssl/collectives.h"
#include "trainer/ssl/ssl_heads.h"
#include "trainer/ssl/ssl_health.h"
#include "trainer/ssl/ssl_options.h"

namespace pathodino::ssl {

struct SslNetwork {
  models::VisionTransformer backbone{nullptr};
  SslHeads heads;
  // "backbone.<name>", "dino_head.<name>", and "ibot_head.<name>" when the iBOT head is separate.
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const;
  std::vector<torch::Tensor> parameters() const;
  void train(bool on);
  void to(const torch::Device& device);
};

// One rank's input: crops crop-major, as MultiCropBatch lays them out.
struct SslBatch {
  torch::Tensor global_crops;  // [2·B, 3, G, G]
  torch::Tensor local_crops;   // [N·B, 3, L, L]; undefined when N = 0
  torch::Tensor masks;         // bool [2·B, (G/p)²], true = masked for the student
  int64_t batch_size = 0;      // B
};

struct SslLosses {
  torch::Tensor dino, ibot, koleo;  // unweighted scalar terms
  torch::Tensor total;              // weighted sum; what backward() is called on
  SslHealth health;                 // collapse monitors over the global batch (ssl_health.h)
};

class StudentTeacher {
 public:
  // `img_size` is the global crop side (position embedding grid); both networks start equal.
  StudentTeacher(const models::ModelOptions& model, const SslOptions& ssl, int64_t img_size,
                 uint64_t seed);

  // The losses of one (micro-)batch. Softmax centers are applied but only move in
  // update_centers(), once per optimizer step.
  SslLosses forward(const SslBatch& batch, double teacher_temp, const AllReduceSum& all_reduce);
  void update_centers(const AllReduceSum& all_reduce);
  void discard_center_updates();         // a skipped step leaves the centers as they were
  void update_teacher(double momentum);  // θ_t ← m θ_t + (1 − m) θ_s
  void to(const torch::Device& device);

  SslNetwork& student() { return student_; }
  SslNetwork& teacher() { return teacher_; }
  const SslOptions& options() const { return options_; }
  // Whether the heads came from model.pretrained (a backbone file with heads) or were initialised.
  bool heads_pretrained() const { return heads_pretrained_; }
  // The softmax centers (checkpointed; unused under Sinkhorn-Knopp).
  SoftmaxCenter& dino_center() { return dino_center_; }
  SoftmaxCenter& ibot_center() { return ibot_center_; }

 private:
  torch::Tensor centre(const torch::Tensor& logits, double temperature, SoftmaxCenter& center,
                       const AllReduceSum& all_reduce);

  SslOptions options_;
  SslNetwork student_, teacher_;
  std::vector<torch::Tensor> student_params_, teacher_params_;
  SoftmaxCenter dino_center_, ibot_center_;
  bool heads_pretrained_ = false;
};

}  // namespace pathodino::ssl
