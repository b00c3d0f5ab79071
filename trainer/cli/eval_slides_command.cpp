// `pathodino eval slides --embeddings DIR --slides MANIFEST.csv [--baseline-embeddings DIR]
// [--label-column label] [--patient-column patient] [--folds 5] [--epochs 20] [--backbone F]
// [--out DIR] [--json]`: slide-level evaluation of tile embeddings — gated-attention ABMIL in
// k-fold cross-validation split by patient (mil/mil_cross_validation.h), AUROC and balanced
// accuracy with their spread over folds, next to the same for random-feature embeddings of the
// same slides (--baseline-embeddings). With --out: each slide's held-out prediction
// (slides.csv), and its attention as a CSV and a heat map over the slide's thumbnail.
#include <CLI/CLI.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "data/csv_line.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/key_files.h"
#include "trainer/embed/embed_archive.h"
#include "trainer/mil/attention_maps.h"
#include "trainer/mil/mil_cross_validation.h"
#include "trainer/system/sha256.h"

namespace pathodino::cli {
namespace {

struct SlidesArgs {
  mil::BagSetOptions bags;
  std::string baseline, backbone, out, encryption_key, pseudonymise_key;
  mil::MilOptions mil;
  bool json = false;
};

nlohmann::json summary(const mil::BagSet& set, const mil::MilReport& r, const std::string& dir) {
  nlohmann::json folds = nlohmann::json::array();
  for (const mil::FoldScore& f : r.folds)
    folds.push_back({{"slides", f.slides}, {"auroc", f.auroc}, {"balanced", f.balanced}});
  return {{"embeddings", dir},
          {"backbone", set.backbone},
          {"auroc", r.auroc_mean},
          {"auroc_std", r.auroc_std},
          {"balanced", r.balanced_mean},
          {"balanced_std", r.balanced_std},
          {"folds", folds}};
}

std::string text(const std::string& what, const mil::BagSet& set, const mil::MilReport& r) {
  std::vector<std::string> per_fold;
  for (const mil::FoldScore& f : r.folds) per_fold.push_back(fmt::format("{:.3f}", f.auroc));
  return fmt::format(
      "  {} ({}): AUROC {:.3f} ± {:.3f}, balanced accuracy {:.3f} ± {:.3f} (fold AUROCs {})\n",
      what, set.backbone, r.auroc_mean, r.auroc_std, r.balanced_mean, r.balanced_std,
      fmt::join(per_fold, ", "));
}

// slides.csv and the attention maps of the evaluated embeddings; returns the heat maps drawn.
int64_t write_outputs(const mil::BagSet& set, const mil::MilReport& r, const SlidesArgs& args) {
  const std::filesystem::path out(args.out);
  std::filesystem::create_directories(out);
  std::ofstream csv(out / "slides.csv");
  csv << "slide,patient,label,fold,predicted";
  for (const std::string& c : set.classes) csv << ",p_" << data::quote_csv_cell(c);
  csv << "\n";
  int64_t maps = 0;
  for (size_t b = 0; b < set.bags.size(); ++b) {
    const mil::SlideBag& bag = set.bags[b];
    const mil::SlidePrediction& p = r.slides[b];
    csv << data::quote_csv_cell(bag.slide) << "," << data::quote_csv_cell(bag.patient) << ","
        << data::quote_csv_cell(set.classes[static_cast<size_t>(bag.label)]) << "," << p.fold << ","
        << data::quote_csv_cell(set.classes[static_cast<size_t>(p.predicted)]);
    for (const double v : p.probabilities) csv << fmt::format(",{:.6f}", v);
    csv << "\n";
    const std::filesystem::path slide = std::filesystem::path(bag.path).is_absolute()
                                            ? std::filesystem::path(bag.path)
                                            : args.bags.manifest.parent_path() / bag.path;
    maps += mil::write_attention_map(bag, p.attention, slide, out / "attention") ? 1 : 0;
  }
  return maps;
}

constexpr const char* kNoBaseline =
    "no random-feature baseline: embed the same slides with random weights (pathodino export "
    "--init ARCH --layerscale-init 0 --seed 0 --out random.safetensors; pathodino embed "
    "--backbone random.safetensors) and pass --baseline-embeddings DIR\n";

void run(SlidesArgs args) {
  // One slide per step through a model this small: more threads only add their overhead.
  torch::set_num_threads(1);
  if (!args.backbone.empty()) args.bags.backbone_sha256 = system::file_sha256(args.backbone);
  args.bags.encryption_key = optional_aes_key(args.encryption_key);
  args.bags.pseudonyms = optional_pseudonyms(args.pseudonymise_key);
  const mil::BagSet set = mil::load_bags(args.bags);
  const mil::MilReport report = mil::cross_validate(set, args.mil);
  nlohmann::json j = summary(set, report, args.bags.embeddings.string());
  std::string lines = text("features", set, report);
  if (!args.baseline.empty()) {
    mil::BagSetOptions baseline = args.bags;
    baseline.embeddings = args.baseline;
    baseline.backbone_sha256.clear();
    const mil::BagSet random_set = mil::load_bags(baseline);
    const mil::MilReport random = mil::cross_validate(random_set, args.mil);
    j["random_baseline"] = summary(random_set, random, args.baseline);
    lines += text("baseline", random_set, random);
  } else {
    // Note [Random-feature yardstick]: the scores mean little without it, and only the user has
    // the slides to embed it from, so the output says how.
    j["random_baseline"] = nullptr;
    lines += kNoBaseline;
  }
  std::vector<int64_t> per_class(set.classes.size(), 0);
  for (const mil::SlideBag& bag : set.bags) ++per_class[static_cast<size_t>(bag.label)];
  std::vector<std::string> counts;
  for (size_t c = 0; c < set.classes.size(); ++c)
    counts.push_back(fmt::format("{} {}", set.classes[c], per_class[c]));
  j["slides"] = set.bags.size();
  j["classes"] = set.classes;
  j["skipped"] = {{"unlabelled", set.unlabelled},
                  {"without_tiles", set.without_tiles},
                  {"without_file", set.without_file}};
  if (!args.out.empty()) j["heat_maps"] = write_outputs(set, report, args);
  if (args.json) {
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << fmt::format(
                   "ABMIL, {}-fold cross-validation by {} ({} slides: {}; skipped: {} unlabelled, "
                   "{} without tiles, {} without a file)\n",
                   args.mil.folds, set.by_patient ? "patient" : "slide (no patient column)",
                   set.bags.size(), fmt::join(counts, ", "), set.unlabelled, set.without_tiles,
                   set.without_file)
            << lines;
  if (!args.out.empty())
    std::cout << fmt::format("slides.csv and {} heat map(s) with their attention CSVs in {}\n",
                             j["heat_maps"].get<int64_t>(), args.out);
}

}  // namespace

void add_eval_slides_command(CLI::App& eval, int& exit_code) {
  auto args = std::make_shared<SlidesArgs>();
  auto* c = eval.add_subcommand("slides",
                                "Slide-level ABMIL on tile embeddings, cross-validated by patient");
  c->add_option("--embeddings", args->bags.embeddings, "folder of `pathodino embed`")->required();
  c->add_option("--slides", args->bags.manifest, "slide manifest CSV (path, label, patient)")
      ->required();
  c->add_option("--baseline-embeddings", args->baseline,
                "the same slides embedded with random features: scored next to them");
  c->add_option("--label-column", args->bags.label_column, "the slide label column");
  c->add_option("--patient-column", args->bags.patient_column,
                "folds keep a patient's slides together (absent: by slide)");
  c->add_option("--folds", args->mil.folds, "cross-validation folds")->check(CLI::Range(2, 100));
  c->add_option("--epochs", args->mil.epochs, "passes over the training slides per fold")
      ->check(CLI::Range(1, 10000));
  c->add_option("--seed", args->mil.seed, "seed of the folds and the models");
  c->add_option("--backbone", args->backbone,
                "the backbone file the embeddings must come from (checked by SHA-256)");
  c->add_option("--out", args->out, "folder for slides.csv and the attention maps");
  add_encryption_key_option(*c, args->encryption_key);
  c->add_option("--pseudonymise-key", args->pseudonymise_key,
                "the key the slides were embedded under (privacy.key_file): files are found, and "
                "slides and patients named, by pseudonym");
  c->add_flag("--json", args->json, "print one JSON object");
  c->callback([args, &exit_code] {
    try {
      run(*args);
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "eval slides: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
