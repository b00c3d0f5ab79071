// Slide-level evaluation of an embedding: ABMIL (abmil.h) trained and scored in k-fold
// cross-validation split by patient (patient_folds.h). Each fold trains a fresh model with Adam
// on its training slides, one slide per step, the loss weighted by inverse class frequency (a
// rare positive class is not drowned by the common one), and scores the held-out slides: AUROC
// (macro one-vs-rest beyond two classes) and balanced accuracy, then their mean and spread over
// folds. Every slide gets its held-out prediction and attention.
#pragma once

#include <cstdint>
#include <vector>

#include "trainer/mil/abmil.h"
#include "trainer/mil/slide_bags.h"

namespace pathodino::mil {

struct MilOptions {
  int64_t folds = 5, epochs = 20;
  double lr = 2e-4, weight_decay = 1e-5;
  uint64_t seed = 0;
  AbmilOptions model;  // input_dim and classes are taken from the bags
};

struct SlidePrediction {
  int64_t fold = 0, predicted = 0;
  std::vector<double> probabilities;  // one per class
  std::vector<float> attention;       // one per tile, in the bag's row order
};

struct FoldScore {
  int64_t slides = 0;
  double auroc = 0, balanced = 0;
};

struct MilReport {
  std::vector<FoldScore> folds;
  double auroc_mean = 0, auroc_std = 0, balanced_mean = 0, balanced_std = 0;
  std::vector<SlidePrediction> slides;  // parallel to the bags
};

MilReport cross_validate(const BagSet& set, const MilOptions& options);

}  // namespace pathodino::mil
