#include "trainer/eval/knn_evaluation.h"

#include "trainer/eval/embed.h"
#include "trainer/eval/knn.h"

namespace pathodino::eval {

LabelledEmbeddings embed_labelled(models::VisionTransformer& backbone, LabelledSplits splits,
                                  const EvalSections& sections) {
  LabelledEmbeddings e{std::move(splits), {}, {}};
  const data::DataOptions& data = sections.data;
  const int64_t size = data.global_crops_size;
  e.train = embed_images(backbone, *e.splits.train, size, data.mean, data.std);
  e.val = embed_images(backbone, *e.splits.val, size, data.mean, data.std);
  return e;
}

KnnReport evaluate_knn(const LabelledEmbeddings& embedded, const EvalSections& sections) {
  const QueryGroups groups = query_groups(*embedded.splits.val, sections.eval);
  const Embeddings& bank = embedded.train;
  const Embeddings& queries = embedded.val;
  KnnReport report;
  report.num_classes = static_cast<int64_t>(embedded.splits.train->class_names().size());
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

KnnReport evaluate_knn(models::VisionTransformer& backbone, const EvalSections& sections) {
  LabelledSplits splits = labelled_splits(sections);
  query_groups(*splits.val, sections.eval);  // a missing group column before any embedding
  return evaluate_knn(embed_labelled(backbone, std::move(splits), sections), sections);
}

}  // namespace pathodino::eval
