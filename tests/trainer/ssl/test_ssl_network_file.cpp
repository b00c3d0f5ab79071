// A network with its heads as a file (Note [Backbone with heads]): a run that starts from it gives
// student and teacher the file's backbone and heads — fixed prototype gains (buffers) included —
// and heads of another shape are refused, naming the file and the tensor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "trainer/ssl/ssl_network_file.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::ssl {
namespace {

models::ModelOptions tiny_model() {
  models::ModelOptions model;
  model.arch = "vit_tiny";
  model.patch_size = 8;
  return model;
}

SslOptions fixed_gain_heads() {
  SslOptions options;
  options.dino.head = {256, 64, 128, 3};
  options.dino.head.trainable_gain = false;
  return options;
}

TEST(SslNetworkFile, StudentAndTeacherStartFromTheFilesBackboneAndHeads) {
  const SslOptions ssl = fixed_gain_heads();
  StudentTeacher source(tiny_model(), ssl, 32, 1);
  {
    torch::NoGradGuard no_grad;
    source.teacher().heads.dino->last_layer_gain().uniform_(0.5, 1.5);
    source.teacher().heads.dino->last_layer_weight().normal_();
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("pathodino-ssl-" + std::to_string(::getpid()) + ".safetensors");
  export_ssl_network(source.teacher(), ssl, {}, path);

  models::ModelOptions model = tiny_model();
  model.pretrained = path.string();
  StudentTeacher continued(model, ssl, 32, 9);
  EXPECT_TRUE(continued.heads_pretrained());
  for (SslNetwork* network : {&continued.student(), &continued.teacher()}) {
    EXPECT_TRUE(torch::equal(network->heads.dino->last_layer_gain(),
                             source.teacher().heads.dino->last_layer_gain()));
    EXPECT_TRUE(torch::equal(network->heads.dino->last_layer_weight(),
                             source.teacher().heads.dino->last_layer_weight()));
    EXPECT_TRUE(
        torch::equal(network->backbone->named_parameters()["blocks.2.mlp.fc1.weight"],
                     source.teacher().backbone->named_parameters()["blocks.2.mlp.fc1.weight"]));
  }

  SslOptions other = ssl;
  other.dino.head.n_prototypes = 128;
  try {
    StudentTeacher refused(model, other, 32, 9);
    FAIL() << "heads of another shape were accepted";
  } catch (const std::exception& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(path.string() + ": its heads do not fit"), std::string::npos) << text;
    EXPECT_NE(text.find("'dino_head.last_layer.weight_v' has shape [256, 64]"), std::string::npos)
        << text;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pathodino::ssl
