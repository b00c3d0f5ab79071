// `pathodino curate -c CONFIG --index F.pdidx --embeddings DIR --out DIR [--set …]`: the
// archive's tile embeddings (what `embed` wrote for this index) clustered at the levels of the
// config's `curate` section, near-duplicates dropped, and in DIR: curated.pdidx (train on it, and
// balance with data.wsi.balance_by: cluster_l1), the cluster-size and near-duplicate CSVs, one
// mosaic per cluster and index.html to review them. Exit 2 for a refused config, 1 for embeddings
// that do not belong to the index (another index, backbone or tile size), named by file.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/cli/key_files.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"
#include "trainer/curate/curate_archive.h"

namespace pathodino::cli {
namespace {

struct CurateArgs : ConfigArgs {
  std::string index, embeddings, out, encryption_key;
};

void print_summary(const curate::CurateResult& r) {
  std::cout << fmt::format(
      "[curate] {} of {} indexed tiles embedded by {} (sha256 {}), {} near-duplicate(s) dropped, "
      "{} kept\n",
      r.embedded, r.indexed, r.backbone, r.backbone_sha256.substr(0, 12), r.dropped, r.kept);
  for (const std::string& file : r.missing)
    std::cout << "[curate] no feature file " << file << ": its slide is left out\n";
  for (const auto& [site, c] : r.duplicates.by_site)
    std::cout << fmt::format("[curate] site {}: {} tiles, {} near-duplicate(s) dropped\n", site,
                             c.tiles, c.dropped);
  std::cout << fmt::format(
      "[curate] read {:.1f} s, k-means {:.1f} s, near-duplicates {:.1f} s; {} written\n",
      r.read_seconds, r.kmeans_seconds, r.duplicate_seconds, r.curated_index.string());
}

int run_curate(const CurateArgs& args) {
  const ExperimentConfig config = config::resolve_config(args.file, args.overrides);
  curate::CurateRequest request{args.index,
                                args.embeddings,
                                args.out,
                                static_cast<uint64_t>(config.run.seed),
                                optional_aes_key(args.encryption_key),
                                pseudonyms_of(config.privacy)};  // the files' names and reports'
  const curate::CurateResult result =
      curate::curate_archive(config.curate, request, [](const std::string& line) {
        std::cout << "[curate] " << line << "\n" << std::flush;
      });
  print_summary(result);
  return 0;
}

}  // namespace

void add_curate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CurateArgs>();
  auto* command = app.add_subcommand(
      "curate",
      "Cluster an archive's tile embeddings, drop near-duplicates, write a curated index");
  add_config_args(*command, *args);
  command->add_option("--index", args->index, "the tile index that was embedded")->required();
  command->add_option("--embeddings", args->embeddings, "folder of `pathodino embed`")->required();
  command->add_option("--out", args->out, "folder for curated.pdidx, CSVs and mosaics")->required();
  add_encryption_key_option(*command, args->encryption_key);
  command->callback([args, &exit_code] {
    try {
      exit_code = run_curate(*args);
    } catch (const config::ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    } catch (const std::exception& e) {
      std::cerr << "curate: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
