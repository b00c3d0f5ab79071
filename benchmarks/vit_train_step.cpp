// Times forward + backward of a ViT backbone on random images, as one training step sees it, or
// with MODE `embed` the forward pass alone, in eval mode without gradients, as `embed` runs it.
//   vit_train_step MODEL BATCH IMG_SIZE STEPS WARMUP THREADS [MODE]
// Prints one JSON line: {"model":..., "images_per_s":..., "step_s":[...]}.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>

#include "models/vit/vision_transformer.h"
#include "trainer/system/heap_policy.h"

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::cerr << "usage: vit_train_step MODEL BATCH IMG_SIZE STEPS WARMUP THREADS [train|embed]\n";
    return 2;
  }
  pathodino::system::keep_freed_memory_in_heap();  // as `pathodino train` does
  const int64_t batch = std::stoll(argv[2]), img = std::stoll(argv[3]);
  const int steps = std::stoi(argv[4]), warmup = std::stoi(argv[5]);
  at::set_num_threads(std::stoi(argv[6]));
  auto spec = pathodino::models::vit_spec_from_name(argv[1]);
  spec.img_size = img;
  pathodino::models::VisionTransformer model(spec);
  const bool embed = argc == 8 && std::string(argv[7]) == "embed";
  model->train(!embed);
  torch::manual_seed(0);
  const auto images = torch::randn({batch, 3, img, img});
  std::vector<double> times;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (embed) {
      torch::NoGradGuard no_grad;
      model->forward(images);
    } else {
      model->zero_grad();
      model->forward(images).cls.pow(2).mean().backward();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= warmup) times.push_back(seconds);
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  std::cout << "{\"model\": \"" << argv[1] << "\", \"images_per_s\": " << batch / median
            << ", \"step_s\": [";
  for (size_t i = 0; i < times.size(); ++i) std::cout << (i ? ", " : "") << times[i];
  std::cout << "]}" << std::endl;
  return 0;
}
