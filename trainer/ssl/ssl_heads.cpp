#include "trainer/ssl/ssl_heads.h"

#include <torch/torch.h>

namespace pathodino::ssl {
namespace {

models::DinoHeadSpec head_spec(const HeadOptions& head, int64_t embed_dim) {
  return {embed_dim,           head.n_prototypes, head.hidden_dim,
          head.bottleneck_dim, head.nlayers,      head.trainable_gain};
}

}  // namespace

SslHeads make_ssl_heads(const SslOptions& options, int64_t embed_dim, uint64_t seed) {
  SslHeads heads;
  heads.dino = models::DinoHead(head_spec(options.dino.head, embed_dim), seed);
  heads.ibot = options.ibot.separate_head
                   ? models::DinoHead(head_spec(options.ibot.head, embed_dim), seed + 1)
                   : heads.dino;
  return heads;
}

HeadLogits SslHeads::forward(const torch::Tensor& cls, const torch::Tensor& patches) {
  if (!patches.defined()) return {dino->forward(cls), torch::Tensor()};
  if (!shared()) return {dino->forward(cls), ibot->forward(patches)};
  const torch::Tensor both = dino->forward(torch::cat({cls, patches}));
  return {both.narrow(0, 0, cls.size(0)), both.narrow(0, cls.size(0), patches.size(0))};
}

}  // namespace pathodino::ssl
