#include "trainer/eval/knn_evaluation.h"

#include "trainer/eval/embed.h"
#include "trainer/eval/knn.h"

namespace pathodino::eval {

KnnReport evaluate_knn(models::VisionTransformer& backbone, const EvalSections& sections) {
  const LabelledSplits splits = labelled_splits(sections);
  const QueryGroups groups = query_groups(*splits.val, sections.eval);
  const data::DataOptions& data = sections.data;
  const int64_t size = data.global_crops_size;
  const Embeddings bank = embed_images(backbone, *splits.train, size, data.mean, data.std);
  const Embeddings queries = embed_images(backbone, *splits.val, size, data.mean, data.std);
  KnnReport report;
  report.num_classes = static_cast<int64_t>(splits.train->class_names().size());
  report.k = sections.eval.knn_k;
  report.temperature = sections.eval.knn_temperature;
  report.bank_size = bank.features.size(0);
  report.query_count = queries.features.size(0);
  const torch::Tensor predicted = knn_predict(bank.features, bank.labels, queries.features,
                                              report.k, report.temperature, report.num_classes);
  report.scores = score_by_group(int64_values(predicted), int64_values(queries.labels),
                                 groups.values, groups.column);
  report.top1 = report.scores.overall.top1;
  return report;
}

}  // namespace pathodino::eval
