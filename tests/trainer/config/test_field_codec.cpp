// Scalar parsing is strict: a config value is exactly one value of its type, or an error.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "trainer/config/field_codec.h"

using namespace pathodino::config;

TEST(FieldCodec, IntegersAreWholeTextIntegers) {
  EXPECT_EQ(parse_integer("42"), 42);
  EXPECT_EQ(parse_integer("-7"), -7);
  EXPECT_EQ(parse_integer("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(parse_integer("9223372036854775808"));  // overflow
  EXPECT_FALSE(parse_integer("1.0"));
  EXPECT_FALSE(parse_integer("1e3"));
  EXPECT_FALSE(parse_integer("12abc"));
  EXPECT_FALSE(parse_integer(""));
}

TEST(FieldCodec, RealsAreFinite) {
  EXPECT_EQ(parse_real("0.004"), 0.004);
  EXPECT_EQ(parse_real("1e-5"), 1e-5);
  EXPECT_EQ(parse_real("+2"), 2.0);
  EXPECT_EQ(parse_real("3"), 3.0);
  EXPECT_FALSE(parse_real("inf"));
  EXPECT_FALSE(parse_real("nan"));
  EXPECT_FALSE(parse_real("1e999"));
  EXPECT_FALSE(parse_real("0.1.2"));
  EXPECT_FALSE(parse_real("fast"));
}

TEST(FieldCodec, BooleansInYamlSpellings) {
  for (const char* t : {"true", "True", "yes", "on"}) EXPECT_EQ(parse_boolean(t), true) << t;
  for (const char* f : {"false", "FALSE", "no", "off"}) EXPECT_EQ(parse_boolean(f), false) << f;
  EXPECT_FALSE(parse_boolean("1"));
  EXPECT_FALSE(parse_boolean("maybe"));
}

TEST(FieldCodec, FormattedRealsReadBackBitExactly) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> exponent(-12, 12);
  for (int i = 0; i < 2000; ++i) {
    const double value = std::pow(10.0, exponent(rng)) * (i % 2 ? 1 : -1);
    const auto back = parse_real(format_real(value));
    ASSERT_TRUE(back) << format_real(value);
    EXPECT_EQ(*back, value);
  }
  EXPECT_EQ(format_real(1.0), "1.0");       // stays visibly a float
  EXPECT_EQ(format_real(1e-6), "1.0e-06");  // PyYAML reads a float only with a '.'
  EXPECT_EQ(format_real(2.5e20), "2.5e+20");
}

TEST(FieldCodec, EnumsDecodeByNameOnly) {
  std::string error;
  ConfigNode node = scalar_node("sinkhorn_knopp");
  EXPECT_EQ(decode_scalar<pathodino::ssl::Centering>(node, error),
            pathodino::ssl::Centering::sinkhorn_knopp);
  node.scalar = "1";
  EXPECT_FALSE(decode_scalar<pathodino::ssl::Centering>(node, error));
  EXPECT_EQ(error, "found '1'");
  EXPECT_EQ(encode_scalar(pathodino::distributed::Backend::auto_select).scalar, "auto");
}

TEST(FieldCodec, StringsThatLookLikeOtherTypesAreQuotedWhenWritten) {
  EXPECT_TRUE(encode_scalar(std::string("123")).quoted);
  EXPECT_TRUE(encode_scalar(std::string("no")).quoted);
  EXPECT_TRUE(encode_scalar(std::string("")).quoted);
  EXPECT_FALSE(encode_scalar(std::string("vit_large")).quoted);
}
