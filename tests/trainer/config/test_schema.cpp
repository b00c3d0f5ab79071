// The schema's own behaviour: suggestions for unknown keys and how it describes expectations.
#include <gtest/gtest.h>

#include "trainer/config/experiment_schema.h"

using namespace pathodino::config;

TEST(Schema, SuggestsTheIntendedKey) {
  const ExperimentSchema schema = make_experiment_schema();
  EXPECT_EQ(schema.suggest("optim.bse_lr"), "optim.base_lr");           // typo
  EXPECT_EQ(schema.suggest("model.patchsize"), "model.patch_size");     // missing underscore
  EXPECT_EQ(schema.suggest("optim.student_temp"), "ssl.student_temp");  // wrong section
  EXPECT_EQ(schema.suggest("optim.lr"), "optim.base_lr");               // shortened name
  EXPECT_EQ(schema.suggest("optimizer"), "optim");                      // section name
  EXPECT_EQ(schema.suggest("completely.unrelated_thing"), "");
}

TEST(Schema, DescribesWhatItExpects) {
  const ExperimentSchema schema = make_experiment_schema();
  EXPECT_EQ(schema.find("optim.base_lr")->expected(), "a float > 0");
  EXPECT_EQ(schema.find("model.drop_path_rate")->expected(), "a float in [0, 1)");
  EXPECT_EQ(schema.find("data.mean")->expected(), "a list of 3 floats, each in [0, 1]");
  EXPECT_EQ(schema.find("model.ffn")->expected(), "one of: mlp, swiglu");
  EXPECT_EQ(schema.find("model.qkv_bias")->expected(), "true or false");
  EXPECT_TRUE(schema.is_section("ssl.teacher"));
  EXPECT_FALSE(schema.is_section("ssl.teacher.temp"));
}

TEST(Schema, KeysAreUniqueAndEveryKeyHasDocumentation) {
  const ExperimentSchema schema = make_experiment_schema();
  std::set<std::string> seen;
  for (const auto* spec : schema.fields()) {
    EXPECT_TRUE(seen.insert(spec->path).second) << "declared twice: " << spec->path;
    EXPECT_FALSE(spec->doc.empty()) << spec->path;
  }
  EXPECT_GT(seen.size(), 90u);
}
