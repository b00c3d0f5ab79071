#include "data/index/leakage_guard.h"

#include <stdexcept>

namespace pathodino::data {

ExcludedSlides read_excluded(const std::vector<std::string>& manifests,
                             const std::string& patient_column) {
  ExcludedSlides out;
  for (const std::string& manifest : manifests) {
    for (const IndexedSlide& s : identify(list_slides(manifest))) {
      const std::string where = manifest + ": " + s.path;
      out.by_content.emplace(s.content_hash, where);
      const auto patient = s.groups.find(patient_column);
      if (patient != s.groups.end() && !patient->second.empty())
        out.by_patient.emplace(patient->second, where);
    }
  }
  return out;
}

std::vector<std::string> find_leaks(const std::vector<IndexedSlide>& slides,
                                    const ExcludedSlides& excluded,
                                    const std::string& patient_column) {
  std::vector<std::string> leaks;
  for (const IndexedSlide& s : slides) {
    const auto patient = s.groups.find(patient_column);
    const bool named = patient != s.groups.end() && !patient->second.empty();
    const std::string who = s.path + (named ? " (patient " + patient->second + ")" : "");
    if (const auto same = excluded.by_content.find(s.content_hash);
        same != excluded.by_content.end())
      leaks.push_back(who + " is the same slide as " + same->second);
    else if (const auto shared =
                 named ? excluded.by_patient.find(patient->second) : excluded.by_patient.end();
             shared != excluded.by_patient.end())
      leaks.push_back(who + " shares its patient with " + shared->second);
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
