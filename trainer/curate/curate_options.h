// The `curate` section of an experiment config: how the archive's tile embeddings are clustered
// (levels of k-means, finest first: the first clusters the tiles, each next one the centroids of
// the level before), and which near-duplicates are dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pathodino::curate {

struct CurateOptions {
  std::vector<int64_t> levels{1024, 64};  // clusters per level, finest first, decreasing
  int64_t iterations = 20;                // k-means iterations per level
  int64_t restarts = 1;                   // k-means runs per clustering, the best fit kept
  int64_t max_points_per_centroid = 256;  // k-means trains on at most k × this many vectors
  // Vo et al.'s resampling: per level, the points nearest each centroid that k-means runs on
  // again (≤ 1: none; levels past the list take its last value), and how many times.
  std::vector<int64_t> resample_sizes{1, 10};
  int64_t resampling_steps = 10;
  double duplicate_cosine = 0.95;    // drop a tile this similar to a kept one; 1 = keep all
  int64_t duplicate_probes = 4;      // finest clusters searched for a tile's duplicates
  std::string site_column = "site";  // slide column the summaries break down by
  int64_t mosaic_nearest = 24;       // tiles of a cluster's mosaic nearest its centroid
  int64_t mosaic_random = 24;        // and drawn at random from the rest
};

}  // namespace pathodino::curate
