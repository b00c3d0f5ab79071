// Curation at archive scale on the cores of the machine it runs on: N vectors of width D (default
// 1,000,000 × 384, a ViT-S archive) drawn around G hidden centres, 1 % of them planted near-copies
// of earlier ones; then the curate steps as `pathodino curate` runs them: hierarchical k-means, the
// near-duplicate search. Reported: seconds per step, peak resident memory, NMI of the level-1
// clusters against the hidden centres, the planted copies found; and, as the reference in the
// same run, the exhaustive near-duplicate search (Faiss flat range search, the n² definition) on
// the first --reference vectors against ours on the same vectors: the speed ratio and whether
// both drop the same vectors.
//   build/bin/curate_scale [--vectors 1000000] [--dim 384] [--centres 2000]
//                          [--levels 1024,64] [--reference 100000]
#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "trainer/curate/cluster_agreement.h"
#include "trainer/curate/hierarchical_kmeans.h"
#include "trainer/curate/near_duplicates.h"

namespace {

using namespace pathodino::curate;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double peak_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
}

void normalise(float* v, int64_t dim) {
  double norm = 0;
  for (int64_t j = 0; j < dim; ++j) norm += static_cast<double>(v[j]) * v[j];
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (int64_t j = 0; j < dim; ++j) v[j] *= scale;
}

struct Pool {
  std::vector<float> vectors;
  std::vector<uint32_t> centre;
  std::vector<uint8_t> planted;
};

// Vectors around random unit centres (noise of the centres' own size spread over the dimensions),
// every 100th a near-copy of a random earlier vector.
Pool draw_pool(int64_t n, int64_t dim, int64_t centres) {
  std::mt19937_64 rng(17);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::vector<float> centre(static_cast<size_t>(centres * dim));
  for (float& x : centre) x = gauss(rng);
  for (int64_t c = 0; c < centres; ++c) normalise(&centre[c * dim], dim);
  Pool pool{std::vector<float>(static_cast<size_t>(n * dim)), {}, std::vector<uint8_t>(n, 0)};
  std::uniform_int_distribution<int64_t> pick_centre(0, centres - 1);
  const float spread = 0.8f / std::sqrt(static_cast<float>(dim));
  for (int64_t i = 0; i < n; ++i) {
    float* v = &pool.vectors[static_cast<size_t>(i * dim)];
    if (i > 0 && i % 100 == 0) {
      const int64_t source = std::uniform_int_distribution<int64_t>(0, i - 1)(rng);
      for (int64_t j = 0; j < dim; ++j) v[j] = pool.vectors[source * dim + j] + 0.002f * gauss(rng);
      pool.centre.push_back(pool.centre[static_cast<size_t>(source)]);
      pool.planted[i] = 1;
    } else {
      const int64_t c = pick_centre(rng);
      for (int64_t j = 0; j < dim; ++j) v[j] = centre[c * dim + j] + spread * gauss(rng);
      pool.centre.push_back(static_cast<uint32_t>(c));
    }
    normalise(v, dim);
  }
  return pool;
}

// The definition: vector i is dropped when an earlier kept vector exceeds the threshold.
std::vector<uint8_t> exhaustive_duplicates(const float* x, int64_t n, int64_t dim, float cosine) {
  faiss::IndexFlatIP all(dim);
  all.add(n, x);
  faiss::RangeSearchResult hits(n);
  all.range_search(n, x, cosine, &hits);
  std::vector<uint8_t> dropped(static_cast<size_t>(n), 0);
  for (int64_t q = 0; q < n; ++q)
    for (size_t h = hits.lims[q]; h < hits.lims[q + 1] && !dropped[q]; ++h)
      dropped[q] = hits.labels[h] < q && !dropped[static_cast<size_t>(hits.labels[h])];
  return dropped;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1'000'000, dim = 384, centres = 2000, reference = 100'000;
  std::vector<int64_t> levels{1024, 64};
  CLI::App app("curation at archive scale");
  app.add_option("--vectors", n);
  app.add_option("--dim", dim);
  app.add_option("--centres", centres);
  app.add_option("--levels", levels)->delimiter(',');
  app.add_option("--reference", reference);
  CLI11_PARSE(app, argc, argv);

  auto start = std::chrono::steady_clock::now();
  const Pool pool = draw_pool(n, dim, centres);
  std::printf("drew %lld x %lld vectors around %lld centres in %.1f s (peak %.2f GiB)\n",
              static_cast<long long>(n), static_cast<long long>(dim),
              static_cast<long long>(centres), seconds_since(start), peak_gib());
  start = std::chrono::steady_clock::now();
  const KMeansHierarchy h = hierarchical_kmeans(pool.vectors, dim, {levels, 20, 256, 0, {}, 0, 1});
  const double kmeans_s = seconds_since(start);
  std::printf(
      "hierarchical k-means (%zu levels, finest %lld): %.1f s, peak %.2f GiB, NMI of level 1 "
      "vs the hidden centres %.3f\n",
      levels.size(), static_cast<long long>(levels[0]), kmeans_s, peak_gib(),
      normalized_mutual_information(h.levels[0].of_vector, pool.centre));
  start = std::chrono::steady_clock::now();
  const std::vector<uint8_t> dropped =
      near_duplicates(pool.vectors, h.levels[0].centroids, dim, {0.95, 4});
  const double dedup_s = seconds_since(start);
  int64_t found = 0, planted = 0, other = 0;
  for (int64_t i = 0; i < n; ++i) {
    planted += pool.planted[i];
    found += pool.planted[i] && dropped[i];
    other += !pool.planted[i] && dropped[i];
  }
  std::printf(
      "near-duplicates (cosine > 0.95, 4 probes): %.1f s, peak %.2f GiB, %lld of %lld "
      "planted copies dropped, %lld other vectors dropped\n",
      dedup_s, peak_gib(), static_cast<long long>(found), static_cast<long long>(planted),
      static_cast<long long>(other));

  const int64_t m = std::min(n, reference);
  const std::vector<float> head(pool.vectors.begin(), pool.vectors.begin() + m * dim);
  start = std::chrono::steady_clock::now();
  const std::vector<uint8_t> ours = near_duplicates(head, h.levels[0].centroids, dim, {0.95, 4});
  const double ours_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const std::vector<uint8_t> exact = exhaustive_duplicates(head.data(), m, dim, 0.95f);
  const double exact_s = seconds_since(start);
  std::printf(
      "reference on the first %lld vectors: ours %.2f s, exhaustive %.2f s, ratio %.1fx, "
      "same vectors dropped: %s\n",
      static_cast<long long>(m), ours_s, exact_s, exact_s / ours_s, ours == exact ? "yes" : "NO");
  std::printf("total curate steps: %.1f s, peak resident %.2f GiB\n", kmeans_s + dedup_s,
              peak_gib());
  return 0;
}
