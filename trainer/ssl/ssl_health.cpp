#include "trainer/ssl/ssl_health.h"

#include <torch/torch.h>

#include <cmath>

namespace pathodino::ssl {
namespace {

// Σ over rows of −Σₖ pₖ log pₖ.
torch::Tensor entropy_sum(const torch::Tensor& p) {
  return (-(p * torch::log(p.clamp_min(1e-12)))).sum().reshape({1});
}

double kl_to_uniform(const torch::Tensor& mean_p) {
  const double k = static_cast<double>(mean_p.size(0));
  return (mean_p * torch::log(mean_p.clamp_min(1e-12) * k)).sum().item<double>();
}

double prototypes_for_mass(const torch::Tensor& mean_p, double mass) {
  const auto cumulative = std::get<0>(mean_p.sort(0, /*descending=*/true)).cumsum(0);
  return static_cast<double>(
      cumulative.lt(mass * cumulative[-1].item<double>()).sum().item<int64_t>() + 1);
}

}  // namespace

void SslHealth::add(const SslHealth& o, double w) {
  teacher_entropy += w * o.teacher_entropy;
  teacher_kl_to_uniform += w * o.teacher_kl_to_uniform;
  student_entropy += w * o.student_entropy;
  student_kl_to_uniform += w * o.student_kl_to_uniform;
  prototypes_for_90pct += w * o.prototypes_for_90pct;
  cls_effective_rank += w * o.cls_effective_rank;
  center_norm += w * o.center_norm;
}

double effective_rank_from_gram(const torch::Tensor& gram) {
  const auto sigma = torch::linalg_eigvalsh(gram.to(torch::kFloat64).cpu()).clamp_min(0).sqrt();
  const double total = sigma.sum().item<double>();
  if (total <= 0) return 0;
  const auto p = sigma / total + 1e-7;  // RankMe's ε
  return std::exp((-(p * torch::log(p))).sum().item<double>());
}

SslHealth measure_health(const torch::Tensor& teacher_targets, const torch::Tensor& student_logits,
                         double student_temp, const torch::Tensor& teacher_cls,
                         const torch::Tensor& center, const AllReduceSum& all_reduce) {
  torch::NoGradGuard no_grad;
  const auto p = teacher_targets.to(torch::kFloat32);
  const auto q = torch::softmax(student_logits.detach().to(torch::kFloat32) / student_temp, -1);
  const auto z = teacher_cls.to(torch::kFloat32);
  const int64_t k = p.size(1), d = z.size(1);
  const auto opts = p.options();
  auto sums = torch::cat({p.sum(0), q.sum(0), torch::mm(z.t(), z).flatten(), entropy_sum(p),
                          entropy_sum(q), torch::full({1}, static_cast<float>(p.size(0)), opts),
                          torch::full({1}, static_cast<float>(q.size(0)), opts)});
  all_reduce(sums);
  sums = sums.to(torch::kFloat64).cpu();
  const double rows_p = sums[-2].item<double>(), rows_q = sums[-1].item<double>();
  const auto mean_p = sums.slice(0, 0, k) / rows_p, mean_q = sums.slice(0, k, 2 * k) / rows_q;
  SslHealth h;
  h.teacher_entropy = sums[-4].item<double>() / rows_p;
  h.student_entropy = sums[-3].item<double>() / rows_q;
  h.teacher_kl_to_uniform = kl_to_uniform(mean_p);
  h.student_kl_to_uniform = kl_to_uniform(mean_q);
  h.prototypes_for_90pct = prototypes_for_mass(mean_p, 0.9);
  h.cls_effective_rank = effective_rank_from_gram(sums.slice(0, 2 * k, 2 * k + d * d).view({d, d}));
  h.center_norm = center.defined() ? center.to(torch::kFloat64).norm().item<double>() : 0.0;
  return h;
}

}  // namespace pathodino::ssl
