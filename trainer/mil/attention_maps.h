// What a pathologist looks at after a slide-level evaluation: per slide, each tile's held-out
// attention as a CSV (x, y, attention) and a heat map PNG — the slide's smallest pyramid level
// with every tile tinted from blue (no attention) to red (the slide's most attended tile).
#pragma once

#include <filesystem>
#include <vector>

#include "trainer/mil/slide_bags.h"

namespace pathodino::mil {

// `attention`: one value per tile of `bag`. `slide_file`: the slide, for the thumbnail; when it
// cannot be opened only the CSV is written and false returned.
bool write_attention_map(const SlideBag& bag, const std::vector<float>& attention,
                         const std::filesystem::path& slide_file,
                         const std::filesystem::path& out_dir);

}  // namespace pathodino::mil
