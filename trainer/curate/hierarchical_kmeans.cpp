#include "trainer/curate/hierarchical_kmeans.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "trainer/curate/kmeans_seeding.h"

namespace pathodino::curate {
namespace {

struct Assignment {
  std::vector<float> centroids;
  std::vector<uint32_t> cluster;
  std::vector<float> similarity;
};

// Every point's nearest centroid and its similarity.
void assign(const float* x, int64_t n, int64_t dim, Assignment& a) {
  const int64_t k = static_cast<int64_t>(a.centroids.size()) / dim;
  faiss::IndexFlatIP index(dim);
  index.add(k, a.centroids.data());
  a.similarity.resize(static_cast<size_t>(n));
  std::vector<faiss::Index::idx_t> label(static_cast<size_t>(n));
  index.search(n, x, 1, a.similarity.data(), label.data());
  a.cluster.assign(label.begin(), label.end());
}

Assignment lloyd(const float* x, int64_t n, int64_t dim, int64_t k, const KMeansSettings& settings,
                 uint64_t stream) {
  faiss::ClusteringParameters params;
  params.niter = static_cast<int>(settings.iterations);
  params.spherical = true;
  params.max_points_per_centroid = static_cast<int>(settings.max_points_per_centroid);
  params.seed = static_cast<int>((settings.seed * 1000003u + stream) & 0x7fffffff);
  faiss::Clustering clustering(static_cast<int>(dim), static_cast<size_t>(k), params);
  // Faiss starts from centroids it is given: k-means++ ones, over at most 16 candidates per
  // cluster.
  clustering.centroids = kmeans_plus_plus(x, n, dim, k, 16 * k, settings.seed * 7919u + stream);
  faiss::IndexFlatIP index(dim);
  clustering.train(n, x, index);
  Assignment out{std::move(clustering.centroids), {}, {}};
  assign(x, n, dim, out);
  return out;
}

// k-means from `restarts` seedings; the one whose points sit closest to their centroids (the
// largest sum of similarities) stands.
Assignment cluster_once(const float* x, int64_t n, int64_t dim, int64_t k,
                        const KMeansSettings& settings, uint64_t stream) {
  Assignment best;
  double best_fit = -1e300;
  for (int64_t r = 0; r < std::max<int64_t>(settings.restarts, 1); ++r) {
    Assignment a = lloyd(x, n, dim, k, settings, stream * 131 + static_cast<uint64_t>(r));
    const double fit = std::accumulate(a.similarity.begin(), a.similarity.end(), 0.0);
    if (fit > best_fit) {
      best_fit = fit;
      best = std::move(a);
    }
  }
  return best;
}

// Vo et al.'s resampling steps: k-means again on the `per_cluster` points nearest each centroid,
// so that dense regions weigh no more than the others, then every point assigned anew.
void resample(const float* x, int64_t n, int64_t dim, int64_t k, int64_t per_cluster,
              const KMeansSettings& settings, size_t level, Assignment& a) {
  for (int64_t step = 0; step < settings.resampling_steps; ++step) {
    std::vector<std::vector<std::pair<float, int64_t>>> members(static_cast<size_t>(k));
    for (int64_t i = 0; i < n; ++i)
      members[a.cluster[static_cast<size_t>(i)]].emplace_back(-a.similarity[static_cast<size_t>(i)],
                                                              i);
    std::vector<float> sample;
    for (auto& m : members) {
      const auto take = m.begin() + std::min<int64_t>(per_cluster, static_cast<int64_t>(m.size()));
      std::partial_sort(m.begin(), take, m.end());
      for (auto it = m.begin(); it != take; ++it)
        sample.insert(sample.end(), x + it->second * dim, x + (it->second + 1) * dim);
    }
    const int64_t sampled = static_cast<int64_t>(sample.size()) / dim;
    if (sampled < k) return;  // fewer points than clusters left: the last centroids stand
    a.centroids = cluster_once(sample.data(), sampled, dim, k, settings,
                               1000 * (level + 1) + static_cast<uint64_t>(step))
                      .centroids;
    assign(x, n, dim, a);
  }
}

}  // namespace

KMeansHierarchy hierarchical_kmeans(const std::vector<float>& vectors, int64_t dim,
                                    const KMeansSettings& settings) {
  const int64_t n = dim > 0 ? static_cast<int64_t>(vectors.size()) / dim : 0;
  KMeansHierarchy out;
  const float* points = vectors.data();
  int64_t count = n;
  for (size_t level = 0; level < settings.clusters.size(); ++level) {
    const int64_t k = settings.clusters[level];
    if (k < 1 || k > count)
      throw std::invalid_argument(
          "curate.levels[" + std::to_string(level) + "]: " + std::to_string(k) + " clusters of " +
          std::to_string(count) +
          (level == 0 ? " tiles" : " level-" + std::to_string(level) + " centroids") +
          ": a level needs at least one point per cluster");
    Assignment a = cluster_once(points, count, dim, k, settings, level);
    const std::vector<int64_t>& sizes = settings.resample_per_cluster;
    const int64_t per_cluster = sizes.empty() ? 1 : sizes[std::min(level, sizes.size() - 1)];
    if (per_cluster > 1) resample(points, count, dim, k, per_cluster, settings, level, a);
    KMeansLevel result{k, std::move(a.centroids), {}};
    if (level == 0) {
      result.of_vector = std::move(a.cluster);
      out.similarity = std::move(a.similarity);
    } else {
      // A vector's cluster at this level is that of its cluster at the level below.
      const std::vector<uint32_t>& below = out.levels.back().of_vector;
      result.of_vector.reserve(below.size());
      for (const uint32_t c : below) result.of_vector.push_back(a.cluster[c]);
    }
    out.levels.push_back(std::move(result));
    points = out.levels.back().centroids.data();
    count = k;
  }
  return out;
}

}  // namespace pathodino::curate
