// AES-256-GCM encryption at rest (OpenSSL EVP): checkpoint shards are written through an
// encryptor, embedding files through encrypt(), and both read back through decrypt_file.
//
// Note [Encrypted files]: an encrypted file is
//   "PDGCM001" (8 bytes) | nonce (12 random bytes) | ciphertext | GCM tag (16 bytes)
// and its authenticated data is a string the reader rebuilds from where the file belongs (for a
// checkpoint shard: the step and the shard's name), never stored in the file: an altered file,
// a file moved or swapped into another place and the wrong key all fail the tag, and the error
// names the file. The key is 32 random bytes kept as 64 hex digits in a file only its owner can
// read; configs name the file, logs and manifests name only its fingerprint.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pathodino::system {

// Every refused key or encrypted file; the message names the file at fault.
class EncryptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AesKey {
 public:
  static AesKey generate();
  // 64 hex digits, owner-readable only; throws EncryptionError naming the file.
  static AesKey load(const std::filesystem::path& file);
  // Mode 0600, never over an existing file.
  void save(const std::filesystem::path& file) const;
  std::string fingerprint() const;  // 16 hex digits; reveals nothing of the key
  const std::array<unsigned char, 32>& bytes() const { return bytes_; }
  // The 32 bytes as a string: the secret of keyed hashes (data::Pseudonyms).
  std::string secret() const { return std::string(bytes_.begin(), bytes_.end()); }

 private:
  std::array<unsigned char, 32> bytes_{};
};

// Streams one file's bytes through AES-256-GCM: header() first, then update() over the plaintext
// in order (output as long as input), then tag() last.
class GcmEncryptor {
 public:
  GcmEncryptor(const AesKey& key, std::string_view authenticated_data);
  ~GcmEncryptor();
  GcmEncryptor(const GcmEncryptor&) = delete;
  GcmEncryptor& operator=(const GcmEncryptor&) = delete;

  std::string header() const;  // magic and nonce
  void update(const std::byte* in, std::size_t size, std::byte* out);
  std::string tag();  // after the last update

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  std::array<unsigned char, 12> nonce_{};
};

// The whole encrypted file (header, ciphertext, tag) of `plaintext`, for files small enough to
// hold in memory twice.
std::string encrypt(const AesKey& key, std::string_view authenticated_data,
                    std::string_view plaintext);

// The plaintext of an encrypted file. Throws EncryptionError naming the file when it is not one,
// or when its tag fails: altered, moved from elsewhere, or another key.
std::string decrypt_file(const std::filesystem::path& file, const AesKey& key,
                         std::string_view authenticated_data);

// Whether `file` starts with the encrypted-file magic.
bool is_encrypted_file(const std::filesystem::path& file);

}  // namespace pathodino::system
