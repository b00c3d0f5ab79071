// `--encryption-key FILE` of the commands that write or read embedding files (embed, curate,
// eval slides): the AES-256 key file of Note [Encrypted feature files].
#pragma once

#include <optional>
#include <string>

#include "trainer/system/aes_gcm.h"

namespace CLI {
class App;
}

namespace pathodino::cli {

// `writes`: the command writes the files encrypted, rather than reads encrypted ones.
void add_encryption_key_option(CLI::App& command, std::string& file, bool writes = false);

// The key in `file`, none when it is empty; throws system::EncryptionError naming the file.
std::optional<system::AesKey> optional_aes_key(const std::string& file);

}  // namespace pathodino::cli
