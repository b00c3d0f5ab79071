// Ed25519 signatures (OpenSSL EVP): the keys that sign checkpoint manifests and exported files,
// and detached signature files next to what they sign.
//
// Note [Signed files]: a signature is detached, `<file>.sig`, one line
//   ed25519 <key fingerprint> <signature, 128 hex digits>
// over the file's exact bytes. The fingerprint (the first 16 hex digits of the SHA-256 of the raw
// public key) says which key signed without revealing anything secret, so a check against the
// wrong key is reported as such rather than as a damaged file. Keys are PEM files and never
// appear in configs or logs: the config names the file, logs name the fingerprint. A private key
// readable by group or others is refused, as ssh does.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace pathodino::system {

// Every refused key or signature; the message names the file at fault.
class SignatureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Ed25519Key {
 public:
  static Ed25519Key generate();
  // A PEM private key (PKCS#8), owner-readable only.
  static Ed25519Key load_private(const std::filesystem::path& pem);
  // A PEM public key (SubjectPublicKeyInfo).
  static Ed25519Key load_public(const std::filesystem::path& pem);

  // Writes the private key (mode 0600) and the public key; refuses to overwrite either.
  void save(const std::filesystem::path& private_pem,
            const std::filesystem::path& public_pem) const;

  bool can_sign() const { return private_; }
  std::string sign(std::string_view message) const;  // 64 bytes
  bool verify(std::string_view message, std::string_view signature) const;
  std::string fingerprint() const;

 private:
  Ed25519Key(std::shared_ptr<evp_pkey_st> key, bool has_private)
      : key_(std::move(key)), private_(has_private) {}
  std::shared_ptr<evp_pkey_st> key_;
  bool private_ = false;
};

// `<file>.sig`: Note [Signed files].
std::filesystem::path signature_path(const std::filesystem::path& file);

// Signs the file's bytes and writes `<file>.sig` durably; `sync_parent` as write_file_durably.
void sign_file(const std::filesystem::path& file, const Ed25519Key& key, bool sync_parent = true);

// Throws SignatureError naming the signature file when it is missing or malformed, was made by
// another key, or does not match the file's bytes.
void verify_file_signature(const std::filesystem::path& file, const Ed25519Key& key);

}  // namespace pathodino::system
