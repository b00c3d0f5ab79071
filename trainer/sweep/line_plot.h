// A line chart written as PNG with cairo (Debian's libcairo2): one line per series with a legend,
// axes with ticks and labels. Just enough for `sweep report`'s kNN-vs-step plot. No LibTorch.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::sweep {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 960, height = 600;
};

// Throws std::runtime_error naming the file when cairo cannot write it.
void write_png(const LinePlot& plot, const std::filesystem::path& file);

}  // namespace pathodino::sweep
