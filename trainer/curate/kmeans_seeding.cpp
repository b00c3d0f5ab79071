#include "trainer/curate/kmeans_seeding.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>

// BLAS, which Faiss links: C = alpha · op(A) · op(B) + beta · C, column-major.
extern "C" int sgemm_(const char* transa, const char* transb, const int* m, const int* n,
                      const int* k, const float* alpha, const float* a, const int* lda,
                      const float* b, const int* ldb, const float* beta, float* c, const int* ldc);

namespace pathodino::curate {
namespace {

// out[t · m + i] = ⟨pool row i, candidate row t⟩ for m pool rows and `count` candidates of `d`.
void inner_products(const std::vector<float>& pool, size_t m, const std::vector<float>& candidates,
                    size_t count, size_t d, std::vector<float>& out) {
  const int rows = static_cast<int>(m), cols = static_cast<int>(count), depth = static_cast<int>(d);
  const float one = 1, zero = 0;
  // Row-major pool (m × d) is column-major d × m: out (column-major m × count) = poolᵀ · cand.
  sgemm_("T", "N", &rows, &cols, &depth, &one, pool.data(), &depth, candidates.data(), &depth,
         &zero, out.data(), &rows);
}

}  // namespace

std::vector<float> kmeans_plus_plus(const float* x, int64_t n, int64_t dim, int64_t k,
                                    int64_t candidates, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  if (n > candidates) {
    std::vector<int64_t> drawn;
    std::sample(rows.begin(), rows.end(), std::back_inserter(drawn), candidates, rng);
    rows = std::move(drawn);
  }
  const size_t m = rows.size(), d = static_cast<size_t>(dim);
  std::vector<float> pool(m * d);
  for (size_t i = 0; i < m; ++i) std::copy_n(x + rows[i] * dim, d, pool.begin() + i * d);
  // Greedy k-means++ (as scikit-learn seeds): each step draws 2 + ln k candidates by squared
  // distance and keeps the one that lowers the total squared distance most.
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  std::vector<float> nearest(m, std::numeric_limits<float>::max());
  std::vector<float> similarity(static_cast<size_t>(trials) * m), drawn_rows;
  std::vector<double> totals(static_cast<size_t>(trials));
  std::vector<float> centroids;
  centroids.reserve(static_cast<size_t>(k) * d);
  std::vector<size_t> chosen{std::uniform_int_distribution<size_t>(0, m - 1)(rng)};
  for (int64_t c = 0; c < k; ++c) {
    // All candidates against the pool in one matrix product: the pool is read once per step.
    drawn_rows.clear();
    for (const size_t i : chosen)
      drawn_rows.insert(drawn_rows.end(), pool.begin() + i * d, pool.begin() + (i + 1) * d);
    inner_products(pool, m, drawn_rows, chosen.size(), d, similarity);
    for (size_t t = 0; t < chosen.size(); ++t) {
      double total = 0;
      for (size_t i = 0; i < m; ++i)  // squared distance of unit vectors: 2 − 2 cos
        total += std::min(nearest[i], std::max(0.f, 2.f - 2.f * similarity[t * m + i]));
      totals[t] = total;
    }
    const size_t t_best = static_cast<size_t>(
        std::min_element(totals.begin(), totals.begin() + static_cast<int64_t>(chosen.size())) -
        totals.begin());
    const size_t best = chosen[t_best];
    const float* trial = &similarity[t_best * m];
    centroids.insert(centroids.end(), pool.begin() + best * d, pool.begin() + (best + 1) * d);
    for (size_t i = 0; i < m; ++i)
      nearest[i] = std::min(nearest[i], std::max(0.f, 2.f - 2.f * trial[i]));
    chosen.clear();
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    for (int64_t t = 0; t < trials; ++t) {
      if (total <= 0) {  // every point sits on a centroid: any point will do
        chosen.push_back(std::uniform_int_distribution<size_t>(0, m - 1)(rng));
        continue;
      }
      double target = std::uniform_real_distribution<double>(0, total)(rng);
      size_t next = 0;
      while (next + 1 < m && (target -= nearest[next]) > 0) ++next;
      chosen.push_back(next);
    }
  }
  return centroids;
}

}  // namespace pathodino::curate
