// `pathodino export --init NAME --seed S --out F.safetensors`: a freshly initialised backbone in
// the interchange format (DINOv2/timm names). Exporting from a checkpoint arrives with checkpoints.
#include <CLI/CLI.hpp>

#include <iostream>

#include "models/interchange/backbone_file.h"
#include "models/vit_spec.h"
#include "trainer/cli/commands.h"

namespace pathodino::cli {
namespace {

struct ExportArgs {
  std::string init;
  uint64_t seed = 0;
  std::string out;
  int64_t img_size = 224;
  double layerscale_init = 1e-5;
  std::string ffn;
};

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  auto* command =
      app.add_subcommand("export", "Write a backbone as safetensors with DINOv2/timm names");
  command
      ->add_option("--init", args->init, "initialise a model by name, e.g. vit_small_patch14_reg4")
      ->required();
  command->add_option("--seed", args->seed, "initialisation seed");
  command->add_option("--out", args->out, "output .safetensors file")->required();
  command->add_option("--img-size", args->img_size,
                      "image side the position embedding is made for");
  command->add_option("--layerscale-init", args->layerscale_init,
                      "LayerScale init; 0 = no LayerScale");
  command->add_option("--ffn", args->ffn, "mlp or swiglu (default: the size's own)")
      ->check(CLI::IsMember({"mlp", "swiglu"}));
  command->callback([args, &exit_code] {
    try {
      models::VitSpec spec = models::vit_spec_from_name(args->init);
      spec.img_size = args->img_size;
      spec.layerscale_init = args->layerscale_init;
      if (!args->ffn.empty())
        spec.ffn = args->ffn == "swiglu" ? models::FfnKind::swiglu : models::FfnKind::mlp;
      models::VisionTransformer backbone(spec);
      backbone->reset_parameters(args->seed);
      models::BackboneInfo info;
      info.origin = "init " + spec.name() + " seed " + std::to_string(args->seed);
      models::export_backbone(backbone, info, args->out);
      std::cout << args->out << ": " << spec.name() << ", " << models::count_parameters(*backbone)
                << " parameters\n";
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "export: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace pathodino::cli
