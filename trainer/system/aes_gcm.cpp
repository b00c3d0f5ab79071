#include "trainer/system/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "trainer/system/key_file.h"
#include "trainer/system/sha256.h"

namespace pathodino::system {
namespace {

constexpr char kMagic[] = "PDGCM001";  // Note [Encrypted files]
constexpr size_t kMagicBytes = 8, kNonceBytes = 12, kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// A GCM context for `key` and `nonce` with the authenticated data fed in; `encrypt` or decrypt.
CipherContext start(const AesKey& key, const unsigned char* nonce, std::string_view aad,
                    bool encrypt) {
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int ignored = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(aad.data());
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &ignored, data, static_cast<int>(aad.size())) != 1)
    throw EncryptionError("OpenSSL: cannot start AES-256-GCM");
  return ctx;
}

// Runs the cipher over `size` bytes in pieces an int can count.
void cipher(EVP_CIPHER_CTX* ctx, const unsigned char* in, size_t size, unsigned char* out) {
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t done = 0; done < size; done += kPiece) {
    int written = 0;
    const int piece = static_cast<int>(std::min(kPiece, size - done));
    if (EVP_CipherUpdate(ctx, out + done, &written, in + done, piece) != 1 || written != piece)
      throw EncryptionError("OpenSSL: AES-256-GCM failed");
  }
}

}  // namespace

struct GcmEncryptor::Context {
  CipherContext cipher{nullptr, EVP_CIPHER_CTX_free};
};

AesKey AesKey::generate() {
  AesKey key;
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(key.bytes_.size())) != 1)
    throw EncryptionError("OpenSSL: no random bytes for a key");
  return key;
}

AesKey AesKey::load(const std::filesystem::path& file) {
  if (auto problem = private_file_problem(file)) throw EncryptionError(*problem);
  std::ifstream in(file);
  std::string hex;
  in >> hex;
  const std::string raw = from_hex(hex);
  if (raw.size() != 32)
    throw EncryptionError(file.string() + ": not an AES-256 key (64 lowercase hex digits)");
  AesKey key;
  std::memcpy(key.bytes_.data(), raw.data(), raw.size());
  return key;
}

void AesKey::save(const std::filesystem::path& file) const {
  const std::string hex =
      to_hex(std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()));
  if (auto problem = write_new_file(file, hex + "\n", 0600)) throw EncryptionError(*problem);
}

std::string AesKey::fingerprint() const {
  // Of a label and the key, so the fingerprint is no plain hash of the key itself.
  const std::string labelled =
      "pathodino aes-256-gcm key " +
      std::string(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  return sha256_hex(labelled).substr(0, 16);
}

GcmEncryptor::GcmEncryptor(const AesKey& key, std::string_view authenticated_data)
    : context_(std::make_unique<Context>()) {
  if (RAND_bytes(nonce_.data(), static_cast<int>(nonce_.size())) != 1)
    throw EncryptionError("OpenSSL: no random bytes for a nonce");
  context_->cipher = start(key, nonce_.data(), authenticated_data, true);
}

GcmEncryptor::~GcmEncryptor() = default;

std::string GcmEncryptor::header() const {
  return std::string(kMagic, kMagicBytes) +
         std::string(reinterpret_cast<const char*>(nonce_.data()), nonce_.size());
}

void GcmEncryptor::update(const std::byte* in, std::size_t size, std::byte* out) {
  cipher(context_->cipher.get(), reinterpret_cast<const unsigned char*>(in), size,
         reinterpret_cast<unsigned char*>(out));
}

std::string GcmEncryptor::tag() {
  int ignored = 0;
  unsigned char tag[kTagBytes];
  EVP_CIPHER_CTX* ctx = context_->cipher.get();
  if (EVP_CipherFinal_ex(ctx, nullptr, &ignored) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1)
    throw EncryptionError("OpenSSL: cannot finish AES-256-GCM");
  return std::string(reinterpret_cast<const char*>(tag), kTagBytes);
}

bool is_encrypted_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[kMagicBytes] = {};
  return in.read(magic, kMagicBytes) && std::memcmp(magic, kMagic, kMagicBytes) == 0;
}

std::string encrypt(const AesKey& key, std::string_view authenticated_data,
                    std::string_view plaintext) {
  GcmEncryptor encryptor(key, authenticated_data);
  std::string out = encryptor.header();
  const size_t start = out.size();
  out.resize(start + plaintext.size());
  encryptor.update(reinterpret_cast<const std::byte*>(plaintext.data()), plaintext.size(),
                   reinterpret_cast<std::byte*>(out.data() + start));
  out += encryptor.tag();
  return out;
}

std::string decrypt_file(const std::filesystem::path& file, const AesKey& key,
                         std::string_view authenticated_data) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw EncryptionError(file.string() + ": cannot read the encrypted file");
  std::ostringstream whole;
  whole << in.rdbuf();
  std::string bytes = std::move(whole).str();
  if (bytes.size() < kMagicBytes + kNonceBytes + kTagBytes ||
      bytes.compare(0, kMagicBytes, kMagic, kMagicBytes) != 0)
    throw EncryptionError(file.string() + ": not an encrypted file (no PDGCM001 header)");
  auto* data = reinterpret_cast<unsigned char*>(bytes.data());
  const size_t body = bytes.size() - kMagicBytes - kNonceBytes - kTagBytes;
  CipherContext ctx = start(key, data + kMagicBytes, authenticated_data, false);
  unsigned char* text = data + kMagicBytes + kNonceBytes;
  cipher(ctx.get(), text, body, text);  // in place
  int ignored = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, text + body) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), nullptr, &ignored) != 1)
    throw EncryptionError(file.string() +
                          ": fails its authentication tag (altered, moved or swapped from "
                          "elsewhere, or encrypted with another key)");
  bytes.erase(bytes.size() - kTagBytes);
  bytes.erase(0, kMagicBytes + kNonceBytes);
  return bytes;
}

}  // namespace pathodino::system
