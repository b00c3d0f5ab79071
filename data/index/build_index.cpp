#include "data/index/build_index.h"

#include <glob.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "data/csv_line.h"
#include "data/image_file/image_file.h"
#include "data/index/qa_thumbnail.h"
#include "data/index/tile_index.h"
#include "data/slide/microns_per_pixel.h"
#include "data/slide/openslide_handle.h"
#include "data/slide/tile_grid.h"
#include "data/slide/tissue_mask.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

bool slide_extension(const fs::path& p) {
  static const char* known[] = {".svs", ".tif", ".tiff", ".ndpi", ".mrxs",
                                ".scn", ".vms", ".vmu",  ".bif",  ".svslide"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return std::find(std::begin(known), std::end(known), ext) != std::end(known);
}

}  // namespace

struct SlideIndexResult {
  int64_t position = 0;  // in the slide list
  SlideOutcome outcome;
  IndexedSlide slide;
  std::vector<std::pair<IndexedGrid, std::vector<TileLocation>>> grids;
};

SlideIndexResults::SlideIndexResults() = default;
SlideIndexResults::~SlideIndexResults() = default;
SlideIndexResults::SlideIndexResults(SlideIndexResults&&) noexcept = default;
SlideIndexResults& SlideIndexResults::operator=(SlideIndexResults&&) noexcept = default;

namespace {

// A thumbnail of a level too large to read at once: the level read in chunks of at most
// ~2048 × 2048 px, each box-averaged by an integer factor f so that the longer side is ≤ max_side.
// The thumbnail covers whole f × f blocks (up to f − 1 px at the right and bottom edges left out).
RgbImage chunked_thumbnail(const OpenSlideHandle& slide, int32_t level, int64_t max_side) {
  const auto [lw, lh] = slide.level_size(level);
  const int64_t f = (std::max(lw, lh) + max_side - 1) / max_side;
  const auto downsample = static_cast<int64_t>(std::llround(slide.level_downsample(level)));
  RgbImage thumb;
  thumb.width = lw / f;
  thumb.height = lh / f;
  thumb.pixels.resize(static_cast<size_t>(thumb.width * thumb.height * 3));
  const int64_t chunk = std::max<int64_t>(1, 2048 / f);  // thumbnail pixels per chunk side
  for (int64_t ty = 0; ty < thumb.height; ty += chunk)
    for (int64_t tx = 0; tx < thumb.width; tx += chunk) {
      const int64_t cw = std::min(chunk, thumb.width - tx), ch = std::min(chunk, thumb.height - ty);
      const RgbImage region =
          slide.read_region(tx * f * downsample, ty * f * downsample, level, cw * f, ch * f);
      for (int64_t y = 0; y < ch; ++y)
        for (int64_t x = 0; x < cw; ++x)
          for (int c = 0; c < 3; ++c) {
            int64_t sum = 0;
            for (int64_t dy = 0; dy < f; ++dy)
              for (int64_t dx = 0; dx < f; ++dx)
                sum +=
                    region
                        .pixels[static_cast<size_t>(((y * f + dy) * cw * f + x * f + dx) * 3 + c)];
            thumb.pixels[static_cast<size_t>(((ty + y) * thumb.width + tx + x) * 3 + c)] =
                static_cast<uint8_t>((sum + f * f / 2) / (f * f));
          }
    }
  return thumb;
}

// `0007_name.png`: the list position keeps slides of the same name in different folders apart.
fs::path qa_picture_path(const fs::path& dir, size_t position, const std::string& name) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%04zu_", position);
  return dir / (prefix + name + ".png");
}

// The outcome's name, and its reason rid of the path, when slides go by pseudonym.
void name_outcome(SlideIndexResult& r, const std::string& path, const IndexBuildOptions& options) {
  r.outcome.name = path;
  if (!options.pseudonyms) return;
  r.outcome.name =
      options.pseudonyms->slide(r.slide.content_hash.empty() ? path : r.slide.content_hash);
  r.outcome.reason = scrub(r.outcome.reason, {{path, r.outcome.name}});
}

SlideIndexResult index_slide(const SlideEntry& entry, size_t position,
                             const IndexBuildOptions& options) {
  SlideIndexResult r;
  r.position = static_cast<int64_t>(position);
  r.outcome.path = entry.path;
  try {
    const OpenSlideHandle slide(entry.path);
    const MicronsPerPixel mpp = microns_per_pixel(
        slide,
        options.fallback_mpp > 0 ? std::optional<double>(options.fallback_mpp) : std::nullopt);
    const int32_t levels = slide.level_count();
    const auto [width, height] = slide.level_size(0);
    const int32_t smallest = levels - 1;
    const auto [mw, mh] = slide.level_size(smallest);
    const RgbImage thumbnail = std::max(mw, mh) <= options.max_mask_side
                                   ? slide.read_region(0, 0, smallest, mw, mh)
                                   : chunked_thumbnail(slide, smallest, options.max_mask_side);
    const TissueMask mask = detect_tissue(thumbnail);
    SlideGeometry geometry{width, height, mpp.x, {}};
    for (int32_t l = 0; l < levels; ++l)
      geometry.level_downsample.push_back(slide.level_downsample(l));
    r.slide.path = entry.path;
    r.slide.width = width;
    r.slide.height = height;
    r.slide.mpp_x = mpp.x;
    r.slide.mpp_y = mpp.y;
    r.slide.mpp_source = mpp.source;
    r.slide.vendor = slide.property("openslide.vendor").value_or("unknown");
    r.slide.content_hash = slide_content_hash(entry.path);
    r.slide.levels = levels;
    r.slide.groups = entry.groups;
    std::vector<TileGrid> drawn;
    for (double target : options.target_mpp) {
      const TileGrid grid =
          tile_grid(geometry, mask, {target, options.tile_size, options.tissue_threshold});
      drawn.push_back(grid);
      if (grid.kept.empty()) continue;
      r.grids.push_back({IndexedGrid{0, target, options.tile_size, grid.kept.front().level,
                                     grid.kept.front().read_size, grid.extent},
                         grid.kept});
      r.outcome.tiles += static_cast<int64_t>(grid.kept.size());
    }
    if (!options.qa_dir.empty()) {
      const std::string name = options.pseudonyms ? options.pseudonyms->slide(r.slide.content_hash)
                                                  : fs::path(entry.path).stem().string();
      const fs::path picture = qa_picture_path(options.qa_dir, position, name);
      try {  // a picture that cannot be written costs the picture, not the slide
        write_png(qa_thumbnail(thumbnail, mask, drawn, width, height), picture);
        r.outcome.qa_picture = picture.string();
      } catch (const ImageFileError& e) {
        r.outcome.qa_picture = std::string("not written: ") + e.what();
      }
    }
    r.outcome.ok = true;
    r.outcome.mpp = mpp.x;
    r.outcome.mpp_source = mpp.source;
    r.outcome.tissue_share = mask.tissue_share();
    if (r.outcome.tiles == 0) r.outcome.reason = "no tile reaches the tissue threshold";
  } catch (const std::exception& e) {
    r.outcome.ok = false;
    r.outcome.reason = e.what();
  }
  name_outcome(r, entry.path, options);
  return r;
}

}  // namespace

int64_t IndexBuildReport::skipped() const {
  return std::count_if(slides.begin(), slides.end(), [](const SlideOutcome& s) { return !s.ok; });
}

namespace {

std::vector<SlideEntry> slides_in_folder(const std::string& spec) {
  std::vector<SlideEntry> out;
  for (const auto& e : fs::recursive_directory_iterator(spec))
    if (e.is_regular_file() && slide_extension(e.path())) out.push_back({e.path().string(), {}});
  std::sort(out.begin(), out.end(),
            [](const SlideEntry& a, const SlideEntry& b) { return a.path < b.path; });
  if (out.empty()) throw std::runtime_error(spec + ": no slide files in this folder");
  return out;
}

// A manifest's rows: column `path` (relative to the manifest), every other column a group.
std::vector<SlideEntry> slides_in_manifest(const std::string& spec) {
  const fs::path path(spec);
  std::ifstream in(path);
  if (!in) throw std::runtime_error(spec + ": cannot read the manifest");
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv_line(line);
  const auto column = std::find(header.begin(), header.end(), "path");
  if (column == header.end())
    throw std::runtime_error(spec + ": the manifest has no `path` column");
  const size_t path_column = static_cast<size_t>(column - header.begin());
  std::vector<SlideEntry> out;
  for (int64_t row = 2; std::getline(in, line); ++row) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() != header.size())
      throw std::runtime_error(spec + ":" + std::to_string(row) + ": " +
                               std::to_string(cells.size()) + " columns, the header has " +
                               std::to_string(header.size()));
    SlideEntry entry;
    fs::path slide = cells[path_column];
    if (slide.is_relative()) slide = path.parent_path() / slide;
    entry.path = slide.string();
    for (size_t c = 0; c < header.size(); ++c)
      if (c != path_column) entry.groups[header[c]] = cells[c];
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<SlideEntry> slides_matching(const std::string& spec) {
  std::vector<SlideEntry> out;
  glob_t matches{};
  if (::glob(spec.c_str(), 0, nullptr, &matches) == 0)
    for (size_t i = 0; i < matches.gl_pathc; ++i) out.push_back({matches.gl_pathv[i], {}});
  globfree(&matches);
  if (out.empty()) throw std::runtime_error(spec + ": no such folder, manifest or matching files");
  return out;
}

}  // namespace

// Identity of a slide's content without reading gigabytes: size + first and last MiB.
std::string slide_content_hash(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const uintmax_t size = fs::file_size(file);
  const size_t chunk = static_cast<size_t>(std::min<uintmax_t>(size, 1 << 20));
  std::string head(chunk, '\0'), tail(chunk, '\0');
  in.read(head.data(), static_cast<std::streamsize>(chunk));
  in.seekg(static_cast<std::streamoff>(size - chunk));
  in.read(tail.data(), static_cast<std::streamsize>(chunk));
  if (!in) throw std::runtime_error(file.string() + ": cannot read the slide to hash its content");
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, &size, sizeof(size));
  XXH3_64bits_update(state, head.data(), head.size());
  XXH3_64bits_update(state, tail.data(), tail.size());
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(state)));
  XXH3_freeState(state);
  return text;
}

std::vector<SlideEntry> list_slides(const std::string& spec) {
  if (fs::is_directory(spec)) return slides_in_folder(spec);
  if (fs::path(spec).extension() == ".csv") return slides_in_manifest(spec);
  return slides_matching(spec);
}

SlideIndexResults index_slides(const std::vector<SlideEntry>& slides,
                               const IndexBuildOptions& options, int64_t part, int64_t parts) {
  if (!options.qa_dir.empty()) fs::create_directories(options.qa_dir);
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(part); i < slides.size(); i += static_cast<size_t>(parts))
    mine.push_back(i);
  SlideIndexResults results;
  results.slides.resize(mine.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int64_t t = 0; t < std::max<int64_t>(1, options.threads); ++t)
    workers.emplace_back([&] {
      for (size_t k = next++; k < mine.size(); k = next++)
        results.slides[k] = index_slide(slides[mine[k]], mine[k], options);
    });
  for (auto& w : workers) w.join();
  return results;
}

std::string to_bytes(const SlideIndexResults& results) {
  nlohmann::json list = nlohmann::json::array();
  for (const SlideIndexResult& r : results.slides) {
    const SlideOutcome& o = r.outcome;
    const IndexedSlide& s = r.slide;
    nlohmann::json grids = nlohmann::json::array();
    for (const auto& [g, tiles] : r.grids) {
      std::vector<int64_t> flat;  // x, y, level, read size, tissue × 65535 per tile
      for (const TileLocation& t : tiles)
        flat.insert(flat.end(), {t.x, t.y, t.level, t.read_size,
                                 static_cast<int64_t>(std::lround(t.tissue * 65535.0f))});
      grids.push_back({{"target_mpp", g.target_mpp},
                       {"tile_size", g.tile_size},
                       {"level", g.level},
                       {"read_size", g.read_size},
                       {"extent", g.extent},
                       {"tiles", flat}});
    }
    list.push_back({{"position", r.position},
                    {"outcome",
                     {o.path, o.ok, o.reason, o.tiles, o.mpp, o.mpp_source, o.tissue_share,
                      o.qa_picture, o.name}},
                    {"slide",
                     {s.path, s.width, s.height, s.mpp_x, s.mpp_y, s.mpp_source, s.vendor,
                      s.content_hash, s.levels, s.groups, s.tiles}},
                    {"grids", grids}});
  }
  const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(list);
  return {cbor.begin(), cbor.end()};
}

SlideIndexResults from_bytes(const std::string& bytes) {
  SlideIndexResults results;
  try {
    for (const nlohmann::json& j : nlohmann::json::from_cbor(bytes)) {
      SlideIndexResult r;
      r.position = j.at("position").get<int64_t>();
      const nlohmann::json& o = j.at("outcome");
      r.outcome.path = o.at(0).get<std::string>();
      r.outcome.ok = o.at(1).get<bool>();
      r.outcome.reason = o.at(2).get<std::string>();
      r.outcome.tiles = o.at(3).get<int64_t>();
      r.outcome.mpp = o.at(4).get<double>();
      r.outcome.mpp_source = o.at(5).get<std::string>();
      r.outcome.tissue_share = o.at(6).get<double>();
      r.outcome.qa_picture = o.at(7).get<std::string>();
      r.outcome.name = o.at(8).get<std::string>();
      const nlohmann::json& s = j.at("slide");
      r.slide.path = s.at(0).get<std::string>();
      r.slide.width = s.at(1).get<int64_t>();
      r.slide.height = s.at(2).get<int64_t>();
      r.slide.mpp_x = s.at(3).get<double>();
      r.slide.mpp_y = s.at(4).get<double>();
      r.slide.mpp_source = s.at(5).get<std::string>();
      r.slide.vendor = s.at(6).get<std::string>();
      r.slide.content_hash = s.at(7).get<std::string>();
      r.slide.levels = s.at(8).get<int32_t>();
      r.slide.groups = s.at(9).get<std::map<std::string, std::string>>();
      r.slide.tiles = s.at(10).get<int64_t>();
      for (const nlohmann::json& g : j.at("grids")) {
        IndexedGrid grid{0,
                         g.at("target_mpp").get<double>(),
                         g.at("tile_size").get<int64_t>(),
                         g.at("level").get<int32_t>(),
                         g.at("read_size").get<int64_t>(),
                         g.at("extent").get<int64_t>()};
        const auto flat = g.at("tiles").get<std::vector<int64_t>>();
        std::vector<TileLocation> tiles;
        for (size_t i = 0; i + 5 <= flat.size(); i += 5)
          tiles.push_back({flat[i], flat[i + 1], static_cast<int32_t>(flat[i + 2]), flat[i + 3],
                           static_cast<float>(flat[i + 4]) / 65535.0f});
        r.grids.emplace_back(grid, std::move(tiles));
      }
      results.slides.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw IndexError(std::string("damaged partial index results: ") + e.what());
  }
  return results;
}

IndexBuildReport write_index(std::vector<SlideIndexResults> parts, const fs::path& out) {
  std::vector<SlideIndexResult> results;
  for (SlideIndexResults& part : parts)
    for (SlideIndexResult& r : part.slides) results.push_back(std::move(r));
  std::sort(
      results.begin(), results.end(),
      [](const SlideIndexResult& a, const SlideIndexResult& b) { return a.position < b.position; });
  TileIndexWriter writer;
  IndexBuildReport report;
  for (SlideIndexResult& r : results) {
    report.slides.push_back(r.outcome);
    // A slide without tiles stays in the table (0 tiles): it is part of the archive, and what
    // reads the index per slide (`embed`: an empty file) reports it rather than losing it.
    if (!r.outcome.ok) continue;
    const uint32_t slide = writer.add_slide(r.slide);
    for (auto& [grid, tiles] : r.grids) {
      grid.slide = slide;
      const uint32_t id = writer.add_grid(grid);
      for (const TileLocation& t : tiles)
        writer.add_tile({id, static_cast<uint32_t>(t.x), static_cast<uint32_t>(t.y),
                         static_cast<uint16_t>(std::lround(t.tissue * 65535.0f)), 0});
    }
  }
  report.tiles = writer.tile_count();
  writer.write(out);
  return report;
}

IndexBuildReport build_index(const std::vector<SlideEntry>& slides,
                             const IndexBuildOptions& options, const fs::path& out) {
  std::vector<SlideIndexResults> parts;
  parts.push_back(index_slides(slides, options, 0, 1));
  return write_index(std::move(parts), out);
}

}  // namespace pathodino::data
