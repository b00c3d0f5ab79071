// The Robustness Index on hand-built embeddings with known answers: two classes × two sites, two
// near-identical images per (class, site). When the site decides where an image lies, its
// neighbours after its twin are the other class of its own site (RI 0); when the class decides,
// they are its class at the other site (RI 1); with only the twin as neighbour, neither (0.5).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>

#include "trainer/eval/robustness_index.h"

namespace pathodino::eval {
namespace {

struct Points {
  torch::Tensor features;
  std::vector<int64_t> classes, sites;
};

// Image (c, s, twin): far apart along the axis of `major` (the site or the class), 0.1 apart
// along `minor`, twins 0.01 apart.
Points points(bool site_decides) {
  Points p;
  std::vector<float> rows;
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t s = 0; s < 2; ++s)
      for (int twin = 0; twin < 2; ++twin) {
        const int64_t major = site_decides ? s : c, minor = site_decides ? c : s;
        const float x = major == 0 ? 1.0f : 0.0f, y = major == 0 ? 0.0f : 1.0f;
        rows.insert(rows.end(), {x, y, minor == 0 ? 0.1f : -0.1f, 0.01f * twin});
        p.classes.push_back(c);
        p.sites.push_back(s);
      }
  p.features = torch::nn::functional::normalize(
      torch::tensor(rows).view({8, 4}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  return p;
}

TEST(RobustnessIndex, WhenTheSiteDecidesTheNeighboursAreOtherClassesOfTheSameSite) {
  const Points p = points(/*site_decides=*/true);
  const NeighbourCounts n = count_neighbours(p.features, p.classes, p.sites, 3);
  EXPECT_EQ(n.same_class_same_site, 8);    // each image's twin
  EXPECT_EQ(n.other_class_same_site, 16);  // then the other class of its site
  EXPECT_EQ(n.same_class_other_site, 0);
  EXPECT_EQ(n.other_class_other_site, 0);
  EXPECT_DOUBLE_EQ(n.robustness_index(), 0.0);
}

TEST(RobustnessIndex, WhenTheClassDecidesTheNeighboursAreItsClassAtTheOtherSite) {
  const Points p = points(/*site_decides=*/false);
  const NeighbourCounts n = count_neighbours(p.features, p.classes, p.sites, 3);
  EXPECT_EQ(n.same_class_same_site, 8);
  EXPECT_EQ(n.same_class_other_site, 16);
  EXPECT_EQ(n.other_class_same_site, 0);
  EXPECT_DOUBLE_EQ(n.robustness_index(), 1.0);
  // Five neighbours: the twin, the two of its class at the other site, then the other class at
  // its own site (the site still leans 0.1 its way): SO = OS, the index halves to 0.5.
  const NeighbourCounts five = count_neighbours(p.features, p.classes, p.sites, 5);
  EXPECT_EQ(five.same_class_other_site, 16);
  EXPECT_EQ(five.other_class_same_site, 16);
  EXPECT_EQ(five.other_class_other_site, 0);
  EXPECT_DOUBLE_EQ(five.robustness_index(), 0.5);
}

TEST(RobustnessIndex, OnlyTheTwinMeansNeitherAndBadArgumentsAreRefused) {
  const Points p = points(true);
  EXPECT_DOUBLE_EQ(count_neighbours(p.features, p.classes, p.sites, 1).robustness_index(), 0.5);
  EXPECT_THROW(count_neighbours(p.features, p.classes, p.sites, 8), std::invalid_argument);
  EXPECT_THROW(count_neighbours(p.features, {0, 1}, p.sites, 3), std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::eval
