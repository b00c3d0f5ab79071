// The projection heads of one network (student or teacher): the DINO head on CLS tokens and the
// iBOT head on patch tokens — the same module when `ssl.ibot.separate_head` is false (DINOv2's
// default), a second head with its own shape when true (DINOv2's ViT-L/14 recipe).
#pragma once

#include <cstdint>

#include "models/heads/dino_head.h"
#include "trainer/ssl/ssl_options.h"

namespace pathodino::ssl {

// What the heads make of one network's tokens: DINO logits of the CLS tokens and iBOT logits of
// the masked patch tokens (undefined when no patch tokens were given).
struct HeadLogits {
  torch::Tensor dino, ibot;
};

struct SslHeads {
  models::DinoHead dino{nullptr};
  models::DinoHead ibot{nullptr};  // == dino when shared
  bool shared() const { return dino.ptr() == ibot.ptr(); }
  // A shared head takes both token sets as one batch, as DINOv2's ssl_meta_arch.py does: the
  // prototypes are normalised once and the matmuls are one larger one. Rows keep their results.
  HeadLogits forward(const torch::Tensor& cls, const torch::Tensor& patches);
};

SslHeads make_ssl_heads(const SslOptions& options, int64_t embed_dim, uint64_t seed);

}  // namespace pathodino::ssl
