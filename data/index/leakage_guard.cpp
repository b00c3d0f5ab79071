#include "data/index/leakage_guard.h"

#include <stdexcept>

namespace pathodino::data {

ExcludedSlides read_excluded(const std::vector<std::string>& manifests,
                             const std::string& patient_column) {
  ExcludedSlides out;
  for (const std::string& manifest : manifests) {
    for (const IndexedSlide& s : identify(list_slides(manifest))) {
      const ExcludedSlide where{manifest, s.path, s.content_hash};
      out.by_content.emplace(s.content_hash, where);
      const auto patient = s.groups.find(patient_column);
      if (patient != s.groups.end() && !patient->second.empty())
        out.by_patient.emplace(patient->second, where);
    }
  }
  return out;
}

namespace {

// A slide as a refusal names it: its path, or its pseudonym.
std::string slide_name(const std::string& path, const std::string& content_hash,
                       const Pseudonyms* pseudonyms) {
  return pseudonyms != nullptr ? pseudonyms->slide(content_hash) : path;
}

std::string excluded_name(const ExcludedSlide& e, const Pseudonyms* pseudonyms) {
  return e.manifest + ": " + slide_name(e.path, e.content_hash, pseudonyms);
}

}  // namespace

std::vector<std::string> find_leaks(const std::vector<IndexedSlide>& slides,
                                    const ExcludedSlides& excluded,
                                    const std::string& patient_column,
                                    const Pseudonyms* pseudonyms) {
  std::vector<std::string> leaks;
  for (const IndexedSlide& s : slides) {
    const auto patient = s.groups.find(patient_column);
    const bool named = patient != s.groups.end() && !patient->second.empty();
    const std::string who =
        slide_name(s.path, s.content_hash, pseudonyms) +
        (named ? " (patient " +
                     (pseudonyms != nullptr ? pseudonyms->patient(patient->second)
                                            : patient->second) +
                     ")"
               : "");
    if (const auto same = excluded.by_content.find(s.content_hash);
        same != excluded.by_content.end())
      leaks.push_back(who + " is the same slide as " + excluded_name(same->second, pseudonyms));
    else if (const auto shared =
                 named ? excluded.by_patient.find(patient->second) : excluded.by_patient.end();
             shared != excluded.by_patient.end())
      leaks.push_back(who + " shares its patient with " +
                      excluded_name(shared->second, pseudonyms));
  }
  return leaks;
}

std::string leak_report(const std::vector<std::string>& leaks, const std::string& source) {
  std::string text = source + " holds " + std::to_string(leaks.size()) +
                     " slide(s) of the evaluation manifests excluded from training (slides "
                     "matched by content, patients by name); nothing was done:";
  for (const std::string& leak : leaks) text += "\n  " + leak;
  return text;
}

std::vector<IndexedSlide> identify(const std::vector<SlideEntry>& entries) {
  std::vector<IndexedSlide> out;
  for (const SlideEntry& e : entries) {
    IndexedSlide s;
    s.path = e.path;
    s.groups = e.groups;
    try {
      s.content_hash = slide_content_hash(e.path);
    } catch (const std::exception& error) {
      throw std::runtime_error(e.path + ": cannot read the slide to identify it: " + error.what());
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pathodino::data
