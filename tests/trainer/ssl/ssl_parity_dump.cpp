// Test helper for test_dinov2_parity.py: the training step of a small DINOv2 setup, written so
// that Meta's own code (the `dinov2` package) can replay it — initial weights, crops, masks and
// schedule values in; losses, head outputs, every gradient of the first step, and student,
// teacher and centers after 3 AdamW + EMA steps out — once with softmax centering, once with
// Sinkhorn-Knopp. Both sides run in fp64, so that three Adam steps compare without fp32 rounding
// (Adam divides by the gradient's own size: elements with tiny gradients amplify rounding).
//   ssl_parity_dump OUT.safetensors
#include <torch/torch.h>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/train_step.h"

using namespace pathodino;

namespace {

constexpr int64_t kBatch = 3, kGlobal = 64, kLocal = 32, kLocalCrops = 2, kSteps = 3;

models::ModelOptions backbone_options() {
  models::ModelOptions m;
  m.arch = "vit_small";  // dinov2.models.vision_transformer.vit_small
  m.patch_size = 16;
  m.drop_path_rate = 0.0;  // stochastic depth draws differ between the two sides
  m.layerscale_init = 1e-5;
  return m;
}

ssl::SslOptions ssl_options(ssl::Centering centering) {
  ssl::SslOptions s;
  s.dino.head = {128, 32, 64, 3, true};
  s.centering = centering;
  return s;
}

optim::OptimOptions optim_options() {
  optim::OptimOptions o;  // DINOv2's layer-wise decay 0.9, patch-embed 0.2, clip 3.0
  o.clip_grad = 3.0;
  return o;
}

// Step values: the last layer frozen in step 0 (last_layer_lr 0), free afterwards. Meta's
// Sinkhorn-Knopp runs in fp32 on the teacher crops in swapped order, so its targets differ from
// ours by ~1e-8; Adam passes that on to the parameters in proportion to the learning rate (3e-6
// of their scale after 3 steps at this rate, 1e-5 at 1e-3).
train::StepValues values_at(int64_t step) {
  const double lr = 3e-4;
  return {lr, step == 0 ? 0.0 : lr, 0.04 + 0.01 * static_cast<double>(step), 0.9, 0.05, lr};
}

// LayerScale gammas, prototype gains and biases away from their init (1e-5, 1, 0), so that
// they matter and no tensor is measured against a scale of zero; the same values in every
// scenario.
void perturb(ssl::StudentTeacher& model) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  for (auto& [name, p] : model.student().named_parameters())
    if (name.find("gamma") != std::string::npos || name.find("weight_g") != std::string::npos)
      p.copy_(0.5 + torch::rand(p.sizes()));
    else if (name.ends_with(".bias"))
      p.copy_(0.02 * torch::randn(p.sizes()));
  auto student = model.student().parameters();
  auto teacher = model.teacher().parameters();
  for (size_t i = 0; i < student.size(); ++i) teacher[i].copy_(student[i]);
}

ssl::SslBatch make_batch() {
  ssl::SslBatch b;
  b.batch_size = kBatch;
  b.global_crops = torch::randn({2 * kBatch, 3, kGlobal, kGlobal}, torch::kFloat64);
  b.local_crops = torch::randn({kLocalCrops * kBatch, 3, kLocal, kLocal}, torch::kFloat64);
  const int64_t patches = (kGlobal / 16) * (kGlobal / 16);
  b.masks = torch::rand({2 * kBatch, patches}) < 0.4;
  b.masks.slice(0, 0, 2).fill_(false);  // images without masks count, with no patch
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  torch::manual_seed(0);
  models::SafetensorsContent out;
  auto put = [&](const std::string& name, const torch::Tensor& t) {
    out.tensors.push_back(models::to_st_tensor(name, t.detach().contiguous()));
  };
  const ssl::SslBatch batch = make_batch();
  put("input.global_crops", batch.global_crops);
  put("input.local_crops", batch.local_crops);
  put("input.masks", batch.masks.to(torch::kUInt8));
  const auto head_input = torch::randn({5, 384}, torch::kFloat64);
  put("input.head", head_input);
  for (int64_t s = 0; s < kSteps; ++s) {
    const train::StepValues v = values_at(s);
    put("values." + std::to_string(s),
        torch::tensor({v.lr, v.last_layer_lr, v.weight_decay, v.teacher_momentum, v.teacher_temp},
                      torch::kFloat64));
  }
  for (const auto centering : {ssl::Centering::softmax_center, ssl::Centering::sinkhorn_knopp}) {
    const std::string tag = centering == ssl::Centering::softmax_center ? "softmax." : "sinkhorn.";
    ssl::StudentTeacher model(backbone_options(), ssl_options(centering), kGlobal, 7);
    for (auto* network : {&model.student(), &model.teacher()}) {
      network->backbone->to(torch::kFloat64);
      network->heads.dino->to(torch::kFloat64);
    }
    perturb(model);
    if (centering == ssl::Centering::softmax_center) {
      for (auto& [name, p] : model.student().named_parameters()) put("init." + name, p);
      torch::NoGradGuard no_grad;
      put("head.output", model.student().heads.dino->forward(head_input));
    }
    train::TrainStep step(model, optim_options(), 5, false);
    std::vector<std::pair<std::string, torch::Tensor>> grads;
    step.set_before_state_update([&] {  // after backward, before clipping: the raw gradients
      if (!grads.empty()) return;
      for (auto& [name, p] : model.student().named_parameters())
        grads.emplace_back(name, p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    });
    for (int64_t s = 0; s < kSteps; ++s) {
      const train::StepResult r = step(batch, s, values_at(s));
      if (!r.applied) return 3;
      put(tag + "loss." + std::to_string(s),
          torch::tensor({r.dino, r.ibot, r.koleo}, torch::kFloat64));
    }
    for (auto& [name, g] : grads) put(tag + "grad." + name, g);
    for (auto& [name, p] : model.student().named_parameters()) put(tag + "student." + name, p);
    for (auto& [name, p] : model.teacher().named_parameters()) put(tag + "teacher." + name, p);
    put(tag + "dino_center", model.dino_center().center());
    put(tag + "ibot_center", model.ibot_center().center());
  }
  models::write_safetensors(argv[1], out);
  return 0;
}
