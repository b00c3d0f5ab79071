// `pathodino index --slides DIR|GLOB|MANIFEST.csv --out F.pdidx [--target-mpp M ...]
// [--tile-size N] [--tissue-threshold T] [--fallback-mpp M] [--threads N] [--qa DIR | --no-qa]`:
// the tile index of a slide collection, with a per-slide summary (F.pdidx.summary.csv with the
// manifest's group columns, and on stdout with tiles per group) and a QA picture per slide
// (F.pdidx.qa/). Slides that cannot be used are skipped with their reason; exit 1 only when no
// slide gave a tile. `--pseudonymise-key K`: every line, QA picture name and summary names slides
// and patients by pseudonym (Note [Pseudonyms]); the index itself keeps the paths.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "data/csv_line.h"
#include "data/index/build_index.h"
#include "data/index/leakage_guard.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/key_files.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/system/aes_gcm.h"

namespace pathodino::cli {
namespace {

struct IndexArgs {
  std::string slides, out, qa_dir;
  std::vector<std::string> exclude;
  std::string patient_column = "patient";
  bool no_qa = false;
  std::string pseudonymise_key;
  std::optional<data::Pseudonyms> pseudonyms;
  data::IndexBuildOptions options;
};

// A group value as the summary shows it: the patient column by pseudonym when slides go by one.
std::string shown_value(const IndexArgs& args, const std::string& column,
                        const std::string& value) {
  return args.pseudonyms && column == args.patient_column && !value.empty()
             ? args.pseudonyms->patient(value)
             : value;
}

// Every rank's bytes, on rank 0 (empty elsewhere): sizes first, then one MPI_Gatherv. Not
// distributed::all_gather_text: an archive's index parts can be gigabytes, and only rank 0 writes
// the index, so no other rank holds them all.
std::vector<std::string> gather_to_rank0(MPI_Comm comm, int rank, int world,
                                         const std::string& mine) {
  const int size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<size_t>(world)), offsets(static_cast<size_t>(world));
  MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    for (int r = 1; r < world; ++r) offsets[r] = offsets[r - 1] + sizes[r - 1];
    all.resize(static_cast<size_t>(offsets.back() + sizes.back()));
  }
  MPI_Gatherv(mine.data(), size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0,
              comm);
  std::vector<std::string> parts;
  if (rank == 0)
    for (int r = 0; r < world; ++r) parts.push_back(all.substr(offsets[r], sizes[r]));
  return parts;
}

using TilesPerGroup = std::map<std::string, std::map<std::string, int64_t>>;

// The per-slide summary: F.summary.csv (a row per slide with its group columns) and a line per
// slide on stdout; returns the tiles per value of each group column.
TilesPerGroup write_summary(const std::vector<data::SlideEntry>& slides,
                            const data::IndexBuildReport& report, const IndexArgs& args) {
  const std::string& out = args.out;
  std::set<std::string> columns;
  for (const auto& entry : slides)
    for (const auto& [column, value] : entry.groups) columns.insert(column);
  TilesPerGroup tiles_per_group;
  std::ofstream summary(out + ".summary.csv");
  summary << "path,status,tiles,mpp,mpp_source,tissue_share,qa_picture,reason";
  for (const auto& column : columns) summary << "," << data::quote_csv_cell("group." + column);
  summary << "\n";
  for (size_t i = 0; i < report.slides.size(); ++i) {
    const auto& s = report.slides[i];
    summary << data::quote_csv_cell(s.name) << "," << (s.ok ? "ok" : "skipped") << "," << s.tiles
            << "," << s.mpp << "," << s.mpp_source << "," << s.tissue_share << ","
            << data::quote_csv_cell(s.qa_picture) << "," << data::quote_csv_cell(s.reason);
    for (const auto& column : columns) {
      const auto it = slides[i].groups.find(column);
      const std::string value =
          shown_value(args, column, it == slides[i].groups.end() ? "" : it->second);
      summary << "," << data::quote_csv_cell(value);
      tiles_per_group[column][value] += s.tiles;
    }
    summary << "\n";
    // A skipped slide's reason starts with its path (or pseudonym).
    std::printf("%-8s %8lld tiles  %s%s%s\n", s.ok ? "ok" : "skipped",
                static_cast<long long>(s.tiles), s.ok ? s.name.c_str() : "",
                s.ok && !s.reason.empty() ? ": " : "", s.reason.c_str());
  }
  return tiles_per_group;
}

// Under mpirun every rank indexes every world-th slide; rank 0 gathers and writes. The exit code.
int run_index(IndexArgs& args, bool threads_given, const distributed::MpiRuntime& mpi) {
  const int rank = mpi.rank(), world = mpi.world_size();
  const auto slides = data::list_slides(args.slides);
  args.pseudonyms = optional_pseudonyms(args.pseudonymise_key);
  if (args.pseudonyms) args.options.pseudonyms = &*args.pseudonyms;
  if (!args.exclude.empty()) {  // every rank refuses alike, before any slide is indexed
    const auto leaks = data::find_leaks(data::identify(slides),
                                        data::read_excluded(args.exclude, args.patient_column),
                                        args.patient_column, args.options.pseudonyms);
    if (!leaks.empty()) throw std::runtime_error(data::leak_report(leaks, args.slides));
  }
  if (!args.no_qa) args.options.qa_dir = args.qa_dir.empty() ? args.out + ".qa" : args.qa_dir;
  if (!threads_given)
    args.options.threads = std::max<int64_t>(1, args.options.threads / mpi.local_size());
  const auto start = std::chrono::steady_clock::now();
  data::SlideIndexResults mine = data::index_slides(slides, args.options, rank, world);
  std::vector<data::SlideIndexResults> parts;
  if (world == 1) {
    parts.push_back(std::move(mine));
  } else {
    for (const std::string& bytes : gather_to_rank0(mpi.world(), rank, world, data::to_bytes(mine)))
      parts.push_back(data::from_bytes(bytes));
  }
  if (rank != 0) return 0;
  const data::IndexBuildReport report = data::write_index(std::move(parts), args.out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const TilesPerGroup tiles_per_group = write_summary(slides, report, args);
  std::printf(
      "%lld slide(s): %lld indexed, %lld skipped; %lld tiles -> %s (%.1f s, %d rank(s) x %lld "
      "thread(s))\n",
      static_cast<long long>(report.slides.size()),
      static_cast<long long>(report.slides.size() - report.skipped()),
      static_cast<long long>(report.skipped()), static_cast<long long>(report.tiles),
      args.out.c_str(), seconds, world, static_cast<long long>(args.options.threads));
  for (const auto& [column, counts] : tiles_per_group) {
    std::printf("tiles per %s:", column.c_str());
    for (const auto& [value, n] : counts)
      std::printf(" %s %lld", value.empty() ? "(none)" : value.c_str(), static_cast<long long>(n));
    std::printf("\n");
  }
  if (!args.options.qa_dir.empty())
    std::printf("QA pictures (tissue mask and kept tiles over each slide): %s/\n",
                args.options.qa_dir.c_str());
  return report.tiles > 0 ? 0 : 1;
}

}  // namespace

void add_index_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<IndexArgs>();
  args->options.threads = std::max(1u, std::thread::hardware_concurrency());
  auto* command = app.add_subcommand("index", "Index the tissue tiles of whole-slide images");
  command->add_option("--slides", args->slides, "folder, glob or CSV manifest (column `path`)")
      ->required();
  command->add_option("--out", args->out, "index file to write")->required();
  command->add_option("--target-mpp", args->options.target_mpp, "µm/px of the tiles (repeatable)")
      ->check(CLI::PositiveNumber);
  command->add_option("--tile-size", args->options.tile_size, "tile side at the target µm/px")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--tissue-threshold", args->options.tissue_threshold,
                   "minimum tissue share of a kept tile")
      ->check(CLI::Range(0.0, 1.0));
  command
      ->add_option("--fallback-mpp", args->options.fallback_mpp,
                   "µm/px for slides that carry none; 0 = skip them")
      ->check(CLI::NonNegativeNumber);
  auto* threads =
      command->add_option("--threads", args->options.threads, "slides indexed in parallel per rank")
          ->check(CLI::PositiveNumber);
  command->add_option("--qa", args->qa_dir, "folder for the QA pictures (default: OUT.qa)");
  command->add_flag("--no-qa", args->no_qa, "write no QA pictures");
  command->add_option("--exclude", args->exclude,
                      "evaluation manifest whose slides (by content) and patients must not be "
                      "indexed for training (repeatable)");
  command->add_option("--patient-column", args->patient_column,
                      "the manifests' column naming the patient (default: patient)");
  command->add_option("--pseudonymise-key", args->pseudonymise_key,
                      "secret key file (keys generate-aes): name slides and patients by keyed "
                      "pseudonym in every line, QA picture and summary");
  command->callback([args, threads, &exit_code] {
    const distributed::MpiRuntime mpi(nullptr, nullptr);
    try {
      exit_code = run_index(*args, threads->count() > 0, mpi);
    } catch (const std::exception& e) {
      const int world = mpi.world_size();
      std::cerr << "index: " << (world > 1 ? "rank " + std::to_string(mpi.rank()) + ": " : "")
                << e.what() << "\n";
      if (world > 1) MPI_Abort(mpi.world(), 1);  // the others wait in the gather
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
