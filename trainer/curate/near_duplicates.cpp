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

// One cluster's part of a batch: `asking` probe the cluster, `own` live in it (both in order).
struct ClusterShare {
  std::vector<int64_t> asking, own;
};

// Marks the askers with a kept vector of an earlier batch in the cluster above `cosine`: the
// best match decides.
void mark_against_kept(const faiss::IndexFlatIP& kept, const ClusterShare& share,
                       const std::vector<float>& queries, float cosine,
                       std::vector<uint8_t>& dropped) {
  if (kept.ntotal == 0) return;
  std::vector<float> best(share.asking.size());
  std::vector<Label> label(share.asking.size());
  kept.search(static_cast<Label>(share.asking.size()), queries.data(), 1, best.data(),
              label.data());
  for (size_t q = 0; q < best.size(); ++q)
    if (best[q] > cosine) dropped[static_cast<size_t>(share.asking[q])] = 1;
}

// Adds to earlier[i - first] each earlier vector of the batch, living in the cluster, above
// `cosine` from asker i.
void pairs_in_batch(const std::vector<float>& vectors, int64_t dim, const ClusterShare& share,
                    const std::vector<float>& queries, float cosine, int64_t first,
                    std::vector<std::vector<int64_t>>& earlier) {
  if (share.own.empty()) return;
  faiss::IndexFlatIP members(dim);
  members.add(static_cast<Label>(share.own.size()), gather(vectors, share.own, dim).data());
  faiss::RangeSearchResult hits(static_cast<Label>(share.asking.size()));
  members.range_search(static_cast<Label>(share.asking.size()), queries.data(), cosine, &hits);
  for (size_t q = 0; q < share.asking.size(); ++q)
    for (size_t h = hits.lims[q]; h < hits.lims[q + 1]; ++h) {
      const int64_t other = share.own[static_cast<size_t>(hits.labels[h])];
      if (other < share.asking[q])
        earlier[static_cast<size_t>(share.asking[q] - first)].push_back(other);
    }
}

// Decides the batch [first, last): a vector is dropped when a kept vector of an earlier batch in
// one of its probed clusters, or an earlier kept vector of the batch in one of them, is more
// similar than `cosine`.
void decide_batch(const std::vector<float>& vectors, int64_t first, int64_t last, int64_t dim,
                  float cosine, Lists& lists, std::vector<uint8_t>& dropped) {
  std::vector<ClusterShare> shares(lists.kept.size());
  for (int64_t i = first; i < last; ++i) {
    shares[static_cast<size_t>(lists.probe[i * lists.probes])].own.push_back(i);
    for (int64_t p = 0; p < lists.probes; ++p)
      shares[static_cast<size_t>(lists.probe[i * lists.probes + p])].asking.push_back(i);
  }
  std::vector<std::vector<int64_t>> earlier(static_cast<size_t>(last - first));
  for (size_t c = 0; c < shares.size(); ++c) {
    if (shares[c].asking.empty()) continue;
    const std::vector<float> queries = gather(vectors, shares[c].asking, dim);
    mark_against_kept(lists.kept[c], shares[c], queries, cosine, dropped);
    pairs_in_batch(vectors, dim, shares[c], queries, cosine, first, earlier);
  }
  // In order, so that of a group of copies inside the batch the first stays.
  for (int64_t i = first; i < last; ++i) {
    uint8_t& d = dropped[static_cast<size_t>(i)];
    for (const int64_t j : earlier[static_cast<size_t>(i - first)])
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
