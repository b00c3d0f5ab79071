// SHA-256 (OpenSSL EVP) as lowercase hex: of bytes, and of a file read in 1 MiB blocks. What the
// embeddings name their backbone by and what the audit log chains its records with.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pathodino::system {

std::string sha256_hex(std::string_view bytes);

// Throws std::runtime_error naming the file when it cannot be read.
std::string file_sha256(const std::filesystem::path& file);

}  // namespace pathodino::system
