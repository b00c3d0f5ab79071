// The key files commands take: `--encryption-key FILE` of the commands that write or read
// embedding files (embed, curate, eval slides; Note [Encrypted feature files]), and the secret of
// the pseudonyms (Note [Pseudonyms]): `privacy.key_file` or a `--pseudonymise-key` option.
#pragma once

#include <optional>
#include <string>

#include "data/index/pseudonyms.h"
#include "trainer/system/aes_gcm.h"

namespace CLI {
class App;
}

namespace pathodino::cli {

// `writes`: the command writes the files encrypted, rather than reads encrypted ones.
void add_encryption_key_option(CLI::App& command, std::string& file, bool writes = false);

// The key in `file`, none when it is empty; throws system::EncryptionError naming the file.
std::optional<system::AesKey> optional_aes_key(const std::string& file);

// The pseudonyms under the key in `file`, none when it is empty; throws system::EncryptionError
// naming the file.
std::optional<data::Pseudonyms> optional_pseudonyms(const std::string& file);
// The pseudonyms a config asks for: with privacy.pseudonymise, under privacy.key_file.
std::optional<data::Pseudonyms> pseudonyms_of(const data::PrivacyOptions& privacy);

}  // namespace pathodino::cli
