// Test helper for test_dinov2_augment_parity.py: draws of the multi-crop augmentation and of the
// iBOT masks, as JSON on stdout —
//   {"augment": {"global1": {"crops": N, "flip": n, ...}, "global2": ..., "local": ...},
//    "masks": {"grid": G, "crops_per_step": C, "masks": ["0110…", …]}}
//   augment_stats_dump IMAGES STEPS
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "data/augment/ibot_masks.h"
#include "data/augment/multi_crop.h"

using namespace pathodino::data;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int64_t images = std::stoll(argv[1]), steps = std::stoll(argv[2]);
  DataOptions options;  // DINOv2's recipe, small crops for speed
  options.global_crops_size = 32;
  options.local_crops_size = 16;
  options.local_crops_number = 2;
  MultiCropAugment augment(options);
  std::map<std::string, std::map<std::string, int64_t>> counts;
  augment.set_observer([&](const char* crop, const char* op) { ++counts[crop][op]; });
  RgbImage image{48, 48, std::vector<uint8_t>(48 * 48 * 3, 128)};
  std::mt19937_64 rng(1);
  for (int64_t i = 0; i < images; ++i) augment(image, rng);
  nlohmann::json out;
  for (const char* crop : {"global1", "global2", "local"}) {
    out["augment"][crop]["crops"] = images * (std::string(crop) == "local" ? 2 : 1);
    for (const char* op : {"flip", "color_jitter", "grayscale", "blur", "solarize"})
      out["augment"][crop][op] = counts[crop][op];
  }
  // iBOT masks for 224-px crops of 16-px patches, a global batch of 32 images (64 crops) a step.
  const IbotMasking masking{14, 0.5, 0.1, 0.5};
  const int64_t crops = 64;
  out["masks"]["grid"] = masking.grid;
  out["masks"]["crops_per_step"] = crops;
  std::vector<std::string> masks;
  for (int64_t step = 0; step < steps; ++step)
    for (int64_t slot = 0; slot < crops; ++slot) {
      std::string bits;
      for (uint8_t m : ibot_mask(masking, crops, 3, step, slot)) bits += m ? '1' : '0';
      masks.push_back(bits);
    }
  out["masks"]["masks"] = masks;
  std::cout << out.dump() << "\n";
  return 0;
}
