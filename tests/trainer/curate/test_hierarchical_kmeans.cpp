// Hierarchical k-means on points with a known two-level structure: four families of two tight
// blobs each. Level 1 must find the eight blobs, level 2 the four families, and a level that asks
// for more clusters than it has points is refused by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "trainer/curate/cluster_agreement.h"
#include "trainer/curate/hierarchical_kmeans.h"

namespace pathodino::curate {
namespace {

constexpr int64_t kDim = 16;

void normalise(std::vector<float>& v) {
  float norm = 0;
  for (float x : v) norm += x * x;
  for (float& x : v) x /= std::sqrt(norm);
}

// Blob b = family b / 2; a family's two blobs share a direction and differ by a smaller one.
std::vector<float> two_level_points(int64_t per_blob, std::vector<int>& blob_of) {
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.f, 0.03f);
  std::vector<float> out;
  for (int b = 0; b < 8; ++b)
    for (int64_t i = 0; i < per_blob; ++i) {
      std::vector<float> p(kDim, 0.f);
      p[b / 2] = 1.f;    // the family's axis
      p[8 + b] = 0.45f;  // the blob's own offset
      for (float& x : p) x += noise(rng);
      normalise(p);
      out.insert(out.end(), p.begin(), p.end());
      blob_of.push_back(b);
    }
  return out;
}

TEST(HierarchicalKMeans, FindsTheBlobsThenTheirFamilies) {
  std::vector<int> blob_of;
  const std::vector<float> points = two_level_points(100, blob_of);
  const KMeansHierarchy h = hierarchical_kmeans(points, kDim, {{8, 4}, 25, 256, 3});
  ASSERT_EQ(h.levels.size(), 2u);
  std::vector<uint32_t> blobs, families, shuffled;
  for (const int b : blob_of) {
    blobs.push_back(static_cast<uint32_t>(b));
    families.push_back(static_cast<uint32_t>(b / 2));
  }
  // Against random labels of the same sizes the agreement is near 0.
  const double level1 = normalized_mutual_information(h.levels[0].of_vector, blobs);
  const double level2 = normalized_mutual_information(h.levels[1].of_vector, families);
  shuffled = h.levels[0].of_vector;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(1));
  const double chance = normalized_mutual_information(shuffled, blobs);
  std::cout << "NMI level 1 vs blobs " << level1 << ", level 2 vs families " << level2
            << ", shuffled level 1 vs blobs " << chance << "\n";
  EXPECT_GT(level1, 0.99);
  EXPECT_GT(level2, 0.99);
  EXPECT_LT(chance, 0.05);
  // Unit centroids, and each point's similarity to its own centroid is high.
  for (int64_t c = 0; c < 8; ++c) {
    double norm = 0;
    for (int64_t j = 0; j < kDim; ++j) norm += std::pow(h.levels[0].centroids[c * kDim + j], 2);
    EXPECT_NEAR(norm, 1.0, 1e-4);
  }
}

TEST(HierarchicalKMeans, TheSameSeedGivesTheSameClusters) {
  std::vector<int> blob_of;
  const std::vector<float> points = two_level_points(60, blob_of);
  const KMeansHierarchy a = hierarchical_kmeans(points, kDim, {{6, 2}, 10, 256, 9});
  const KMeansHierarchy b = hierarchical_kmeans(points, kDim, {{6, 2}, 10, 256, 9});
  EXPECT_EQ(a.levels[0].of_vector, b.levels[0].of_vector);
  EXPECT_EQ(a.levels[1].of_vector, b.levels[1].of_vector);
}

// Vo et al.'s resampling at level 2 (the 5 centroids nearest each level-2 centroid, k-means
// again, 5 times) over 64 level-1 centroids: the families are still found, every vector's
// level-2 cluster is still its level-1 cluster's, and the same seed gives the same result.
TEST(HierarchicalKMeans, ResamplingKeepsTheFamiliesAndTheHierarchy) {
  std::vector<int> blob_of;
  const std::vector<float> points = two_level_points(100, blob_of);
  KMeansSettings settings{{64, 4}, 25, 256, 3};
  settings.resample_per_cluster = {1, 5};
  settings.resampling_steps = 5;
  const KMeansHierarchy h = hierarchical_kmeans(points, kDim, settings);
  KMeansSettings plain = settings;
  plain.resampling_steps = 0;
  const KMeansHierarchy p0 = hierarchical_kmeans(points, kDim, plain);
  std::vector<uint32_t> families;
  for (const int b : blob_of) families.push_back(static_cast<uint32_t>(b / 2));
  const double level2 = normalized_mutual_information(h.levels[1].of_vector, families);
  std::cout << "with resampling: NMI level 2 vs families " << level2 << " without "
            << normalized_mutual_information(p0.levels[1].of_vector, families) << "\n";
  EXPECT_GT(level2, 0.85);
  std::vector<int64_t> parent(64, -1);
  for (size_t i = 0; i < blob_of.size(); ++i) {
    int64_t& p = parent[h.levels[0].of_vector[i]];
    EXPECT_TRUE(p < 0 || p == h.levels[1].of_vector[i]) << "vector " << i;
    p = h.levels[1].of_vector[i];
  }
  EXPECT_EQ(hierarchical_kmeans(points, kDim, settings).levels[1].of_vector, h.levels[1].of_vector);
}

TEST(HierarchicalKMeans, MoreClustersThanPointsIsRefusedByLevel) {
  std::vector<int> blob_of;
  const std::vector<float> points = two_level_points(2, blob_of);  // 16 points
  try {
    hierarchical_kmeans(points, kDim, {{8, 12}, 5, 256, 0});
    ADD_FAILURE() << "12 clusters of 8 centroids were accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "curate.levels[1]: 12 clusters of 8 level-1 centroids: a level needs at least one "
              "point per cluster");
  }
}

TEST(ClusterAgreement, NormalisedMutualInformation) {
  const std::vector<uint32_t> halves{0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<uint32_t> renamed{7, 7, 7, 7, 2, 2, 2, 2};
  const std::vector<uint32_t> quarters{0, 0, 1, 1, 2, 2, 3, 3};
  const std::vector<uint32_t> crossing{0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_NEAR(normalized_mutual_information(halves, renamed), 1.0, 1e-12);
  // Quarters refine the halves: I = H(halves) = ln 2, H(quarters) = ln 4, NMI = 2 ln2 / ln 8.
  EXPECT_NEAR(normalized_mutual_information(halves, quarters), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(normalized_mutual_information(halves, crossing), 0.0, 1e-12);
  EXPECT_THROW(normalized_mutual_information(halves, {0, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::curate
