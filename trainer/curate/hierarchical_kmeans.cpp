#include "trainer/curate/hierarchical_kmeans.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <stdexcept>
#include <string>

namespace pathodino::curate {
namespace {

struct Assignment {
  std::vector<float> centroids;
  std::vector<uint32_t> cluster;
  std::vector<float> similarity;
};

Assignment cluster_once(const float* x, int64_t n, int64_t dim, int64_t k,
                        const KMeansSettings& settings, size_t level) {
  faiss::ClusteringParameters params;
  params.niter = static_cast<int>(settings.iterations);
  params.spherical = true;
  params.max_points_per_centroid = static_cast<int>(settings.max_points_per_centroid);
  params.seed = static_cast<int>((settings.seed * 1000003u + level) & 0x7fffffff);
  faiss::Clustering clustering(static_cast<int>(dim), static_cast<size_t>(k), params);
  faiss::IndexFlatIP index(dim);
  clustering.train(n, x, index);
  // After training the index holds the centroids: one search assigns every vector.
  std::vector<float> score(static_cast<size_t>(n));
  std::vector<faiss::Index::idx_t> label(static_cast<size_t>(n));
  index.search(n, x, 1, score.data(), label.data());
  Assignment out{std::move(clustering.centroids), {}, std::move(score)};
  out.cluster.assign(label.begin(), label.end());
  return out;
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
