// A line chart of logged series written as PNG with cairo (Debian's libcairo2): one line per
// series with a legend, axes with ticks and labels. Enough for a sweep's kNN-vs-step plot and a
// run report's curves with their random-feature baselines. No LibTorch.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pathodino::metrics {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
  bool marks = true;    // a dot at every point (off for curves of many steps)
  bool dashed = false;  // a reference level, such as a baseline, rather than a measured curve
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  int width = 960, height = 600;
};

// Throws std::runtime_error naming the file when cairo cannot write it.
void write_png(const LinePlot& plot, const std::filesystem::path& file);

}  // namespace pathodino::metrics
