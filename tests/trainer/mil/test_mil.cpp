// Slide-level evaluation's parts: AUROC against values worked by hand (scikit-learn's documented
// example among them) with ties; folds that never split a patient and give every fold every
// class; and ABMIL cross-validated on bags with a planted signal — a few instances of the
// positive bags shifted along one axis — where it must separate the bags and attend to the
// planted instances, while on bags without a signal it scores near chance.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "trainer/mil/auroc.h"
#include "trainer/mil/mil_cross_validation.h"
#include "trainer/mil/patient_folds.h"

namespace pathodino::mil {
namespace {

TEST(Auroc, HandWorkedValuesWithTiesAndOneSidedSets) {
  EXPECT_DOUBLE_EQ(auroc({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 0.75);
  EXPECT_DOUBLE_EQ(auroc({0.5, 0.5}, {false, true}), 0.5);  // a tie counts one half
  EXPECT_DOUBLE_EQ(auroc({0.9, 0.2, 0.1}, {true, false, false}), 1.0);
  EXPECT_TRUE(std::isnan(auroc({0.2, 0.3}, {true, true})));
  // Three classes, each separated perfectly by its own probability: macro one-vs-rest 1.
  EXPECT_DOUBLE_EQ(macro_auroc({{0.8, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.2, 0.2, 0.6}}, {0, 1, 2}, 3),
                   1.0);
}

TEST(PatientFolds, APatientsSlidesStayTogetherAndEveryFoldHasEveryClass) {
  std::vector<std::string> patients;
  std::vector<int64_t> labels;
  for (int p = 0; p < 12; ++p)
    for (int s = 0; s < 3; ++s) {
      patients.push_back("patient_" + std::to_string(p));
      labels.push_back(p % 3 == 0 && s == 1 ? 1 : 0);  // patients 0, 3, 6, 9 have a tumour slide
    }
  const std::vector<int64_t> folds = patient_folds(patients, labels, {"normal", "tumour"}, 4, 1);
  std::map<std::string, std::set<int64_t>> folds_of;
  std::map<int64_t, std::set<int64_t>> classes_in;
  for (size_t i = 0; i < folds.size(); ++i) {
    folds_of[patients[i]].insert(folds[i]);
    classes_in[folds[i]].insert(labels[i]);
  }
  for (const auto& [patient, f] : folds_of) EXPECT_EQ(f.size(), 1u) << patient;
  ASSERT_EQ(classes_in.size(), 4u);
  for (const auto& [fold, classes] : classes_in) EXPECT_EQ(classes.size(), 2u) << "fold " << fold;
  try {
    patient_folds(patients, labels, {"normal", "tumour"}, 5, 1);
    ADD_FAILURE() << "5 folds over 4 tumour patients were accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("class 'tumour' has 4 patient(s); 5 folds"),
              std::string::npos)
        << e.what();
  }
}

// 40 bags of 20-40 instances of width 8; with `signal`, the positive half's bags hold 3 instances
// shifted by +3 along axis 0 (the planted ones come first in each bag).
BagSet planted_bags(bool signal) {
  torch::manual_seed(5);
  BagSet set;
  set.classes = {"normal", "tumour"};
  for (int b = 0; b < 40; ++b) {
    SlideBag bag;
    bag.slide = bag.patient = "slide_" + std::to_string(b);
    bag.label = b % 2;
    bag.features = torch::randn({20 + b % 21, 8});
    if (signal && bag.label == 1) bag.features.narrow(0, 0, 3).select(1, 0).add_(3.0);
    set.bags.push_back(bag);
  }
  return set;
}

TEST(Abmil, CrossValidatedItFindsAPlantedSignalAndAttendsToIt) {
  torch::set_num_threads(1);
  MilOptions options;
  options.folds = 4;
  options.epochs = 30;
  options.lr = 1e-3;
  const BagSet set = planted_bags(true);
  const MilReport r = cross_validate(set, options);
  EXPECT_GT(r.auroc_mean, 0.9) << "std " << r.auroc_std;
  EXPECT_GT(r.balanced_mean, 0.8);
  ASSERT_EQ(r.folds.size(), 4u);
  double planted = 0, rest = 0;
  for (size_t b = 0; b < set.bags.size(); ++b) {
    if (set.bags[b].label != 1) continue;
    const std::vector<float>& a = r.slides[b].attention;
    ASSERT_EQ(static_cast<int64_t>(a.size()), set.bags[b].features.size(0));
    planted += (a[0] + a[1] + a[2]) / 3;
    for (size_t i = 3; i < a.size(); ++i) rest += a[i] / static_cast<double>(a.size() - 3);
  }
  EXPECT_GT(planted, 3 * rest) << "held-out attention on the planted instances vs the others";

  const MilReport none = cross_validate(planted_bags(false), options);
  EXPECT_LT(none.auroc_mean, 0.75) << "no signal, yet AUROC " << none.auroc_mean;
}

}  // namespace
}  // namespace pathodino::mil
