// Ordinary image files — PNG (libpng) and JPEG (libjpeg-turbo) — as 8-bit RGB: what image-folder
// sources read and what labelled tile sets and QA thumbnails are written as. The format is taken
// from the file's first bytes, not its name. Errors throw ImageFileError naming the file.
#pragma once

#include <filesystem>
#include <stdexcept>

#include "data/rgb_image.h"

namespace pathodino::data {

class ImageFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// PNG (grey, RGB, RGBA composited on white, 16-bit reduced to 8) or JPEG (grey, RGB, CMYK).
RgbImage read_image_file(const std::filesystem::path& file);

// Written to a temporary name and renamed, so a reader never sees half a file.
void write_png(const RgbImage& image, const std::filesystem::path& file);

bool is_image_file_name(const std::filesystem::path& file);  // .png .jpg .jpeg (any case)

}  // namespace pathodino::data
