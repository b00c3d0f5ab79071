// `pathodino index-dicom --source DIR|F.csv --out F.pdcm [--pseudonymise-key KEY]`: every 2-D
// grayscale image of a DICOM folder or manifest, its metadata read once from the headers, into a
// DICOM index (data/dicom/dicom_index.h) that `data.source: dicom` trains on and an evaluation
// reads as a labelled set; every other object skipped with its reason, counted by reason. Patient
// and study IDs are kept only as keyed pseudonyms, with the key. Exit 1 when nothing is indexed.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <optional>

#include "data/dicom/dicom_index.h"
#include "trainer/cli/commands.h"
#include "trainer/cli/key_files.h"

namespace pathodino::cli {
namespace {

struct IndexDicomArgs {
  std::string source, out, pseudonymise_key;
};

int run_index_dicom(const IndexDicomArgs& args) {
  const auto pseudonyms = optional_pseudonyms(args.pseudonymise_key);
  const data::DicomIndex index =
      data::build_dicom_index(args.source, pseudonyms ? &*pseudonyms : nullptr);
  std::map<std::string, int64_t> by_reason, by_split;
  for (const data::DicomSkip& s : index.skipped) {
    std::cout << "skipped " << s.path << ": " << s.reason << "\n";
    std::string kind = s.reason.substr(0, s.reason.find_first_of("(:"));
    while (!kind.empty() && kind.back() == ' ') kind.pop_back();
    ++by_reason[kind];
  }
  for (const data::DicomEntry& e : index.entries) ++by_split[e.split];
  if (index.entries.empty()) {
    std::cerr << "index-dicom: " << args.source << ": no 2-D grayscale DICOM image to index\n";
    return 1;
  }
  data::write_dicom_index(index, args.out);
  std::cout << fmt::format("{} image(s) ({} train, {} val), {} class(es); {} skipped",
                           index.entries.size(), by_split["train"], by_split["val"],
                           index.classes.size(), index.skipped.size());
  for (const auto& [reason, count] : by_reason) std::cout << fmt::format("; {} {}", count, reason);
  std::cout << " -> " << args.out << "\n";
  return 0;
}

}  // namespace

void add_index_dicom_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<IndexDicomArgs>();
  auto* command = app.add_subcommand(
      "index-dicom", "Index the 2-D grayscale images of a DICOM folder or manifest (headers only)");
  command
      ->add_option("--source", args->source,
                   "folder (train/<class>/, val/<class>/, <class>/ or flat) or CSV (column `path`)")
      ->required();
  command->add_option("--out", args->out, "DICOM index to write (.pdcm)")->required();
  command->add_option("--pseudonymise-key", args->pseudonymise_key,
                      "secret key file (keys generate-aes): keep patient and study IDs as keyed "
                      "pseudonyms; without it they are not kept");
  command->callback([args, &exit_code] {
    try {
      exit_code = run_index_dicom(*args);
    } catch (const std::exception& e) {
      std::cerr << "index-dicom: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
