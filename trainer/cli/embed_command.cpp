// `pathodino embed -c CONFIG (--index F.pdidx | --images DIR|F.csv) --backbone F.safetensors --out
// DIR [--set …] [--image-size N] [--batch-size N] [--images-per-file N] [--encryption-key KEY]`:
// every tile of a tile index (or every image of a folder) through a backbone (a run's
// teacher_backbone.safetensors, or any safetensors backbone with DINOv2/timm names), one HDF5 file
// per slide (or per folder of images) in DIR and DIR/manifest.csv. The config gives the
// architecture, the normalisation and (by default) the input size, data.global_crops_size, as
// evaluation uses; run.device and run.precision pick the device as for training (a GPU per local
// rank, bf16 autocast there), and data.loader_threads the threads that read the next batch while
// the backbone runs. Under mpirun the slides are shared across ranks. A job killed and run again
// embeds only the slides without a file. With a key the files are encrypted (Note [Encrypted
// feature files]). Exit 1 when a slide failed (the others are written), 2 for a refused config.
#include <fmt/format.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "models/factory/backbone_factory.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/cli/key_files.h"
#include "trainer/cli/shared_audit.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/embed/embed_archive.h"
#include "trainer/system/autocast_scope.h"
#include "trainer/system/cpu_share.h"
#include "trainer/train/device_choice.h"

namespace pathodino::cli {
namespace {

struct EmbedArgs : ConfigArgs {
  std::string index, images, backbone, out, encryption_key;
  int64_t image_size = 0, batch_size = 64, images_per_file = 10000;
};

// The gather of the outcomes waits for the slowest rank's last slide: an archive's ranks can
// finish hours apart, so it has no timeout of its own (a dead rank ends the job under mpirun).
constexpr double kWaitForSlowestRank = 30.0 * 24 * 3600;

void print_progress(const embed::SlideOutcome& o, int64_t done, int64_t total, int rank,
                    const std::chrono::steady_clock::time_point& start, int64_t& tiles) {
  tiles += o.status == "kept" ? 0 : o.tiles;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * (total - done) : 0;
  std::cout << fmt::format(
                   "[embed] rank {} slide {}/{} {}: {} tiles, {} | {:.1f} tiles/s, ETA {:.0f} s\n",
                   rank, done, total, o.slide, o.tiles, o.status,
                   elapsed > 0 ? static_cast<double>(tiles) / elapsed : 0.0, eta)
            << std::flush;
}

// The backbone's threads: run.intra_op_threads, or this rank's share of the cores.
int64_t backbone_threads(const ExperimentConfig& config, const distributed::MpiRuntime& mpi) {
  return config.run.intra_op_threads > 0 ? config.run.intra_op_threads
                                         : system::cores_per_rank(mpi.local_size());
}

embed::EmbedRequest make_request(const EmbedArgs& args, const ExperimentConfig& config,
                                 const distributed::MpiRuntime& mpi, bool on_cpu) {
  embed::EmbedRequest request;
  request.index = args.index;
  request.images = args.images;
  request.images_per_file = args.images_per_file;
  request.out_dir = args.out;
  request.backbone_file = args.backbone;
  request.image_size = args.image_size > 0 ? args.image_size : config.data.global_crops_size;
  request.mean = config.data.mean;
  request.std = config.data.std;
  request.batch_size = args.batch_size;
  request.encryption_key = optional_aes_key(args.encryption_key);
  request.pseudonyms = pseudonyms_of(config.privacy);  // files and lines name slides so
  // Reading threads: data.loader_threads, or the cores left to this rank after the backbone's
  // threads but at least two: cutting and resizing a tile costs about as much as a small
  // backbone's forward pass, and one thread does not keep up (benchmarks/RESULTS.md).
  const int64_t backbone = backbone_threads(config, mpi);
  request.read_threads =
      config.data.loader_threads > 0
          ? config.data.loader_threads
          : std::max<int64_t>(2, system::cores_per_rank(mpi.local_size()) - backbone);
  // On the CPU the backbone's threads run parts of each batch side by side, each with one
  // intra-op thread (eval/embed.h says why); a GPU takes the whole batch.
  request.forward_threads = on_cpu ? backbone : 1;
  return request;
}

int run_embed(const EmbedArgs& args, const distributed::MpiRuntime& mpi) {
  ExperimentConfig config = config::resolve_config(args.file, args.overrides);
  config.model.pretrained = args.backbone;
  // The run's device rule: a GPU per local rank when one is visible, bf16 autocast there.
  const train::DeviceChoice device = train::choose_device(config.run, mpi.local_rank());
  const bool on_cpu = device.device.is_cpu();
  torch::set_num_threads(on_cpu ? 1 : static_cast<int>(backbone_threads(config, mpi)));
  auto backbone = models::build_backbone(config.model, config.data.global_crops_size,
                                         static_cast<uint64_t>(config.run.seed));
  backbone->to(device.device);
  const embed::EmbedRequest request = make_request(args, config, mpi, on_cpu);
  std::cout << fmt::format(
                   "[embed] rank {}: {} on {}{}, {} backbone thread(s), {} reading thread(s)\n",
                   mpi.rank(), request.backbone_file.filename().string(), device.device.str(),
                   device.bf16_autocast ? " (bf16 autocast)" : " (fp32)", request.forward_threads,
                   request.read_threads)
            << std::flush;
  const system::AutocastScope autocast(device.bf16_autocast);
  distributed::MpiCommunicator comm(mpi.world(), kWaitForSlowestRank);
  const auto start = std::chrono::steady_clock::now();
  int64_t tiles = 0;
  const auto outcomes = embed::embed_archive(
      backbone, request, comm, [&](const embed::SlideOutcome& o, int64_t done, int64_t total) {
        print_progress(o, done, total, mpi.rank(), start, tiles);
      });
  if (mpi.rank() != 0) return 0;
  embed::write_manifest(request.out_dir / "manifest.csv", outcomes);
  int failed = 0, kept = 0;
  for (const auto& o : outcomes) {
    failed += o.status.starts_with("failed") ? 1 : 0;
    kept += o.status == "kept" ? 1 : 0;
  }
  std::cout << fmt::format(
      "[embed] {} slide file(s) in {} ({} kept from an earlier run, {} failed); "
      "manifest.csv\n",
      outcomes.size(), request.out_dir.string(), kept, failed);
  record_in_shared_log(config, "embed", request.backbone_file.string(),
                       {{{"out", request.out_dir.string()}},
                        {{"files", static_cast<int64_t>(outcomes.size())}, {"failed", failed}}});
  return failed > 0 ? 1 : 0;
}

}  // namespace

void add_embed_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EmbedArgs>();
  auto* command = app.add_subcommand(
      "embed",
      "Embed every tile of a tile index (one HDF5 file per slide: features, coords) or every "
      "image of a folder");
  add_config_args(*command, *args);
  auto* index = command->add_option("--index", args->index, "tile index (pathodino index)");
  auto* images = command->add_option(
      "--images", args->images,
      "instead of an index: a folder of PNG/JPEG images (or a CSV with a path column); one file "
      "per folder of images, with their paths and class labels");
  index->excludes(images);
  command
      ->add_option("--images-per-file", args->images_per_file,
                   "a folder with more images is written as numbered parts")
      ->check(CLI::PositiveNumber);
  command->add_option("--backbone", args->backbone, "backbone .safetensors")->required();
  command->add_option("--out", args->out, "folder for the slide files and manifest.csv")
      ->required();
  command
      ->add_option("--image-size", args->image_size,
                   "tiles are resized to this (default: data.global_crops_size)")
      ->check(CLI::PositiveNumber);
  command->add_option("--batch-size", args->batch_size, "tiles per forward pass")
      ->check(CLI::PositiveNumber);
  add_encryption_key_option(*command, args->encryption_key, true);
  command->callback([args, &exit_code] {
    if (args->index.empty() == args->images.empty())
      throw CLI::ValidationError("embed", "give --index or --images");
    const distributed::MpiRuntime mpi(nullptr, nullptr);
    try {
      exit_code = run_embed(*args, mpi);
    } catch (const config::ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    } catch (const std::exception& e) {
      std::cerr << "embed: " << (mpi.world_size() > 1 ? fmt::format("rank {}: ", mpi.rank()) : "")
                << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
