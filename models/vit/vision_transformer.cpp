#include "models/vit/vision_transformer.h"

#include <torch/nn/init.h>

#include "models/vit/block.h"
#include "models/vit/position_grid.h"

namespace pathodino::models {
namespace {

// DINOv2 calls trunc_normal_(std=0.02) with the default cut at ±2 (absolute, i.e. ±100σ).
void trunc_normal(torch::Tensor& t, double std, torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  t.normal_(0.0, std, gen).clamp_(-2.0, 2.0);
}

}  // namespace

double drop_path_rate_of_block(const VitSpec& spec, int64_t index) {
  if (spec.drop_path_schedule == DropPathSchedule::uniform || spec.depth <= 1)
    return spec.drop_path_rate;
  return spec.drop_path_rate * static_cast<double>(index) / static_cast<double>(spec.depth - 1);
}

VisionTransformerImpl::VisionTransformerImpl(const VitSpec& spec) : spec_(spec) {
  TORCH_CHECK(spec.img_size % spec.patch_size == 0, "img_size ", spec.img_size,
              " is not a multiple of the patch size ", spec.patch_size);
  const int64_t dim = spec.embed_dim, grid = spec.img_size / spec.patch_size;
  cls_token_ = register_parameter("cls_token", torch::zeros({1, 1, dim}));
  pos_embed_ = register_parameter("pos_embed", torch::zeros({1, 1 + grid * grid, dim}));
  if (spec.num_register_tokens > 0)
    register_tokens_ =
        register_parameter("register_tokens", torch::zeros({1, spec.num_register_tokens, dim}));
  mask_token_ = register_parameter("mask_token", torch::zeros({1, dim}));
  patch_embed_ = register_module("patch_embed", PatchEmbed(spec.patch_size, dim));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < spec.depth; ++i)
    blocks_->push_back(Block(spec, drop_path_rate_of_block(spec, i)));
  norm_ =
      register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6)));
  reset_parameters(0);
}

void VisionTransformerImpl::reset_parameters(uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  // Values come from one seeded CPU stream, so every device and rank gets identical weights.
  for (auto& item : named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    if (auto* linear = item.value()->as<torch::nn::Linear>()) {
      auto w = torch::empty_like(linear->weight, torch::kCPU);
      trunc_normal(w, 0.02, gen);
      linear->weight.copy_(w);
      if (linear->bias.defined()) linear->bias.zero_();
    }
  }
  // The patch projection keeps PyTorch's Conv2d default, U(±1/√fan_in), as DINOv2 does.
  auto& proj = patch_embed_->proj();
  const double bound = 1.0 / std::sqrt(static_cast<double>(proj->weight[0].numel()));
  proj->weight.copy_(torch::empty_like(proj->weight, torch::kCPU).uniform_(-bound, bound, gen));
  proj->bias.copy_(torch::empty_like(proj->bias, torch::kCPU).uniform_(-bound, bound, gen));
  auto pos = torch::empty_like(pos_embed_, torch::kCPU);
  trunc_normal(pos, 0.02, gen);
  pos_embed_.copy_(pos);
  cls_token_.copy_(torch::empty_like(cls_token_, torch::kCPU).normal_(0.0, 1e-6, gen));
  if (register_tokens_.defined())
    register_tokens_.copy_(
        torch::empty_like(register_tokens_, torch::kCPU).normal_(0.0, 1e-6, gen));
  mask_token_.zero_();
}

torch::Tensor VisionTransformerImpl::position_embedding(int64_t grid_h, int64_t grid_w) const {
  const int64_t stored = spec_.img_size / spec_.patch_size;
  if (grid_h == stored && grid_w == stored) return pos_embed_;
  return torch::cat(
      {pos_embed_.slice(1, 0, 1),
       resample_patch_positions(pos_embed_.slice(1, 1), grid_h, grid_w, spec_.interpolate_offset)},
      1);
}

torch::Tensor VisionTransformerImpl::embed(const torch::Tensor& images,
                                           const torch::Tensor& masks) {
  const int64_t batch = images.size(0);
  const int64_t grid_h = images.size(2) / spec_.patch_size,
                grid_w = images.size(3) / spec_.patch_size;
  auto x = patch_embed_->forward(images);
  if (masks.defined())
    x = torch::where(masks.unsqueeze(-1), mask_token_.to(x.scalar_type()).unsqueeze(0), x);
  x = torch::cat({cls_token_.expand({batch, -1, -1}).to(x.scalar_type()), x}, 1);
  x = x + position_embedding(grid_h, grid_w).to(x.scalar_type());
  if (spec_.num_register_tokens <= 0) return x;
  return torch::cat({x.slice(1, 0, 1), register_tokens_.expand({batch, -1, -1}).to(x.scalar_type()),
                     x.slice(1, 1)},
                    1);
}

VitOutput VisionTransformerImpl::forward(const torch::Tensor& images, const torch::Tensor& masks) {
  auto x = embed(images, masks);
  for (const auto& block : *blocks_) x = block->as<Block>()->forward(x);
  x = norm_->forward(x);
  const int64_t registers = spec_.num_register_tokens;
  return {x.select(1, 0), x.slice(1, 1, 1 + registers), x.slice(1, 1 + registers)};
}

VitReadOutput VisionTransformerImpl::forward_read(const torch::Tensor& images,
                                                  const torch::Tensor& masks,
                                                  const torch::Tensor& read) {
  auto x = embed(images, masks);
  const int64_t batch = x.size(0), tokens = x.size(1);
  const auto depth = static_cast<int64_t>(blocks_->size());
  for (int64_t i = 0; i + 1 < depth; ++i) x = blocks_[i]->as<Block>()->forward(x);
  // Flat rows into the B·N tokens: every sample's CLS, then the patches read.
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  auto rows = torch::arange(batch, long_options) * tokens;
  if (read.defined()) {
    const int64_t patches = read.size(1), first_patch = 1 + spec_.num_register_tokens;
    const auto flat = read.flatten().nonzero().squeeze(1);
    rows = torch::cat({rows, torch::div(flat, patches, "floor") * tokens + first_patch +
                                 torch::remainder(flat, patches)});
  }
  const auto out = norm_->forward(blocks_[depth - 1]->as<Block>()->forward_rows(x, rows));
  if (!read.defined()) return {out, torch::Tensor()};
  return {out.slice(0, 0, batch), out.slice(0, batch)};
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace pathodino::models
