// Near-duplicate removal against an exhaustive greedy reference: planted noisy copies (some of
// them of copies) are exactly the vectors dropped, the first of each group stays, and a threshold
// of 1 keeps everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "trainer/curate/hierarchical_kmeans.h"
#include "trainer/curate/near_duplicates.h"

namespace pathodino::curate {
namespace {

constexpr int64_t kDim = 32;

void normalise(float* v) {
  float norm = 0;
  for (int64_t j = 0; j < kDim; ++j) norm += v[j] * v[j];
  for (int64_t j = 0; j < kDim; ++j) v[j] /= std::sqrt(norm);
}

// The definition, in O(n²): a vector is dropped when an earlier kept one exceeds the threshold.
std::vector<uint8_t> exhaustive(const std::vector<float>& v, float cosine) {
  const size_t n = v.size() / kDim;
  std::vector<uint8_t> dropped(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i && !dropped[i]; ++j) {
      if (dropped[j]) continue;
      float dot = 0;
      for (int64_t k = 0; k < kDim; ++k) dot += v[i * kDim + k] * v[j * kDim + k];
      dropped[i] = dot > cosine;
    }
  return dropped;
}

TEST(NearDuplicates, DropsExactlyWhatTheExhaustiveSearchDrops) {
  std::mt19937 rng(11);
  std::normal_distribution<float> gauss(0.f, 1.f);
  const int64_t originals = 3000, copies = 400;
  std::vector<float> v(static_cast<size_t>((originals + copies) * kDim));
  for (int64_t i = 0; i < originals; ++i) {
    for (int64_t j = 0; j < kDim; ++j) v[i * kDim + j] = gauss(rng);
    normalise(&v[i * kDim]);
  }
  // Each copy: a small perturbation of an earlier vector (an original or another copy), so
  // copies land spread over the batches and some are copies of copies.
  std::uniform_int_distribution<int64_t> pick(0, originals - 1);
  for (int64_t c = 0; c < copies; ++c) {
    const int64_t i = originals + c, source = c % 5 == 4 ? i - 1 : pick(rng);
    for (int64_t j = 0; j < kDim; ++j) v[i * kDim + j] = v[source * kDim + j] + 0.03f * gauss(rng);
    normalise(&v[i * kDim]);
  }
  const KMeansHierarchy clusters = hierarchical_kmeans(v, kDim, {{32}, 10, 256, 1});
  const std::vector<uint8_t> reference = exhaustive(v, 0.95f);
  // One batch for all, and batches of 256: copies then meet their originals both inside a batch
  // and across batches.
  for (const int64_t batch : {int64_t{1} << 20, int64_t{256}}) {
    const std::vector<uint8_t> dropped =
        near_duplicates(v, clusters.levels[0].centroids, kDim, {0.95, 4, batch});
    EXPECT_EQ(std::count(dropped.begin(), dropped.end(), 1), copies) << "batch " << batch;
    EXPECT_EQ(dropped, reference) << "batch " << batch;
    for (int64_t i = 0; i < originals; ++i) EXPECT_EQ(dropped[static_cast<size_t>(i)], 0) << i;
  }

  const std::vector<uint8_t> none =
      near_duplicates(v, clusters.levels[0].centroids, kDim, {1.0, 4});
  EXPECT_EQ(std::count(none.begin(), none.end(), 1), 0);
}

}  // namespace
}  // namespace pathodino::curate
