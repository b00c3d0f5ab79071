// `pathodino export --checkpoint DIR --out F.safetensors`: a checkpoint's teacher backbone in the
// interchange format (DINOv2/timm names), built from the config saved with the checkpoint.
// `--with-heads` adds the teacher's heads (Note [Backbone with heads]); `--dinov2-checkpoint F.pth`
// also writes the teacher with heads as DINOv2's teacher_checkpoint.pth.
// `pathodino export --init NAME --seed S --out F.safetensors`: a freshly initialised backbone.
// `--signing-key K` signs the file (F.safetensors.sig); `--public-key P` checks the checkpoint's
// signature first (Note [Signed checkpoints]).
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "models/factory/backbone_factory.h"
#include "models/interchange/backbone_file.h"
#include "models/vit_spec.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/cli/commands.h"
#include "trainer/config/resolve.h"
#include "trainer/ssl/ssl_network_file.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/ed25519.h"

namespace pathodino::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string init;
  uint64_t seed = 0;
  std::string out;
  int64_t img_size = 224;
  double layerscale_init = 1e-5;
  double interpolate_offset = 0.1;
  std::string ffn;
  std::string signing_key;
  std::string public_key;
  std::string encryption_key;
  bool with_heads = false;
  std::string dinov2_checkpoint;
};

// The teacher of a checkpoint, backbone and (with `heads`) heads, every tensor copied from it.
struct CheckpointTeacher {
  ssl::SslNetwork network;
  int64_t step = 0;
  int64_t copied = 0;
};

CheckpointTeacher load_teacher(const std::filesystem::path& dir, const ExperimentConfig& config,
                               const ExportArgs& args, bool heads) {
  const std::string prefix = heads ? "teacher." : "teacher.backbone.";
  const checkpoint::LoadedCheckpoint loaded = checkpoint::load_checkpoint(
      dir, {prefix}, {args.public_key, !args.public_key.empty(), args.encryption_key});
  models::ModelOptions model = config.model;
  model.pretrained
      .clear();  // the checkpoint holds the weights; the file it started from may be gone
  CheckpointTeacher teacher;
  teacher.step = loaded.manifest.step;
  teacher.network.backbone = models::build_backbone(model, config.data.global_crops_size, 0);
  teacher.network.heads =
      ssl::make_ssl_heads(config.ssl, teacher.network.backbone->spec().embed_dim, 0);
  // Parameters must all be there; buffers (fixed prototype gains) are taken when the checkpoint
  // has them and otherwise keep the values they are built with.
  std::vector<std::pair<std::string, torch::Tensor>> wanted, optional;
  for (auto& item : teacher.network.backbone->named_parameters())
    wanted.emplace_back("teacher.backbone." + item.key(), item.value());
  for (auto& item : teacher.network.backbone->named_buffers())
    optional.emplace_back("teacher.backbone." + item.key(), item.value());
  if (heads)
    for (auto& [name, tensor] : ssl::named_head_tensors(teacher.network.heads))
      (tensor.requires_grad() ? wanted : optional).emplace_back("teacher." + name, tensor);
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : wanted) {
    const auto found = loaded.tensors.find(name);
    if (found == loaded.tensors.end())
      throw checkpoint::CheckpointError(dir.string() + ": no tensor '" + name + "'");
    tensor.copy_(found->second);
    ++teacher.copied;
  }
  for (auto& [name, tensor] : optional)
    if (const auto found = loaded.tensors.find(name); found != loaded.tensors.end()) {
      tensor.copy_(found->second);
      ++teacher.copied;
    }
  return teacher;
}

// The teacher of the checkpoint at `given` (a step, checkpoints or run directory): its backbone,
// or its backbone with heads (Note [Backbone with heads]), and DINOv2's .pth when asked.
void export_checkpoint(const ExportArgs& args) {
  const std::filesystem::path dir = checkpoint::resolve_checkpoint_path(args.checkpoint);
  const ExperimentConfig config = config::resolve_config(dir / "config.yaml");
  const bool heads = args.with_heads || !args.dinov2_checkpoint.empty();
  CheckpointTeacher teacher = load_teacher(dir, config, args, heads);
  models::BackboneInfo info;
  info.image_mean = config.data.mean;
  info.image_std = config.data.std;
  info.origin = "pathodino run " + config.run.name + " step " + std::to_string(teacher.step) +
                " (teacher, from " + dir.string() + ")";
  models::VisionTransformer& backbone = teacher.network.backbone;
  if (args.with_heads)
    ssl::export_ssl_network(teacher.network, config.ssl, info, args.out);
  else
    models::export_backbone(backbone, info, args.out);
  if (!args.dinov2_checkpoint.empty()) {
    const std::vector<char> bytes = ssl::dinov2_checkpoint_bytes(teacher.network);
    system::write_file_durably(args.dinov2_checkpoint, {bytes.data(), bytes.size()});
    std::cout << args.dinov2_checkpoint << ": DINOv2's teacher_checkpoint.pth format\n";
  }
  std::cout << args.out << ": teacher " << (args.with_heads ? "backbone and heads" : "backbone")
            << " of " << dir.string() << ", " << backbone->spec().name() << ", "
            << models::count_parameters(*backbone) << " backbone parameters (" << teacher.copied
            << " tensors, checksums verified)\n";
}

// The file `args` asks for: a checkpoint's teacher, or a freshly initialised backbone.
void export_backbone_file(const ExportArgs& args) {
  if (!args.checkpoint.empty()) return export_checkpoint(args);
  if (args.init.empty()) throw std::runtime_error("give --checkpoint DIR or --init NAME");
  models::VitSpec spec = models::vit_spec_from_name(args.init);
  spec.img_size = args.img_size;
  spec.layerscale_init = args.layerscale_init;
  spec.interpolate_offset = args.interpolate_offset;
  if (!args.ffn.empty())
    spec.ffn = args.ffn == "swiglu" ? models::FfnKind::swiglu : models::FfnKind::mlp;
  models::VisionTransformer backbone(spec);
  backbone->reset_parameters(args.seed);
  models::BackboneInfo info;
  info.origin = "init " + spec.name() + " seed " + std::to_string(args.seed);
  models::export_backbone(backbone, info, args.out);
  std::cout << args.out << ": " << spec.name() << ", " << models::count_parameters(*backbone)
            << " parameters\n";
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  auto* command =
      app.add_subcommand("export", "Write a backbone as safetensors with DINOv2/timm names");
  auto* from_checkpoint = command->add_option(
      "--checkpoint", args->checkpoint,
      "export the teacher backbone of a checkpoint (step, checkpoints or run directory)");
  auto* from_init = command->add_option("--init", args->init,
                                        "initialise a model by name, e.g. vit_small_patch14_reg4");
  from_checkpoint->excludes(from_init);
  command->add_option("--seed", args->seed, "initialisation seed");
  command->add_option("--out", args->out, "output .safetensors file")->required();
  command->add_option("--img-size", args->img_size,
                      "image side the position embedding is made for");
  command->add_option("--layerscale-init", args->layerscale_init,
                      "LayerScale init; 0 = no LayerScale");
  command->add_option("--interpolate-offset", args->interpolate_offset,
                      "position-grid resampling offset at other sizes: 0.1 (DINOv2) or 0 (timm)");
  command->add_option("--ffn", args->ffn, "mlp or swiglu (default: the size's own)")
      ->check(CLI::IsMember({"mlp", "swiglu"}));
  command
      ->add_flag("--with-heads", args->with_heads,
                 "the file also holds the teacher's DINO/iBOT heads (backbone.*, dino_head.*)")
      ->needs(from_checkpoint);
  command
      ->add_option("--dinov2-checkpoint", args->dinov2_checkpoint,
                   "also write the teacher with heads as DINOv2's teacher_checkpoint.pth")
      ->needs(from_checkpoint);
  command
      ->add_option("--signing-key", args->signing_key,
                   "Ed25519 private key file (PEM): sign the exported file")
      ->check(CLI::ExistingFile);
  command
      ->add_option("--public-key", args->public_key,
                   "Ed25519 public key file (PEM): the checkpoint must carry its valid signature")
      ->check(CLI::ExistingFile)
      ->needs(from_checkpoint);
  command
      ->add_option("--encryption-key", args->encryption_key,
                   "AES-256 key file of the checkpoint's encrypted shards")
      ->check(CLI::ExistingFile)
      ->needs(from_checkpoint);
  command->callback([args, &exit_code] {
    try {
      // A key that cannot sign is refused before anything is read or written.
      std::optional<system::Ed25519Key> signer;
      if (!args->signing_key.empty()) signer = system::Ed25519Key::load_private(args->signing_key);
      export_backbone_file(*args);
      if (signer)
        for (const std::string& file : {args->out, args->dinov2_checkpoint}) {
          if (file.empty()) continue;
          system::sign_file(file, *signer);
          std::cout << system::signature_path(file).string() << ": signed by key "
                    << signer->fingerprint() << "\n";
        }
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "export: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace pathodino::cli
