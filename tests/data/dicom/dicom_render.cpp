// Test helper for test_dicom_pixels.py: renders DICOM files as the reader does and prints, per
// file, "FILE WIDTH HEIGHT OUT" with the 8-bit gray pixels written raw to OUT, or
// "FILE skipped: REASON".
//   dicom_render (file|fixed CENTER WIDTH|percentile CLIP) OUT_DIR FILE...
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "data/dicom/dicom_image.h"

int main(int argc, char** argv) {
  using namespace pathodino::data;
  if (argc < 4) return 2;
  DicomReadOptions options;
  int arg = 1;
  const std::string window = argv[arg++];
  if (window == "fixed") {
    options.window = DicomWindow::fixed;
    options.center = std::atof(argv[arg++]);
    options.width = std::atof(argv[arg++]);
  } else if (window == "percentile") {
    options.window = DicomWindow::percentile;
    options.clip_percent = std::atof(argv[arg++]);
  }
  const std::filesystem::path out_dir = argv[arg++];
  for (int i = 0; arg < argc; ++arg, ++i) {
    const std::filesystem::path file = argv[arg];
    const std::string reason = dicom_unsupported_reason(read_dicom_metadata(file));
    if (!reason.empty()) {
      std::cout << file.string() << " skipped: " << reason << "\n";
      continue;
    }
    const RgbImage image = read_dicom_image(file, options);
    const std::filesystem::path out = out_dir / (std::to_string(i) + ".gray");
    std::ofstream raw(out, std::ios::binary);
    for (size_t p = 0; p < image.pixels.size(); p += 3) raw.put(static_cast<char>(image.pixels[p]));
    std::cout << file.string() << " " << image.width << " " << image.height << " " << out.string()
              << "\n";
  }
  return 0;
}
