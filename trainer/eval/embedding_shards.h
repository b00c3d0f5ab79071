// Embedding a labelled set across ranks: rank r embeds images r, r + world, r + 2·world, ... and
// the rows can be all-gathered (in rank order, not image order: kNN and the probe do not care).
#pragma once

#include <cstdint>
#include <vector>

#include "data/data_options.h"
#include "data/image_source.h"
#include "models/vit/vision_transformer.h"
#include "trainer/distributed/communicator.h"
#include "trainer/eval/embed.h"

namespace pathodino::eval {

// This rank's share of `source`, embedded at data.global_crops_size with the section's mean/std.
Embeddings embed_share(models::VisionTransformer& backbone, const data::ImageSource& source,
                       const data::DataOptions& data, distributed::Communicator& comm);

// Every rank's share, on every rank; `total` is the source's size. Collective.
Embeddings gather_embeddings(const Embeddings& mine, int64_t total,
                             distributed::Communicator& comm);

// The image index of each row gather_embeddings returns: rank 0's share, then rank 1's, ...
std::vector<int64_t> gathered_order(int64_t total, int world);

}  // namespace pathodino::eval
