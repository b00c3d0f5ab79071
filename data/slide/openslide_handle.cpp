#include "data/slide/openslide_handle.h"

#include <openslide.h>

#include <utility>
#include <vector>

namespace pathodino::data {

OpenSlideHandle::OpenSlideHandle(const std::filesystem::path& file) : file_(file) {
  if (!std::filesystem::exists(file)) throw SlideError(file.string() + ": no such file");
  if (openslide_detect_vendor(file.c_str()) == nullptr)
    throw SlideError(file.string() + ": not a slide format OpenSlide knows");
  slide_ = openslide_open(file.c_str());
  if (slide_ == nullptr) throw SlideError(file.string() + ": OpenSlide could not open it");
  throw_if_failed("open");
}

OpenSlideHandle::~OpenSlideHandle() {
  if (slide_ != nullptr) openslide_close(slide_);
}

OpenSlideHandle::OpenSlideHandle(OpenSlideHandle&& other) noexcept
    : file_(std::move(other.file_)), slide_(std::exchange(other.slide_, nullptr)) {}

OpenSlideHandle& OpenSlideHandle::operator=(OpenSlideHandle&& other) noexcept {
  if (this != &other) {
    if (slide_ != nullptr) openslide_close(slide_);
    file_ = std::move(other.file_);
    slide_ = std::exchange(other.slide_, nullptr);
  }
  return *this;
}

void OpenSlideHandle::throw_if_failed(const char* what) const {
  if (const char* error = openslide_get_error(slide_))
    throw SlideError(file_.string() + ": OpenSlide failed to " + what + ": " + error);
}

std::optional<std::string> OpenSlideHandle::property(const std::string& name) const {
  const char* value = openslide_get_property_value(slide_, name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

int32_t OpenSlideHandle::level_count() const {
  const int32_t n = openslide_get_level_count(slide_);
  throw_if_failed("count levels");
  return n;
}

std::pair<int64_t, int64_t> OpenSlideHandle::level_size(int32_t level) const {
  int64_t w = -1, h = -1;
  openslide_get_level_dimensions(slide_, level, &w, &h);
  throw_if_failed("get level dimensions");
  if (w < 0) throw SlideError(file_.string() + ": no level " + std::to_string(level));
  return {w, h};
}

double OpenSlideHandle::level_downsample(int32_t level) const {
  const double d = openslide_get_level_downsample(slide_, level);
  throw_if_failed("get level downsample");
  return d;
}

RgbImage OpenSlideHandle::read_region(int64_t x, int64_t y, int32_t level, int64_t width,
                                      int64_t height) const {
  std::vector<uint32_t> argb(static_cast<size_t>(width * height));
  openslide_read_region(slide_, argb.data(), x, y, level, width, height);
  throw_if_failed("read a region");
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width * height * 3));
  argb_to_rgb_on_white(argb.data(), width * height, out.pixels.data());
  return out;
}

void argb_to_rgb_on_white(const uint32_t* argb, int64_t count, uint8_t* rgb) {
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t p = argb[i];
    const uint32_t a = p >> 24;
    for (int c = 0; c < 3; ++c) {
      const uint32_t premultiplied = (p >> (16 - 8 * c)) & 0xff;
      // Premultiplied colour over white: c·α + 255·(1 − α), where c·α is what OpenSlide stores.
      rgb[i * 3 + c] = static_cast<uint8_t>(premultiplied + (255 - a));
    }
  }
}

}  // namespace pathodino::data
