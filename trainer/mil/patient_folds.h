// Cross-validation folds for slide-level tasks, split by patient: every slide of a patient lands
// in the same fold, so no fold is scored on a patient it trained on. Stratified: each class's
// patients (a patient's class is its highest slide label) are shuffled and dealt round the
// folds, so each fold has every class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pathodino::mil {

// The fold of each slide, in [0, k). Throws std::runtime_error naming the class when a class has
// fewer than k patients.
std::vector<int64_t> patient_folds(const std::vector<std::string>& patients,
                                   const std::vector<int64_t>& labels,
                                   const std::vector<std::string>& class_names, int64_t k,
                                   uint64_t seed);

}  // namespace pathodino::mil
