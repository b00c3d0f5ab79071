#include "data/index/tile_groups.h"

#include <map>

namespace pathodino::data {
namespace {

// Groups by a tile column: one group per value, named "#value". A group is a few runs per slide
// however many tiles it has when the column is sorted within slides (Note [Cluster runs] in
// trainer/curate/curated_index.h); any other column still groups correctly, run by run.
std::vector<SampleGroup> tile_column_groups(std::span<const uint32_t> values) {
  std::map<uint32_t, SampleGroup> by_value;
  int64_t run_first = 0;
  for (size_t i = 1; i <= values.size(); ++i) {
    if (i < values.size() && values[i] == values[i - 1]) continue;
    SampleGroup& group = by_value[values[i - 1]];
    group.runs.emplace_back(run_first, static_cast<int64_t>(i) - run_first);
    run_first = static_cast<int64_t>(i);
  }
  std::vector<SampleGroup> out;
  for (auto& [value, group] : by_value) {
    group.name = "#" + std::to_string(value);
    out.push_back(std::move(group));
  }
  return out;
}

}  // namespace

std::vector<SampleGroup> tile_groups(const TileIndex& index, const std::string& column) {
  if (const std::span<const uint32_t> values = index.tile_column(column); !values.empty())
    return tile_column_groups(values);
  bool column_seen = false;
  std::vector<std::string> slide_group;
  for (const IndexedSlide& slide : index.slides()) {
    const auto it = slide.groups.find(column);
    column_seen = column_seen || it != slide.groups.end();
    slide_group.push_back(it == slide.groups.end() || it->second.empty() ? "(none)" : it->second);
  }
  if (!column_seen)
    throw IndexError(index.file().string() + ": no slide has the group column '" + column +
                     "' and no tile column has that name (data.wsi.balance_by); the manifest's "
                     "columns become the index's groups, `pathodino curate` adds cluster columns");
  // Group ids per grid, so the scan over millions of tiles compares integers.
  std::map<std::string, size_t> group_id;
  for (const std::string& name : slide_group) group_id.emplace(name, 0);
  std::vector<SampleGroup> out;
  for (auto& [name, id] : group_id) {
    id = out.size();
    out.push_back({name, {}});
  }
  std::vector<size_t> grid_group;
  for (const IndexedGrid& grid : index.grids())
    grid_group.push_back(group_id[slide_group[grid.slide]]);
  int64_t run_first = 0;
  for (int64_t i = 1; i <= index.size(); ++i) {
    const size_t previous = grid_group[index.tile(i - 1).grid];
    if (i < index.size() && grid_group[index.tile(i).grid] == previous) continue;
    out[previous].runs.emplace_back(run_first, i - run_first);
    run_first = i;
  }
  std::erase_if(out, [](const SampleGroup& g) { return g.runs.empty(); });
  return out;
}

}  // namespace pathodino::data
