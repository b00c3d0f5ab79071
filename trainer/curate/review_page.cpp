#include "trainer/curate/review_page.h"

#include <algorithm>
#include <map>

#include "trainer/system/durable_file.h"

namespace pathodino::curate {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string figure(const ClusterMosaic& m) {
  const std::string name =
      "cluster_l" + std::to_string(m.level + 1) + " " + std::to_string(m.cluster);
  std::string sites;
  for (const auto& [site, tiles] : m.sites)
    sites += (sites.empty() ? "" : ", ") + escape(site) + " " + std::to_string(tiles);
  std::string caption = "<b>" + name + "</b>: " + std::to_string(m.tiles) + " tiles (" + sites +
                        "); " + std::to_string(m.nearest) + " nearest the centroid, then " +
                        std::to_string(m.random) + " at random";
  if (m.unreadable > 0) caption += "; " + std::to_string(m.unreadable) + " unreadable (grey)";
  return "<figure><figcaption>" + caption + "</figcaption><img src=\"" + escape(m.file) +
         "\" alt=\"" + name + "\"></figure>\n";
}

constexpr const char* kHead = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%TITLE%</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
figure { display: inline-block; vertical-align: top; margin: 0 1em 1.5em 0; }
figcaption { font-size: 0.85em; max-width: 50em; }
#status.missing { color: #b00; font-weight: bold; }
</style></head><body>
)";

// Counts the mosaics the browser decoded once the page has loaded.
constexpr const char* kStatusScript = R"(<script>
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  const shown = images.filter(i => i.complete && i.naturalWidth > 0).length;
  const status = document.getElementById('status');
  status.textContent = shown + ' of ' + images.length + ' mosaics shown';
  if (shown < images.length) status.className = 'missing';
});
</script>
)";

}  // namespace

void write_review_page(const std::vector<ClusterMosaic>& mosaics, const std::string& title,
                       const std::vector<std::string>& summary,
                       const std::filesystem::path& out_dir) {
  std::string html = kHead;
  html.replace(html.find("%TITLE%"), 7, escape(title));
  html += "<h1>" + escape(title) + "</h1>\n";
  for (const std::string& line : summary) html += "<p>" + escape(line) + "</p>\n";
  html += "<p id=\"status\">mosaics loading</p>\n";
  std::map<size_t, std::vector<const ClusterMosaic*>, std::greater<>> by_level;
  for (const ClusterMosaic& m : mosaics)
    if (m.tiles > 0) by_level[m.level].push_back(&m);
  for (auto& [level, list] : by_level) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto* a, const auto* b) { return a->tiles > b->tiles; });
    html += "<h2>cluster_l" + std::to_string(level + 1) + ": " + std::to_string(list.size()) +
            " clusters</h2>\n";
    for (const ClusterMosaic* m : list) html += figure(*m);
  }
  html += kStatusScript;
  html += "</body></html>\n";
  system::write_file_durably(out_dir / "index.html", html);
}

}  // namespace pathodino::curate
