// The data a config asks for: the training image source (synthetic tissue, whole-slide tiles
// through an index, or image folders), the order the sampler draws it in (uniform, or balanced
// over a slide group column), the loader's options (with the iBOT masks it makes), and the labelled
// set a kNN evaluation scores against.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/data_options.h"
#include "data/loader/batch_queue.h"
#include "data/loader/sample_order.h"
#include "data/source/image_source.h"
#include "trainer/config/experiment_config.h"
#include "trainer/eval/eval_options.h"

namespace pathodino::train {

// Throws std::runtime_error (or data::IndexError) naming the key or file at fault. `rank` ≥ 0
// prefixes the source's warnings (a quarantined slide) with the rank that saw them.
std::shared_ptr<const data::ImageSource> make_image_source(const data::DataOptions& options,
                                                           uint64_t seed, data::Split split,
                                                           int rank = -1);

struct SampleOrderChoice {
  std::shared_ptr<const data::SampleOrder> order;
  std::string description;  // one line for the run's start-up report
};
SampleOrderChoice make_sample_order(const data::DataOptions& options,
                                    const data::ImageSource& source, uint64_t seed);

// Batch size, seed, normalisation and iBOT masking of the global crops (none when iBOT's loss
// weight is 0) for a run of `config`; threads, prefetch and memory are the caller's.
data::BatchQueueOptions make_loader_options(const ExperimentConfig& config);

// eval.knn_dataset when given — an image folder with train/ and val/, or a tile index whose
// manifest labels slides (eval.knn_label_column) and splits them (column `split`: train, val) —
// else the training source when it is labelled (synthetic); refused for unlabelled sources.
std::shared_ptr<const data::ImageSource> make_labelled_source(const data::DataOptions& options,
                                                              const eval::EvalOptions& eval,
                                                              uint64_t seed, data::Split split);

}  // namespace pathodino::train
