#include "trainer/system/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "trainer/system/durable_file.h"
#include "trainer/system/key_file.h"
#include "trainer/system/sha256.h"

namespace pathodino::system {
namespace {

constexpr size_t kSignatureBytes = 64;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string read_all(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SignatureError(file.string() + ": cannot read the " + what);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::shared_ptr<evp_pkey_st> own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

std::shared_ptr<evp_pkey_st> read_pem(const std::filesystem::path& pem, bool private_key) {
  const std::string text = read_all(pem, private_key ? "private key" : "public key");
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  EVP_PKEY* key = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                              : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr)
    throw SignatureError(pem.string() + ": not a PEM " +
                         (private_key ? "private key" : "public key"));
  auto owned = own(key);
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
    throw SignatureError(pem.string() + ": not an Ed25519 key");
  return owned;
}

std::string pem_text(EVP_PKEY* key, bool private_key) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  const int ok =
      private_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key);
  if (ok != 1) throw SignatureError("OpenSSL: cannot encode an Ed25519 key as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

Ed25519Key Ed25519Key::generate() {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &key) != 1)
    throw SignatureError("OpenSSL: cannot generate an Ed25519 key");
  return Ed25519Key(own(key), true);
}

Ed25519Key Ed25519Key::load_private(const std::filesystem::path& pem) {
  if (auto problem = private_file_problem(pem)) throw SignatureError(*problem);
  return Ed25519Key(read_pem(pem, true), true);
}

Ed25519Key Ed25519Key::load_public(const std::filesystem::path& pem) {
  return Ed25519Key(read_pem(pem, false), false);
}

void Ed25519Key::save(const std::filesystem::path& private_pem,
                      const std::filesystem::path& public_pem) const {
  if (!private_) throw SignatureError(private_pem.string() + ": no private key to save");
  for (const auto& [file, text, mode] :
       {std::tuple{private_pem, pem_text(key_.get(), true), 0600u},
        std::tuple{public_pem, pem_text(key_.get(), false), 0644u}})
    if (auto problem = write_new_file(file, text, mode)) throw SignatureError(*problem);
}

std::string Ed25519Key::sign(std::string_view message) const {
  if (!private_) throw SignatureError("a public key cannot sign");
  DigestContext ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string signature(kSignatureBytes, '\0');
  size_t length = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    throw SignatureError("OpenSSL: Ed25519 signing failed");
  signature.resize(length);
  return signature;
}

bool Ed25519Key::verify(std::string_view message, std::string_view signature) const {
  DigestContext ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    throw SignatureError("OpenSSL: cannot start an Ed25519 verification");
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string Ed25519Key::fingerprint() const {
  unsigned char raw[32];
  size_t length = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &length) != 1)
    throw SignatureError("OpenSSL: cannot read an Ed25519 public key");
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(raw), length)).substr(0, 16);
}

std::filesystem::path signature_path(const std::filesystem::path& file) {
  return std::filesystem::path(file.string() + ".sig");
}

void sign_file(const std::filesystem::path& file, const Ed25519Key& key, bool sync_parent) {
  const std::string line = "ed25519 " + key.fingerprint() + " " +
                           to_hex(key.sign(read_all(file, "file to sign"))) + "\n";
  write_file_durably(signature_path(file), line, sync_parent);
}

void verify_file_signature(const std::filesystem::path& file, const Ed25519Key& key) {
  const std::filesystem::path sig = signature_path(file);
  if (!std::filesystem::exists(sig))
    throw SignatureError(sig.string() + ": missing (" + file.filename().string() +
                         " is not signed)");
  std::istringstream line(read_all(sig, "signature"));
  std::string algorithm, fingerprint, hex, extra;
  line >> algorithm >> fingerprint >> hex;
  const std::string signature = from_hex(hex);
  if (algorithm != "ed25519" || signature.size() != kSignatureBytes || (line >> extra))
    throw SignatureError(sig.string() + ": not an Ed25519 signature line");
  if (fingerprint != key.fingerprint())
    throw SignatureError(sig.string() + ": signed by key " + fingerprint + ", not by key " +
                         key.fingerprint() + " (the wrong key, or an altered signature)");
  if (!key.verify(read_all(file, "signed file"), signature))
    throw SignatureError(file.string() + " does not match its signature " + sig.string() +
                         ": the file or the signature was altered");
}

}  // namespace pathodino::system
