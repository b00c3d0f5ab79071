#include "trainer/mil/patient_folds.h"

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>

namespace pathodino::mil {

std::vector<int64_t> patient_folds(const std::vector<std::string>& patients,
                                   const std::vector<int64_t>& labels,
                                   const std::vector<std::string>& class_names, int64_t k,
                                   uint64_t seed) {
  std::map<std::string, int64_t> patient_label;
  for (size_t i = 0; i < patients.size(); ++i) {
    auto [it, fresh] = patient_label.emplace(patients[i], labels[i]);
    if (!fresh) it->second = std::max(it->second, labels[i]);
  }
  std::map<int64_t, std::vector<std::string>> by_class;
  for (const auto& [patient, label] : patient_label) by_class[label].push_back(patient);
  std::mt19937_64 rng(seed);
  std::map<std::string, int64_t> fold_of;
  int64_t next = 0;  // the deal continues across classes, so fold sizes stay even
  for (auto& [label, members] : by_class) {
    if (static_cast<int64_t>(members.size()) < k)
      throw std::runtime_error("class '" + class_names.at(static_cast<size_t>(label)) + "' has " +
                               std::to_string(members.size()) + " patient(s); " +
                               std::to_string(k) + " folds need at least " + std::to_string(k) +
                               " of each class (fewer folds, or more slides)");
    std::shuffle(members.begin(), members.end(), rng);
    for (const std::string& p : members) fold_of[p] = next++ % k;
  }
  std::vector<int64_t> folds;
  for (const std::string& p : patients) folds.push_back(fold_of.at(p));
  return folds;
}

}  // namespace pathodino::mil
