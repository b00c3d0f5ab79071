// The Robustness Index of de Jong et al. 2025 ("Current pathology foundation models are unrobust
// to medical center differences"), in the normalised form of their PathoROB benchmark: over every
// image's k nearest neighbours (cosine, the image itself left out), the neighbours of the same
// class from another site (SO) against those of another class from the same site (OS),
// RI = SO / (SO + OS). 1: neighbourhoods follow the tissue; 0: they follow the site; 0.5: neither
// wins. Neighbours of the same class and site (SS) or of neither (OO) do not enter it.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace pathodino::eval {

struct NeighbourCounts {
  int64_t same_class_same_site = 0, same_class_other_site = 0;    // SS, SO
  int64_t other_class_same_site = 0, other_class_other_site = 0;  // OS, OO
  // SO / (SO + OS); 0.5 when neither occurs.
  double robustness_index() const;
};

// `features`: [N, D] unit rows (fp32, CPU); one class and one site per row; k < N. Computed in
// blocks of rows, so N is bounded by the features, not by N².
NeighbourCounts count_neighbours(const torch::Tensor& features, const std::vector<int64_t>& classes,
                                 const std::vector<int64_t>& sites, int64_t k);

}  // namespace pathodino::eval
