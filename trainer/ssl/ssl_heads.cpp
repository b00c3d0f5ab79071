#include "trainer/ssl/ssl_heads.h"

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

}  // namespace pathodino::ssl
