#include <gtest/gtest.h>

#include "models/vit_sizes.h"

using namespace pathodino::models;

TEST(VitSizes, Dinov2Sizes) {
  const VitSize* large = find_vit_size("vit_large");
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(large->embed_dim, 1024);
  EXPECT_EQ(large->depth, 24);
  EXPECT_EQ(large->num_heads, 16);
  EXPECT_EQ(find_vit_size("vit_giant")->embed_dim, 1536);
  EXPECT_EQ(find_vit_size("vit_huge"), nullptr);
  for (auto name : vit_size_names()) {
    const VitSize* s = find_vit_size(name);
    EXPECT_EQ(s->embed_dim % s->num_heads, 0) << name;   // heads split the width evenly
    EXPECT_EQ(s->embed_dim / s->num_heads, 64) << name;  // DINOv2's head width
  }
}
