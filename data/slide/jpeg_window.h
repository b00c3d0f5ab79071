// Decoding only a window of a JPEG tile: rows above the window are skipped (entropy-decoded, not
// transformed), columns outside it cropped to the iMCU grid, rows below never decoded — libjpeg-
// turbo's jpeg_skip_scanlines / jpeg_crop_scanline. A 224 px region touches ~3.5 tiles of 256 px
// but needs only 224² of their pixels, so this does a fraction of the IDCT and colour work.
// Output equals the same window of a full decode (ISLOW DCT, fancy upsampling: OpenSlide's
// settings); the fast-path tests compare against OpenSlide itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pathodino::data {

// Writes rows [y, y + height) × columns [x, x + width) of the decoded RGB image to `out` (3 bytes
// per pixel, `out_stride` bytes per row). Returns an empty string, or libjpeg's message on error.
// scale_denom 2, 4 or 8 decodes at that fraction of the size with libjpeg's DCT scaling (the
// inverse transform of the low frequencies only: a smaller image for less work, close to an area
// average of the full one); the window is then in the scaled image's pixels.
std::string decode_jpeg_window(const std::vector<uint8_t>& stream, int64_t x, int64_t y,
                               int64_t width, int64_t height, uint8_t* out, size_t out_stride,
                               int scale_denom = 1);

}  // namespace pathodino::data
