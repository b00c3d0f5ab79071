#include "data/index/pseudonyms.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <filesystem>
#include <stdexcept>

#include "data/index/tile_index.h"

namespace pathodino::data {
namespace {

// 12 hex digits of HMAC-SHA256(key, message).
std::string keyed_name(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &length) == nullptr)
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < 6; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

std::string Pseudonyms::slide(const std::string& content_hash_or_path) const {
  return "slide-" + keyed_name(key_, "slide " + content_hash_or_path);
}

std::string Pseudonyms::patient(const std::string& id) const {
  return "patient-" + keyed_name(key_, "patient " + id);
}

std::string Pseudonyms::image(const std::string& path) const {
  return "image-" + keyed_name(key_, "image " + path);
}

std::string scrub(std::string text, const std::vector<std::pair<std::string, std::string>>& names) {
  for (const auto& [path, name] : names) {
    replace_all(text, path, name);
    replace_all(text, std::filesystem::path(path).filename().string(), name);
  }
  return text;
}

std::string slide_pseudonym(const Pseudonyms& pseudonyms, const IndexedSlide& slide) {
  return pseudonyms.slide(slide.content_hash.empty() ? slide.path : slide.content_hash);
}

std::vector<std::pair<std::string, std::string>> pseudonym_names(const TileIndex& index,
                                                                 const Pseudonyms& pseudonyms) {
  std::vector<std::pair<std::string, std::string>> names;
  for (const IndexedSlide& slide : index.slides())
    names.emplace_back(slide.path, slide_pseudonym(pseudonyms, slide));
  return names;
}

}  // namespace pathodino::data
