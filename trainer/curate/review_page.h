// index.html of a curation: the summary on top, then every level (coarsest first) with its
// clusters (largest first): size, size by site, and the cluster's mosaic. A line at the top says
// how many of the page's mosaics the browser could show, so a reviewer sees a moved or missing
// picture at once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trainer/curate/cluster_mosaics.h"

namespace pathodino::curate {

void write_review_page(const std::vector<ClusterMosaic>& mosaics, const std::string& title,
                       const std::vector<std::string>& summary,
                       const std::filesystem::path& out_dir);

}  // namespace pathodino::curate
