#include "trainer/eval/knn_evaluation.h"

#include "trainer/eval/embed.h"
#include "trainer/eval/knn.h"
#include "trainer/eval/labelled_set.h"

namespace pathodino::eval {

KnnReport evaluate_knn(models::VisionTransformer& backbone, const ExperimentConfig& config) {
  const auto seed = static_cast<uint64_t>(config.run.seed);
  const auto bank_source =
      data::make_labelled_source(config.data, labelled_set(config.eval), seed, data::Split::train);
  const auto query_source =
      data::make_labelled_source(config.data, labelled_set(config.eval), seed, data::Split::val);
  const int64_t size = config.data.global_crops_size;
  const Embeddings bank =
      embed_images(backbone, *bank_source, size, config.data.mean, config.data.std);
  const Embeddings queries =
      embed_images(backbone, *query_source, size, config.data.mean, config.data.std);
  KnnReport report;
  report.num_classes = static_cast<int64_t>(bank_source->class_names().size());
  report.k = config.eval.knn_k;
  report.temperature = config.eval.knn_temperature;
  report.bank_size = bank.features.size(0);
  report.query_count = queries.features.size(0);
  report.top1 = knn_top1(bank.features, bank.labels, queries.features, queries.labels, report.k,
                         report.temperature, report.num_classes);
  return report;
}

}  // namespace pathodino::eval
