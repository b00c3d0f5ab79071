// OpenSlideHandle: one open slide (RAII: closed in the destructor, movable, not copyable). Opening
// a file OpenSlide cannot read, or a handle that went into OpenSlide's error state, throws
// SlideError naming the file and OpenSlide's reason. Regions come back as RGB: OpenSlide's
// premultiplied ARGB is un-premultiplied and composited on white, so transparent areas (outside
// the scanned region) read as background, not black.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "data/rgb_image.h"

struct _openslide;  // OpenSlide's opaque handle (openslide_t)

namespace pathodino::data {

class SlideError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OpenSlideHandle {
 public:
  explicit OpenSlideHandle(const std::filesystem::path& file);
  ~OpenSlideHandle();
  OpenSlideHandle(OpenSlideHandle&& other) noexcept;
  OpenSlideHandle& operator=(OpenSlideHandle&& other) noexcept;
  OpenSlideHandle(const OpenSlideHandle&) = delete;
  OpenSlideHandle& operator=(const OpenSlideHandle&) = delete;

  const std::filesystem::path& file() const { return file_; }
  std::optional<std::string> property(const std::string& name) const;
  int32_t level_count() const;
  std::pair<int64_t, int64_t> level_size(int32_t level) const;  // width, height
  double level_downsample(int32_t level) const;

  // `width` × `height` pixels of `level`, top-left at level-0 coordinates (x, y).
  RgbImage read_region(int64_t x, int64_t y, int32_t level, int64_t width, int64_t height) const;

 private:
  void throw_if_failed(const char* what) const;

  std::filesystem::path file_;
  _openslide* slide_ = nullptr;
};

// Premultiplied ARGB (OpenSlide's pixel format) → RGB on white.
void argb_to_rgb_on_white(const uint32_t* argb, int64_t count, uint8_t* rgb);

}  // namespace pathodino::data
