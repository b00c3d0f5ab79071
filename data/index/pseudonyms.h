// Pseudonyms of slides and patients, for archives whose file names or patient columns identify
// people.
//
// Note [Pseudonyms]: with privacy.pseudonymise (the `index` command: --pseudonymise-key), what
// progress lines, warnings, QA picture names and summaries show of a slide is
// "slide-" + 12 hex digits of HMAC-SHA256(key, "slide " + its content hash) — or of its path when
// it could not be read — and of a patient "patient-" + 12 hex digits of HMAC-SHA256(key,
// "patient " + id). Keyed, so a list of known file names or ids cannot be hashed and matched;
// stable for a key, so a data steward holding the key can map names back. The tile index keeps
// the real paths (a run must open the slides): it is the data, like the ledger built on it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pathodino::data {

struct PrivacyOptions {
  bool pseudonymise = false;
  std::string key_file;  // the secret: 64 hex digits, owner-only (`pathodino keys generate-aes`)
};

class Pseudonyms {
 public:
  explicit Pseudonyms(std::string key) : key_(std::move(key)) {}
  std::string slide(const std::string& content_hash_or_path) const;
  std::string patient(const std::string& id) const;
  // An image file of a DICOM index: "image-" + 12 hex digits of HMAC-SHA256(key, "image " + path).
  std::string image(const std::string& path) const;

 private:
  std::string key_;
};

// `text` with every occurrence of each (path, name) pair's path, then its file name, replaced by
// the name: messages from libraries (OpenSlide, libtiff) quote paths their own way.
std::string scrub(std::string text, const std::vector<std::pair<std::string, std::string>>& names);

struct IndexedSlide;
class TileIndex;

// An indexed slide's pseudonym: of its content hash, or of its path when it has none.
std::string slide_pseudonym(const Pseudonyms& pseudonyms, const IndexedSlide& slide);

// (path, pseudonym) of every slide of `index`, for scrub().
std::vector<std::pair<std::string, std::string>> pseudonym_names(const TileIndex& index,
                                                                 const Pseudonyms& pseudonyms);

}  // namespace pathodino::data
