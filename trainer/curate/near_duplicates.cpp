#include "trainer/curate/near_duplicates.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <algorithm>

namespace pathodino::curate {
namespace {

constexpr int64_t kBatch = 2048;

// Marks the duplicates within one batch [first, last): against the kept vectors of earlier
// batches (`kept`), then against the batch's own earlier vectors that stay.
void mark_batch(const float* vectors, int64_t first, int64_t last, int64_t dim, float cosine,
                const faiss::IndexIVFFlat& kept, std::vector<uint8_t>& dropped) {
  const int64_t count = last - first;
  const float* batch = vectors + first * dim;
  faiss::RangeSearchResult earlier(count);
  if (kept.ntotal > 0) kept.range_search(count, batch, cosine, &earlier);
  faiss::IndexFlatIP own(dim);
  own.add(count, batch);
  faiss::RangeSearchResult within(count);
  own.range_search(count, batch, cosine, &within);
  for (int64_t q = 0; q < count; ++q) {
    bool duplicate = kept.ntotal > 0 && earlier.lims[q + 1] > earlier.lims[q];
    for (size_t h = within.lims[q]; !duplicate && h < within.lims[q + 1]; ++h) {
      const int64_t other = within.labels[h];
      duplicate = other < q && !dropped[static_cast<size_t>(first + other)];
    }
    dropped[static_cast<size_t>(first + q)] = duplicate ? 1 : 0;
  }
}

}  // namespace

std::vector<uint8_t> near_duplicates(const std::vector<float>& vectors,
                                     const std::vector<float>& centroids, int64_t dim,
                                     const DuplicateSearch& search) {
  const int64_t n = static_cast<int64_t>(vectors.size()) / dim;
  std::vector<uint8_t> dropped(static_cast<size_t>(n), 0);
  if (search.cosine >= 1.0 || n == 0) return dropped;
  const int64_t clusters = static_cast<int64_t>(centroids.size()) / dim;
  faiss::IndexFlatIP quantizer(dim);
  quantizer.add(clusters, centroids.data());
  faiss::IndexIVFFlat kept(&quantizer, dim, static_cast<size_t>(clusters),
                           faiss::METRIC_INNER_PRODUCT);
  kept.nprobe = static_cast<size_t>(std::clamp<int64_t>(search.probes, 1, clusters));
  const auto cosine = static_cast<float>(search.cosine);
  std::vector<float> survivors;
  std::vector<faiss::Index::idx_t> ids;
  for (int64_t first = 0; first < n; first += kBatch) {
    const int64_t last = std::min(n, first + kBatch);
    mark_batch(vectors.data(), first, last, dim, cosine, kept, dropped);
    survivors.clear();
    ids.clear();
    for (int64_t i = first; i < last; ++i)
      if (!dropped[static_cast<size_t>(i)]) {
        survivors.insert(survivors.end(), vectors.begin() + i * dim,
                         vectors.begin() + (i + 1) * dim);
        ids.push_back(i);
      }
    kept.add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), survivors.data(), ids.data());
  }
  return dropped;
}

}  // namespace pathodino::curate
