// Hierarchical k-means in the manner of DINOv3's data curation (Vo et al. 2024): level 1
// clusters the vectors, each next level clusters the centroids of the level before, so a tile's
// level-ℓ cluster is that of its level-(ℓ−1) cluster. Spherical k-means (unit centroids, inner
// product) on L2-normalised vectors, with Faiss; every level is seeded from `seed`, so the same
// vectors give the same clusters.
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
};

// `vectors`: n × dim, rows L2-normalised. Throws std::invalid_argument naming the level when it
// asks for more clusters than it has points (tiles, or the level below's centroids).
KMeansHierarchy hierarchical_kmeans(const std::vector<float>& vectors, int64_t dim,
                                    const KMeansSettings& settings);

}  // namespace pathodino::curate
