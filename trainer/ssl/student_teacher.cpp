#include "trainer/ssl/student_teacher.h"

#include <torch/torch.h>

#include "models/factory/backbone_factory.h"
#include "trainer/ssl/dino_loss.h"
#include "trainer/ssl/ema_teacher.h"
#include "trainer/ssl/ibot_loss.h"
#include "trainer/ssl/koleo_loss.h"
#include "trainer/ssl/ssl_network_file.h"

namespace pathodino::ssl {
namespace {

void append_named(std::vector<std::pair<std::string, torch::Tensor>>& out,
                  const std::string& prefix, const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters())
    out.emplace_back(prefix + item.key(), item.value());
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> SslNetwork::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  append_named(out, "backbone.", *backbone);
  append_named(out, "dino_head.", *heads.dino);
  if (!heads.shared()) append_named(out, "ibot_head.", *heads.ibot);
  return out;
}

std::vector<torch::Tensor> SslNetwork::parameters() const {
  std::vector<torch::Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

void SslNetwork::train(bool on) {
  backbone->train(on);
  heads.dino->train(on);
  heads.ibot->train(on);
}

void SslNetwork::to(const torch::Device& device) {
  backbone->to(device);
  heads.dino->to(device);
  if (!heads.shared()) heads.ibot->to(device);
}

StudentTeacher::StudentTeacher(const models::ModelOptions& model, const SslOptions& ssl,
                               int64_t img_size, uint64_t seed)
    : options_(ssl),
      dino_center_(ssl.dino.head.n_prototypes, ssl.center_momentum),
      ibot_center_(ssl.ibot.separate_head ? ssl.ibot.head.n_prototypes : ssl.dino.head.n_prototypes,
                   ssl.center_momentum) {
  // The student reads model.pretrained (a backbone file, with heads for continual pretraining);
  // the teacher is built bare and becomes a copy of the student below, so the file is read once.
  models::ModelOptions bare = model;
  bare.pretrained.clear();
  student_.backbone = models::build_backbone(model, img_size, seed);
  teacher_.backbone = models::build_backbone(bare, img_size, seed);
  const int64_t dim = student_.backbone->spec().embed_dim;
  student_.heads = make_ssl_heads(ssl, dim, seed + 1000);
  teacher_.heads = make_ssl_heads(ssl, dim, seed + 1000);
  if (!model.pretrained.empty())
    heads_pretrained_ = import_ssl_heads(student_.heads, model.pretrained);
  student_params_ = student_.parameters();
  teacher_params_ = teacher_.parameters();
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < teacher_params_.size(); ++i) {
    teacher_params_[i].copy_(student_params_[i]);
    teacher_params_[i].set_requires_grad(false);
  }
  // Fixed prototype gains are buffers, not parameters: copied as well.
  const auto copy_buffers = [](const models::DinoHead& from, const models::DinoHead& to) {
    const auto source = from->buffers(), target = to->buffers();
    for (size_t i = 0; i < target.size(); ++i) target[i].copy_(source[i]);
  };
  copy_buffers(student_.heads.dino, teacher_.heads.dino);
  if (!student_.heads.shared()) copy_buffers(student_.heads.ibot, teacher_.heads.ibot);
  teacher_.train(false);  // no drop path in the teacher
  student_.train(true);
}

void StudentTeacher::to(const torch::Device& device) {
  student_.to(device);
  teacher_.to(device);
  student_params_ = student_.parameters();
  teacher_params_ = teacher_.parameters();
}

torch::Tensor StudentTeacher::centre(const torch::Tensor& logits, double temperature,
                                     SoftmaxCenter& center, const AllReduceSum& all_reduce) {
  if (options_.centering == Centering::sinkhorn_knopp)
    return sinkhorn_knopp(logits, temperature, options_.sinkhorn_iterations, all_reduce);
  return center.apply(logits, temperature);
}

SslLosses StudentTeacher::forward(const SslBatch& batch, double teacher_temp,
                                  const AllReduceSum& all_reduce) {
  const int64_t b = batch.batch_size;
  // Not "any patch masked here": that differs between ranks, and the iBOT centering's collectives
  // must run on every rank alike. A rank without masked patches contributes empty tensors.
  const bool use_ibot = options_.ibot.loss_weight > 0 && batch.masks.defined();
  const torch::Tensor ibot_read = use_ibot ? batch.masks : torch::Tensor();
  SslLosses losses;

  // Teacher: targets for the student.
  torch::Tensor dino_targets, ibot_targets, teacher_cls;
  {
    torch::NoGradGuard no_grad;
    // Only CLS and the masked patches are read: Note [Last block on read tokens].
    const models::VitReadOutput out =
        teacher_.backbone->forward_read(batch.global_crops, {}, ibot_read);
    teacher_cls = out.cls;
    const HeadLogits logits = teacher_.heads.forward(out.cls, out.patches);  // [2B, K], [M, K]
    dino_targets = centre(logits.dino, teacher_temp, dino_center_, all_reduce);
    if (use_ibot) ibot_targets = centre(logits.ibot, teacher_temp, ibot_center_, all_reduce);
  }
  dino_targets = dino_targets.view({2, b, -1});

  // Student.
  const models::VitReadOutput global_out =
      student_.backbone->forward_read(batch.global_crops, ibot_read, ibot_read);
  torch::Tensor cls = global_out.cls;
  if (batch.local_crops.defined() && batch.local_crops.size(0) > 0)
    cls = torch::cat({cls, student_.backbone->forward_read(batch.local_crops, {}, {}).cls});
  const HeadLogits logits = student_.heads.forward(cls, global_out.patches);
  const auto student_logits = logits.dino.view({cls.size(0) / b, b, -1});
  losses.dino = dino_loss(student_logits, dino_targets, options_.student_temp);
  losses.ibot = use_ibot ? ibot_loss(logits.ibot, ibot_targets, batch.masks, options_.student_temp)
                         : torch::zeros({}, losses.dino.options());
  const auto global_cls = global_out.cls.chunk(2);
  losses.koleo = koleo_loss(global_cls[0]) + koleo_loss(global_cls[1]);  // DINOv2: a sum
  const bool softmax_center = options_.centering == Centering::softmax_center;
  losses.health = measure_health(
      dino_targets.flatten(0, 1), student_logits.flatten(0, 1), options_.student_temp, teacher_cls,
      softmax_center ? dino_center_.center() : torch::Tensor(), all_reduce);
  losses.total = options_.dino.loss_weight * losses.dino + options_.ibot.loss_weight * losses.ibot +
                 options_.koleo.loss_weight * losses.koleo;
  return losses;
}

void StudentTeacher::update_centers(const AllReduceSum& all_reduce) {
  dino_center_.update(all_reduce);
  ibot_center_.update(all_reduce);
}

void StudentTeacher::discard_center_updates() {
  dino_center_.discard_pending();
  ibot_center_.discard_pending();
}

void StudentTeacher::update_teacher(double momentum) {
  ema_update(teacher_params_, student_params_, momentum);
}

}  // namespace pathodino::ssl
