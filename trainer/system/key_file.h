// What the key files of signing and encryption share: created owner-only and never over an
// existing file, refused when group or others can read them, hex text.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pathodino::system {

// Creates `path` with `mode` (O_EXCL) and fsyncs it; nullopt on success, else why not (naming
// the path; "never overwritten" when it exists).
std::optional<std::string> write_new_file(const std::filesystem::path& path, std::string_view bytes,
                                          unsigned mode);

// Why a private key file must not be used (missing, or readable by group or others), naming it;
// nullopt when it is owner-only.
std::optional<std::string> private_file_problem(const std::filesystem::path& path);

std::string to_hex(std::string_view bytes);
// Empty when `hex` is not an even run of lowercase hex digits.
std::string from_hex(std::string_view hex);

}  // namespace pathodino::system
