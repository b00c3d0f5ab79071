// How well a clustering agrees with known classes: normalised mutual information,
// NMI = 2·I(U;V) / (H(U) + H(V)) (the arithmetic-mean normalisation, scikit-learn's default):
// 1 for the same partition under any renaming, about 0 for an unrelated one.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::curate {

// `a` and `b` label the same items; throws std::invalid_argument when their lengths differ.
// Two partitions with one group each agree fully (1).
double normalized_mutual_information(const std::vector<uint32_t>& a,
                                     const std::vector<uint32_t>& b);

}  // namespace pathodino::curate
