// Near-duplicate removal: walking the vectors in order, a vector whose cosine similarity to an
// already kept one exceeds the threshold is dropped, so of a group of near-copies the first one
// stays. The search for earlier kept vectors is an inverted-file search over the finest k-means
// clusters (`probes` nearest clusters per vector, the vector kept in its nearest): a copy lands in
// its original's cluster or a neighbouring one, and the cost stays near n × probes × cluster size
// rather than n², spent in matrix products (Faiss flat search on BLAS) batch by batch.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::curate {

struct DuplicateSearch {
  double cosine = 0.95;  // drop above this; ≥ 1 keeps every vector
  int64_t probes = 4;
  // Vectors decided at once: large enough that each cluster's share is a matrix product, small
  // enough that the batch's own candidate pairs stay a few million.
  int64_t batch = 16384;
};

// `vectors` n × dim and `centroids` clusters × dim, all rows L2-normalised. Returns 1 for each
// dropped vector.
std::vector<uint8_t> near_duplicates(const std::vector<float>& vectors,
                                     const std::vector<float>& centroids, int64_t dim,
                                     const DuplicateSearch& search);

}  // namespace pathodino::curate
