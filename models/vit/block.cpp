#include "models/vit/block.h"

#include "models/vit_spec.h"

namespace pathodino::models {

LayerScaleImpl::LayerScaleImpl(int64_t dim, double init) {
  gamma = register_parameter("gamma", torch::full({dim}, init));
}

BlockImpl::BlockImpl(const VitSpec& spec, double drop_path_rate) : drop_path_rate_(drop_path_rate) {
  const int64_t dim = spec.embed_dim;
  auto norm = [dim] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6)); };
  norm1_ = register_module("norm1", norm());
  attn_ = register_module("attn", Attention(dim, spec.num_heads, spec.qkv_bias));
  norm2_ = register_module("norm2", norm());
  if (spec.ffn == FfnKind::mlp)
    mlp_ = register_module("mlp", Mlp(dim, spec.ffn_hidden_dim()));
  else
    swiglu_ = register_module("mlp", SwiGlu(dim, spec.ffn_hidden_dim()));
  if (spec.layerscale_init > 0) {
    ls1_ = register_module("ls1", LayerScale(dim, spec.layerscale_init));
    ls2_ = register_module("ls2", LayerScale(dim, spec.layerscale_init));
  }
}

torch::Tensor BlockImpl::residual(const torch::Tensor& branch, int64_t batch,
                                  const torch::Tensor& samples) {
  if (!is_training() || drop_path_rate_ <= 0) return branch;
  const double keep = 1.0 - drop_path_rate_;
  auto mask = torch::empty({batch}, branch.options()).bernoulli_(keep);
  if (samples.defined()) mask = mask.index_select(0, samples);
  std::vector<int64_t> shape(branch.dim(), 1);
  shape[0] = mask.size(0);
  return branch * mask.view(shape) / keep;
}

torch::Tensor BlockImpl::ffn(const torch::Tensor& x) {
  const auto normed = norm2_->forward(x);
  auto out = mlp_ ? mlp_->forward(normed) : swiglu_->forward(normed);
  return ls2_ ? ls2_->forward(out) : out;
}

torch::Tensor BlockImpl::forward(const torch::Tensor& input) {
  const int64_t batch = input.size(0);
  auto attn_out = attn_->forward(norm1_->forward(input));
  if (ls1_) attn_out = ls1_->forward(attn_out);
  const auto x = input + residual(attn_out, batch);
  return x + residual(ffn(x), batch);
}

torch::Tensor BlockImpl::forward_rows(const torch::Tensor& input, const torch::Tensor& rows) {
  const int64_t batch = input.size(0);
  const auto samples = torch::div(rows, input.size(1), "floor");
  const auto mixed = attn_->mix(norm1_->forward(input)).flatten(0, 1).index_select(0, rows);
  auto attn_out = attn_->project(mixed);
  if (ls1_) attn_out = ls1_->forward(attn_out);
  const auto x = input.flatten(0, 1).index_select(0, rows) + residual(attn_out, batch, samples);
  return x + residual(ffn(x), batch, samples);
}

}  // namespace pathodino::models
