#include "trainer/cli/key_files.h"

#include <CLI/CLI.hpp>

namespace pathodino::cli {

void add_encryption_key_option(CLI::App& command, std::string& file, bool writes) {
  command.add_option("--encryption-key", file,
                     writes ? "AES-256 key file (pathodino keys generate-aes): the feature files "
                              "are written encrypted with it"
                            : "AES-256 key file the feature files are encrypted with; with it, "
                              "a plain file is refused");
}

std::optional<system::AesKey> optional_aes_key(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return system::AesKey::load(file);
}

std::optional<data::Pseudonyms> optional_pseudonyms(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return data::Pseudonyms(system::AesKey::load(file).secret());
}

std::optional<data::Pseudonyms> pseudonyms_of(const data::PrivacyOptions& privacy) {
  return privacy.pseudonymise ? optional_pseudonyms(privacy.key_file) : std::nullopt;
}

}  // namespace pathodino::cli
