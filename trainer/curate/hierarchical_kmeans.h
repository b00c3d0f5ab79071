// Hierarchical k-means in the manner of DINOv3's data curation (Vo et al. 2024): level 1
// clusters the vectors, each next level clusters the centroids of the level before, so a tile's
// level-ℓ cluster is that of its level-(ℓ−1) cluster. Spherical k-means (unit centroids, inner
// product) on L2-normalised vectors, with Faiss; every level is seeded from `seed`, so the same
// vectors give the same clusters. Every k-means starts from k-means++ seeds (kmeans_seeding.h) and
// may be run from several, the best fit kept. A level may take Vo et al.'s resampling steps:
// k-means again on the few points nearest each centroid, which spreads the centroids over the
// data's concepts rather than its densest regions (their released configs: none at level 1, 10
// steps of 10, 5 and 3 points per cluster above).
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::curate {

struct KMeansLevel {
  int64_t clusters = 0;
  std::vector<float> centroids;     // clusters × dim, unit rows
  std::vector<uint32_t> of_vector;  // the cluster of each input vector
};

struct KMeansHierarchy {
  std::vector<KMeansLevel> levels;  // finest first
  std::vector<float> similarity;    // each vector's cosine to its level-1 centroid
};

struct KMeansSettings {
  std::vector<int64_t> clusters;  // per level, finest first
  int64_t iterations = 20;
  int64_t max_points_per_centroid = 256;
  uint64_t seed = 0;
  // Per level (levels past the list take its last value); ≤ 1 or an empty list: no resampling.
  std::vector<int64_t> resample_per_cluster;
  int64_t resampling_steps = 0;
  int64_t restarts = 1;  // k-means runs per clustering, the best fit kept
};

// `vectors`: n × dim, rows L2-normalised. Throws std::invalid_argument naming the level when it
// asks for more clusters than it has points (tiles, or the level below's centroids).
KMeansHierarchy hierarchical_kmeans(const std::vector<float>& vectors, int64_t dim,
                                    const KMeansSettings& settings);

}  // namespace pathodino::curate
