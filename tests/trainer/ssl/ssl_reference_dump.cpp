// Test helper for test_ssl_reference.py: random inputs (seeded) through every SSL loss, centering
// method, schedule, the weighted kNN and the linear probe, written with their results to one file.
//   ssl_reference_dump OUT.safetensors CONFIG.yaml
#include <torch/torch.h>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"
#include "trainer/config/resolve.h"
#include "trainer/eval/knn.h"
#include "trainer/eval/linear_probe.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/centering.h"
#include "trainer/ssl/dino_loss.h"
#include "trainer/ssl/ibot_loss.h"
#include "trainer/ssl/koleo_loss.h"

using namespace pathodino;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  torch::manual_seed(0);
  models::SafetensorsContent out;
  auto put = [&](const std::string& name, const torch::Tensor& t) {
    out.tensors.push_back(models::to_st_tensor(name, t.detach().to(torch::kFloat64)));
  };
  const int64_t B = 6, K = 97, n_crops = 6, n_global = 2, n_patches = 10;
  const auto identity = ssl::single_process();

  // DINO: student logits for 2 global + 4 local crops, teacher targets for the globals.
  const auto student = torch::randn({n_crops, B, K}) * 3;
  // Head outputs are cosines against unit prototypes: teacher logits lie in [-1, 1].
  const auto teacher_logits = torch::rand({n_global, B, K}) * 2 - 1;
  put("dino.student", student);
  put("dino.teacher_logits", teacher_logits);
  ssl::SoftmaxCenter center(K, 0.9);
  center.center() = torch::randn({1, K}) * 0.1;
  put("center.before", center.center());
  const auto targets =
      center.apply(teacher_logits.reshape({-1, K}), 0.04).reshape({n_global, B, K});
  center.update(identity);
  put("center.targets", targets);
  put("center.after", center.center());
  put("dino.loss", ssl::dino_loss(student, targets, 0.1));
  put("sinkhorn.targets", ssl::sinkhorn_knopp(teacher_logits.reshape({-1, K}), 0.07, 3, identity));

  // iBOT: masked patches of 2·B global-crop images, some images unmasked.
  auto masks = torch::rand({n_global * B, n_patches}) < 0.3;
  masks.slice(0, 0, 3).fill_(false);
  const int64_t m = masks.sum().item<int64_t>();
  const auto ibot_student = torch::randn({m, K}) * 2;
  const auto ibot_targets = torch::softmax(torch::randn({m, K}) * 2, -1);
  put("ibot.masks", masks.to(torch::kFloat64));
  put("ibot.student", ibot_student);
  put("ibot.targets", ibot_targets);
  put("ibot.loss", ssl::ibot_loss(ibot_student, ibot_targets, masks, 0.1));

  // KoLeo, with its gradient.
  auto features = torch::randn({B, 16}).requires_grad_(true);
  const auto koleo = ssl::koleo_loss(features);
  koleo.backward();
  put("koleo.features", features);
  put("koleo.loss", koleo);
  put("koleo.grad", features.grad());

  // Weighted kNN on overlapping clusters (so that some queries are misclassified).
  const auto centres = torch::randn({5, 32});
  const auto bank_labels = torch::randint(0, 5, {300}, torch::kInt64);
  const auto query_labels = torch::randint(0, 5, {120}, torch::kInt64);
  auto unit = [](const torch::Tensor& x) { return x / x.norm(2, 1, true); };
  const auto bank = unit(centres.index_select(0, bank_labels) + 3.0 * torch::randn({300, 32}));
  const auto queries = unit(centres.index_select(0, query_labels) + 3.0 * torch::randn({120, 32}));
  put("knn.bank", bank);
  put("knn.bank_labels", bank_labels);
  put("knn.queries", queries);
  put("knn.query_labels", query_labels);
  put("knn.predictions", eval::knn_predict(bank, bank_labels, queries, 20, 0.07, 5));
  put("knn.top1",
      torch::tensor(eval::knn_top1(bank, bank_labels, queries, query_labels, 20, 0.07, 5)));

  // The linear probe on the same clusters: 40 full-batch AdamW steps from zero.
  {
    eval::EvalOptions probe;
    probe.linear_epochs = 40;
    probe.linear_lr = 0.05;
    probe.linear_weight_decay = 0.01;
    const auto r = eval::train_linear_probe({bank, bank_labels}, {queries, query_labels}, 5, probe);
    put("linear.losses", torch::tensor(r.losses, torch::kFloat64));
    put("linear.weight", r.weight);
    put("linear.bias", r.bias);
    put("linear.val_top1", torch::tensor(r.val_top1));
  }

  // Schedules of the given config at a global batch of 64.
  const auto config = config::resolve_config(argv[2]);
  const auto schedules = optim::make_training_schedules(config.optim, config.ssl, 64);
  const int64_t total = config.optim.epochs * config.optim.iterations_per_epoch;
  auto values = [&](const optim::CosineSchedule& s) {
    auto t = torch::empty({total + 3}, torch::kFloat64);
    for (int64_t i = 0; i < total + 3; ++i) t[i] = s[i];  // 3 steps past the end read `final`
    return t;
  };
  put("schedule.lr", values(schedules.lr));
  put("schedule.last_layer_lr", values(schedules.last_layer_lr));
  put("schedule.weight_decay", values(schedules.weight_decay));
  put("schedule.teacher_momentum", values(schedules.teacher_momentum));
  put("schedule.teacher_temp", values(schedules.teacher_temp));
  models::write_safetensors(argv[1], out);
  return 0;
}
