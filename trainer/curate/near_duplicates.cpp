#include "trainer/curate/near_duplicates.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>

#include <algorithm>

namespace pathodino::curate {
namespace {

using Label = faiss::Index::idx_t;

struct Lists {
  std::vector<faiss::IndexFlatIP> kept;  // per cluster: its kept vectors so far
  std::vector<Label> probe;              // n × probes: a vector's nearest clusters, own first
  int64_t probes = 1;
};

// Vectors of `rows`, gathered into one contiguous block.
std::vector<float> gather(const std::vector<float>& vectors, const std::vector<int64_t>& rows,
                          int64_t dim) {
  std::vector<float> out;
  out.reserve(rows.size() * static_cast<size_t>(dim));
  for (const int64_t r : rows)
    out.insert(out.end(), vectors.begin() + r * dim, vectors.begin() + (r + 1) * dim);
  return out;
}

// Decides the batch [first, last): a vector is dropped when a kept vector of an earlier batch in
// one of its probed clusters, or an earlier kept vector of the batch in one of them, is more
// similar than `cosine`.
void decide_batch(const std::vector<float>& vectors, int64_t first, int64_t last, int64_t dim,
                  float cosine, Lists& lists, std::vector<uint8_t>& dropped) {
  const size_t clusters = lists.kept.size();
  std::vector<std::vector<int64_t>> asking(clusters), own(clusters);
  for (int64_t i = first; i < last; ++i) {
    own[static_cast<size_t>(lists.probe[i * lists.probes])].push_back(i);
    for (int64_t p = 0; p < lists.probes; ++p)
      asking[static_cast<size_t>(lists.probe[i * lists.probes + p])].push_back(i);
  }
  std::vector<std::vector<int64_t>> earlier_in_batch(static_cast<size_t>(last - first));
  for (size_t c = 0; c < clusters; ++c) {
    if (asking[c].empty()) continue;
    const std::vector<float> queries = gather(vectors, asking[c], dim);
    const auto nq = static_cast<Label>(asking[c].size());
    if (lists.kept[c].ntotal > 0) {  // the best earlier kept match decides
      std::vector<float> best(asking[c].size());
      std::vector<Label> label(asking[c].size());
      lists.kept[c].search(nq, queries.data(), 1, best.data(), label.data());
      for (size_t q = 0; q < best.size(); ++q)
        if (best[q] > cosine) dropped[static_cast<size_t>(asking[c][q])] = 1;
    }
    if (own[c].empty()) continue;
    faiss::IndexFlatIP members(dim);
    members.add(static_cast<Label>(own[c].size()), gather(vectors, own[c], dim).data());
    faiss::RangeSearchResult hits(nq);
    members.range_search(nq, queries.data(), cosine, &hits);
    for (size_t q = 0; q < asking[c].size(); ++q)
      for (size_t h = hits.lims[q]; h < hits.lims[q + 1]; ++h)
        if (own[c][static_cast<size_t>(hits.labels[h])] < asking[c][q])
          earlier_in_batch[static_cast<size_t>(asking[c][q] - first)].push_back(
              own[c][static_cast<size_t>(hits.labels[h])]);
  }
  // In order, so that of a group of copies inside the batch the first stays.
  for (int64_t i = first; i < last; ++i) {
    uint8_t& d = dropped[static_cast<size_t>(i)];
    for (const int64_t j : earlier_in_batch[static_cast<size_t>(i - first)])
      d = d || !dropped[static_cast<size_t>(j)];
    if (!d)
      lists.kept[static_cast<size_t>(lists.probe[i * lists.probes])].add(1, &vectors[i * dim]);
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
  Lists lists;
  lists.probes = std::clamp<int64_t>(search.probes, 1, clusters);
  lists.kept.assign(static_cast<size_t>(clusters), faiss::IndexFlatIP(dim));
  faiss::IndexFlatIP quantizer(dim);
  quantizer.add(clusters, centroids.data());
  std::vector<float> similarity(static_cast<size_t>(n * lists.probes));
  lists.probe.resize(similarity.size());
  quantizer.search(n, vectors.data(), lists.probes, similarity.data(), lists.probe.data());
  const int64_t batch = std::max<int64_t>(search.batch, 1);
  for (int64_t first = 0; first < n; first += batch)
    decide_batch(vectors, first, std::min(n, first + batch), dim, static_cast<float>(search.cosine),
                 lists, dropped);
  return dropped;
}

}  // namespace pathodino::curate
