#include "data/image_file/image_file.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

namespace pathodino::data {
namespace {

std::vector<uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ImageFileError(file.string() + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

RgbImage decode_png(const std::vector<uint8_t>& bytes, const std::filesystem::path& file) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw ImageFileError(file.string() + ": not a readable PNG (" + png.message + ")");
  png.format = PNG_FORMAT_RGB;  // libpng composites alpha on the background below
  RgbImage image;
  image.width = png.width;
  image.height = png.height;
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&png, &white, image.pixels.data(), 0, nullptr)) {
    const std::string reason = png.message;
    png_image_free(&png);
    throw ImageFileError(file.string() + ": PNG decoding failed (" + reason + ")");
  }
  return image;
}

RgbImage decode_jpeg(const std::vector<uint8_t>& bytes, const std::filesystem::path& file) {
  const std::unique_ptr<void, int (*)(tjhandle)> decoder(tjInitDecompress(), tjDestroy);
  if (!decoder) throw ImageFileError(file.string() + ": cannot start a JPEG decoder");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  auto* data = const_cast<unsigned char*>(bytes.data());
  if (tjDecompressHeader3(decoder.get(), data, bytes.size(), &width, &height, &subsampling,
                          &colorspace) != 0)
    throw ImageFileError(file.string() + ": not a readable JPEG (" + tjGetErrorStr2(decoder.get()) +
                         ")");
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (tjDecompress2(decoder.get(), data, bytes.size(), image.pixels.data(), width, 0, height,
                    TJPF_RGB, 0) != 0 &&
      tjGetErrorCode(decoder.get()) == TJERR_FATAL)
    throw ImageFileError(file.string() + ": JPEG decoding failed (" +
                         tjGetErrorStr2(decoder.get()) + ")");
  return image;
}

}  // namespace

RgbImage read_image_file(const std::filesystem::path& file) {
  const std::vector<uint8_t> bytes = read_bytes(file);
  static constexpr uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (bytes.size() >= 8 && std::equal(png_magic, png_magic + 8, bytes.begin()))
    return decode_png(bytes, file);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes, file);
  throw ImageFileError(file.string() + ": neither PNG nor JPEG (" +
                       (bytes.empty() ? std::string("empty file") : "unknown first bytes") + ")");
}

void write_png(const RgbImage& image, const std::filesystem::path& file) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  // Lossless either way; at the default deflate level, compression was a large share of the time
  // spent writing labelled tile sets (benchmarks/RESULTS.md).
  png.flags = PNG_IMAGE_FLAG_FAST;
  const std::filesystem::path partial = file.string() + ".partial";
  if (!png_image_write_to_file(&png, partial.c_str(), 0, image.pixels.data(), 0, nullptr))
    throw ImageFileError(file.string() + ": PNG writing failed (" + png.message + ")");
  std::filesystem::rename(partial, file);
}

bool is_image_file_name(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

}  // namespace pathodino::data
