// k-means++ seeding: on eight tight groups of very different sizes (400 points to 6), it puts one
// centroid in every group for nearly every seed, where uniform draws (Faiss's own seeding) almost
// never do; and its centroids are points of the data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "trainer/curate/kmeans_seeding.h"

namespace pathodino::curate {
namespace {

constexpr int64_t kDim = 12;

TEST(KMeansSeeding, SeedsEveryGroupWhateverItsSize) {
  std::mt19937 rng(2);
  std::normal_distribution<float> noise(0.f, 0.02f);
  std::vector<float> x;
  std::vector<int> group;
  const std::vector<int> sizes{400, 200, 100, 50, 25, 12, 8, 6};  // 801 points
  for (int g = 0; g < 8; ++g)
    for (int i = 0; i < sizes[static_cast<size_t>(g)]; ++i) {
      std::vector<float> p(kDim, 0.f);
      p[static_cast<size_t>(g)] = 1.f;
      float norm = 0;
      for (float& v : p) norm += (v += noise(rng)) * v;
      for (float& v : p) x.push_back(v / std::sqrt(norm));
      group.push_back(g);
    }
  const auto n = static_cast<int64_t>(group.size());
  const auto groups_hit = [&](const std::vector<float>& c) {
    std::set<int> hit;
    for (int64_t j = 0; j < 8; ++j)
      for (int64_t i = 0; i < n; ++i)
        if (std::equal(&c[j * kDim], &c[(j + 1) * kDim], &x[i * kDim]))
          hit.insert(group[static_cast<size_t>(i)]);
    return hit.size();
  };
  int plus_plus_complete = 0, uniform_complete = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> c = kmeans_plus_plus(x.data(), n, kDim, 8, 1000, seed);
    ASSERT_EQ(c.size(), static_cast<size_t>(8 * kDim));
    plus_plus_complete += groups_hit(c) == 8;
    std::vector<int64_t> rows(static_cast<size_t>(n)), drawn;
    std::iota(rows.begin(), rows.end(), int64_t{0});
    std::mt19937_64 draw(seed);
    std::sample(rows.begin(), rows.end(), std::back_inserter(drawn), 8, draw);
    std::vector<float> uniform;
    for (const int64_t r : drawn) uniform.insert(uniform.end(), &x[r * kDim], &x[(r + 1) * kDim]);
    uniform_complete += groups_hit(uniform) == 8;
  }
  std::cout << "every group seeded: k-means++ " << plus_plus_complete << " of 20 seeds, uniform "
            << uniform_complete << " of 20\n";
  EXPECT_GE(plus_plus_complete, 17);
  EXPECT_LE(uniform_complete, 1);
}

}  // namespace
}  // namespace pathodino::curate
