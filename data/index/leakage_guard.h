// The leakage guard: slides of evaluation manifests must not train. Each manifest (a slide
// manifest: `path` relative to it, the patient in a column) gives the slides by content
// (slide_content_hash, so a copy under another file name is still the same slide) and the
// patients by name; a training slide that matches either is a leak, named with its patient and
// the manifest and slide it collides with.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/index/build_index.h"
#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"

namespace pathodino::data {

struct ExcludedSlide {
  std::string manifest, path, content_hash;
};

struct ExcludedSlides {
  std::map<std::string, ExcludedSlide> by_content;  // by content hash
  std::map<std::string, ExcludedSlide> by_patient;  // by patient
};

// Throws std::runtime_error naming the manifest (and row) it cannot read or a slide it cannot hash.
ExcludedSlides read_excluded(const std::vector<std::string>& manifests,
                             const std::string& patient_column);

// One line per leaking slide: "SLIDE (patient P) is the same slide as M: S" or "… shares its
// patient with M: S"; empty when none leaks. `slides` are an index's (content hash and groups
// recorded at indexing) or a manifest's about to be indexed. With `pseudonyms` both slides and
// the patient are named by pseudonym (Note [Pseudonyms]); the manifests by their paths.
std::vector<std::string> find_leaks(const std::vector<IndexedSlide>& slides,
                                    const ExcludedSlides& excluded,
                                    const std::string& patient_column,
                                    const Pseudonyms* pseudonyms = nullptr);

// The refusal: "SOURCE holds N slide(s) of the evaluation manifests: … \n  leak\n  leak".
std::string leak_report(const std::vector<std::string>& leaks, const std::string& source);

// The slides of entries as find_leaks takes them (content hashed now, groups as listed).
std::vector<IndexedSlide> identify(const std::vector<SlideEntry>& entries);

}  // namespace pathodino::data
