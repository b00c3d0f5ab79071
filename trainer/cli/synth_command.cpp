// `pathodino synth --out DIR [--slides N] [--seed S] [--width W --height H] [--mpp M]
// [--classes N | --class-proportions 70,20,5,5] [--tumour-slides F] [--patients]
// [--no-pyramid] [--labelled-tiles N] [--threads N]`: synthetic
// whole-slide images for tests and the demo — pyramidal tiled JPEG TIFFs, alternating Aperio
// flavour (slide_000.svs, …) and generic TIFF (slide_001.tiff, …), with a manifest.csv (group
// columns `site` — every third slide at site_b — and `scanner`; with --tumour-slides also the
// slide label `label`, tumour or normal; with it or --patients, `patient`, two slides each),
// regions.csv (every tissue
// region's level-0 square and class: the ground truth a tile's class is read from), and a
// labelled tile set from further slides for kNN evaluation (DIR/labelled/{train,val}/<class>/).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "data/synthetic/labelled_tiles.h"
#include "data/synthetic/synthetic_slide.h"
#include "data/synthetic/tissue_renderer.h"
#include "trainer/cli/commands.h"

namespace pathodino::cli {
namespace {

struct SynthArgs {
  std::string out;
  int64_t slides = 4;
  uint64_t seed = 0;
  data::SyntheticSlideOptions slide;
  data::LabelledTileOptions labelled{.tiles_per_class = 0};
  int64_t threads = 0;
  double tumour_slides = -1;  // share of slides that may hold tumour; < 0: every slide may
  bool patients = false;      // a patient column without the slide label
};

// The tumour class's index; throws when the slides have no tumour class.
int64_t tumour_class(int64_t num_classes) {
  for (int64_t c = 0; c < num_classes; ++c)
    if (data::tissue_class_name(c) == "tumour") return c;
  throw std::runtime_error(
      "--tumour-slides: the slides have no tumour class (needs --classes 3 "
      "or more)");
}

// With --tumour-slides F, slide i may hold tumour when floor((i + 1) F) > floor(i F): the share F
// spread evenly over the slides. The others are drawn without the tumour class.
bool may_hold_tumour(const SynthArgs& args, int64_t i) {
  const double f = args.tumour_slides;
  return f < 0 ||
         std::floor(static_cast<double>(i + 1) * f) > std::floor(static_cast<double>(i) * f);
}

data::SyntheticSlideOptions slide_options(const SynthArgs& args, int64_t i) {
  data::SyntheticSlideOptions o = args.slide;
  o.seed = args.seed + static_cast<uint64_t>(i);
  o.flavour = i % 2 == 0 ? data::SlideFlavour::aperio : data::SlideFlavour::generic;
  if (!may_hold_tumour(args, i)) {
    if (o.class_weights.empty()) o.class_weights.assign(static_cast<size_t>(o.num_classes), 1.0);
    o.class_weights[static_cast<size_t>(tumour_class(o.num_classes))] = 0;
  }
  return o;
}

// The slide's label as drawn: tumour when a region of it is tumour.
std::string slide_label(const data::SyntheticSlideOptions& o) {
  const std::vector<int64_t> layout = data::slide_layout(o);
  return std::count(layout.begin(), layout.end(), tumour_class(o.num_classes)) > 0 ? "tumour"
                                                                                   : "normal";
}

std::string slide_name(int64_t i, const data::SyntheticSlideOptions& o) {
  char name[64];
  std::snprintf(name, sizeof(name), "slide_%03lld.%s", static_cast<long long>(i),
                o.flavour == data::SlideFlavour::aperio ? "svs" : "tiff");
  return name;
}

// regions.csv: slide, x, y, size (level-0 pixels), class name, for every tissue region.
void write_regions(const SynthArgs& args, const std::filesystem::path& dir) {
  std::ofstream regions(dir / "regions.csv");
  regions << "slide,x,y,size,class\n";
  for (int64_t i = 0; i < args.slides; ++i) {
    const auto o = slide_options(args, i);
    const std::vector<int64_t> layout = data::slide_layout(o);
    const int64_t cols = (o.width + o.region_size - 1) / o.region_size;
    for (size_t r = 0; r < layout.size(); ++r)
      if (layout[r] >= 0)
        regions << slide_name(i, o) << "," << static_cast<int64_t>(r) % cols * o.region_size << ","
                << static_cast<int64_t>(r) / cols * o.region_size << "," << o.region_size << ","
                << data::tissue_class_name(layout[r]) << "\n";
  }
}

// Every slide and each split of the labelled set are independent renders: workers take them in
// turn, the labelled splits (the longest jobs) first. The first failure is rethrown once all
// have stopped.
// manifest.csv: each slide's file, site and scanner (and label and patient when asked for).
void write_manifest(const SynthArgs& args, const std::filesystem::path& dir) {
  std::ofstream manifest(dir / "manifest.csv");
  const bool labels = args.tumour_slides >= 0, patients = labels || args.patients;
  manifest << "path,site,scanner" << (labels ? ",label" : "") << (patients ? ",patient" : "")
           << "\n";
  for (int64_t i = 0; i < args.slides; ++i) {
    const auto o = slide_options(args, i);
    const bool aperio = o.flavour == data::SlideFlavour::aperio;
    manifest << slide_name(i, o) << ",site_"
             << "ab"[i % 3 == 2] << "," << (aperio ? "aperio" : "generic");
    if (labels) manifest << "," << slide_label(o);
    if (patients) {
      char patient[32];
      std::snprintf(patient, sizeof(patient), "patient_%03lld", static_cast<long long>(i / 2));
      manifest << "," << patient;
    }
    manifest << "\n";
    std::cout << (dir / slide_name(i, o)).string() << ": " << o.width << " x " << o.height
              << " px, " << o.mpp << " µm/px\n";
  }
}

void run_synth(const SynthArgs& args) {
  const std::filesystem::path dir(args.out);
  std::filesystem::create_directories(dir);
  const int64_t splits = args.labelled.tiles_per_class > 0 ? 2 : 0;
  const int64_t jobs = splits + args.slides;
  std::atomic<int64_t> next{0}, labelled_written{0};
  std::vector<std::exception_ptr> errors(static_cast<size_t>(jobs));
  const auto work = [&] {
    for (int64_t job = next++; job < jobs; job = next++) try {
        if (job < splits) {
          data::SyntheticSlideOptions o = args.slide;
          o.seed = args.seed;
          labelled_written +=
              data::write_labelled_split(o, args.labelled, dir / "labelled", static_cast<int>(job));
        } else {
          const auto o = slide_options(args, job - splits);
          data::write_synthetic_slide(o, dir / slide_name(job - splits, o));
        }
      } catch (...) {
        errors[static_cast<size_t>(job)] = std::current_exception();
      }
  };
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (int64_t t = 0; t < std::min(jobs, args.threads > 0 ? args.threads : cores); ++t)
    workers.emplace_back(work);
  for (auto& w : workers) w.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  write_manifest(args, dir);
  write_regions(args, dir);
  if (splits > 0)
    std::cout << (dir / "labelled").string() << ": " << labelled_written.load()
              << " labelled tiles (" << args.labelled.tiles_per_class
              << " per class in train/ and in val/)\n";
}

}  // namespace

void add_synth_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SynthArgs>();
  auto* command = app.add_subcommand(
      "synth", "Write synthetic H&E whole-slide images (pyramidal JPEG TIFF, Aperio and generic)");
  command->add_option("--out", args->out, "output folder")->required();
  command->add_option("--slides", args->slides, "number of slides")->check(CLI::PositiveNumber);
  command->add_option("--seed", args->seed, "seed of the first slide; slide i uses seed + i");
  command->add_option("--width", args->slide.width, "level-0 width, px")
      ->check(CLI::Range(256, 1 << 20));
  command->add_option("--height", args->slide.height, "level-0 height, px")
      ->check(CLI::Range(256, 1 << 20));
  command->add_option("--mpp", args->slide.mpp, "µm per pixel at level 0")
      ->check(CLI::PositiveNumber);
  auto* classes = command->add_option("--classes", args->slide.num_classes, "tissue classes")
                      ->check(CLI::Range(1, 64));
  command
      ->add_option("--class-proportions", args->slide.class_weights,
                   "relative share of each class among tissue regions, e.g. 70,20,5,5 (sets "
                   "--classes)")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1e9))
      ->excludes(classes);
  args->slide.stain_variation = 1.0;
  command
      ->add_option("--stain-variation", args->slide.stain_variation,
                   "per-region staining differences, 0 = none, 1 = full range")
      ->check(CLI::Range(0.0, 2.0));
  command
      ->add_option("--labelled-tiles", args->labelled.tiles_per_class,
                   "labelled tiles per class and split for kNN (DIR/labelled); 0 = none")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--tile-size", args->labelled.tile_size, "side of the labelled tiles, px")
      ->check(CLI::Range(16, 512));
  command
      ->add_option("--tumour-slides", args->tumour_slides,
                   "share of slides that may hold tumour regions (the others have none); adds "
                   "the slide label (tumour: a tumour region was drawn) and a patient column")
      ->check(CLI::Range(0.0, 1.0));
  command->add_flag("--patients", args->patients,
                    "add a patient column (two slides per patient) without the slide label");
  command->add_flag("!--no-pyramid", args->slide.pyramid,
                    "level 0 only, as some scanners' exports (coarser tiles are read from it)");
  command->add_option("--threads", args->threads, "slides written at once; 0 = all cores")
      ->check(CLI::NonNegativeNumber);
  command->callback([args, &exit_code] {
    try {
      if (!args->slide.class_weights.empty()) {
        args->slide.num_classes = static_cast<int64_t>(args->slide.class_weights.size());
        data::slide_layout(args->slide);  // refuses bad proportions before any slide is written
      }
      if (args->tumour_slides >= 0) tumour_class(args->slide.num_classes);
      run_synth(*args);
      exit_code = 0;
    } catch (const std::exception& e) {
      std::cerr << "synth: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
