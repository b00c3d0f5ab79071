// k-means++ seeding (Arthur & Vassilvitskii 2007) for unit vectors, what Vo et al.'s curation
// seeds every k-means with, in its greedy form (scikit-learn's): the first centroid drawn
// uniformly; for each next one, 2 + ln k points drawn with probability proportional to their
// squared distance to the nearest centroid so far, and the one that lowers the total most kept.
// Random seeds (Faiss's own) often put two centroids in one dense group and none in a small one,
// which Lloyd's iterations do not undo; this seeding rarely does.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::curate {

// `x`: n × dim, rows L2-normalised; k ≤ n. Draws from at most `candidates` points (a uniform
// sample of x, so seeding costs candidates × k × (2 + ln k) × dim rather than n × k × …).
// Returns k × dim.
std::vector<float> kmeans_plus_plus(const float* x, int64_t n, int64_t dim, int64_t k,
                                    int64_t candidates, uint64_t seed);

}  // namespace pathodino::curate
