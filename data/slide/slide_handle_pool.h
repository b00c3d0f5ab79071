// SlideHandlePool: the open slides of a training run, shared by the loader threads (OpenSlide
// handles are thread-safe). Opened on first use, at most `max_open` kept (least recently used
// closed first). A read that fails puts an OpenSlide handle into its error state for good, so the
// pool closes it and reopens the slide once before retrying; a read that still fails throws
// SlideError for the caller to skip. After `quarantine_after` failed reads a slide is quarantined
// for the rest of the run: one line through `warn`, and every later read throws at once.
// With `tiff_fast_path`, TIFF-family slides are read through TiffRegionReader (pixel-identical,
// several times faster); whatever it declines or fails on goes to OpenSlide, which decides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "data/slide/openslide_handle.h"
#include "data/slide/tiff_region_reader.h"

namespace pathodino::data {

struct SlidePoolOptions {
  int64_t max_open = 128;
  int64_t quarantine_after = 3;
  bool tiff_fast_path = true;
  std::function<void(const std::string&)> warn;  // default: stderr
};

class SlideHandlePool {
 public:
  SlideHandlePool(std::vector<std::filesystem::path> slides, SlidePoolOptions options);

  // With `reduce` > 1 the region may come back decoded at 1/reduce of its size (the fast path's
  // DCT scaling, TiffRegionReader::read_region), or at full size where that is declined: the
  // caller resizes what it gets.
  RgbImage read_region(size_t slide, int64_t x, int64_t y, int32_t level, int64_t width,
                       int64_t height, int reduce = 1);
  bool quarantined(size_t slide) const;
  int64_t quarantined_count() const;
  int64_t open_count() const;
  int64_t reopen_count() const;      // handles closed after an error (reopened on next use)
  int64_t fast_path_slides() const;  // open slides read through the fast path

 private:
  struct Slot {
    std::shared_ptr<OpenSlideHandle> handle;
    std::shared_ptr<const TiffRegionReader> fast;  // null: not a fast-path slide
    uint64_t generation = 0;  // bumped on every (re)open: concurrent failures reopen only once
    int64_t failures = 0;
    bool quarantined = false;
    std::string last_error;
    std::list<size_t>::iterator lru_position;
    bool in_lru = false;
  };

  struct Acquired {
    std::shared_ptr<OpenSlideHandle> handle;
    std::shared_ptr<const TiffRegionReader> fast;
    uint64_t generation = 0;
  };
  // The slide's current handles (opened if needed) and their generation; throws SlideError.
  Acquired acquire(size_t slide);
  // Records a failure of generation `generation`; closes that handle so the next acquire reopens.
  void record_failure(size_t slide, uint64_t generation, const std::string& error);

  std::vector<std::filesystem::path> files_;
  SlidePoolOptions options_;
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::list<size_t> lru_;  // most recently used first
  int64_t quarantined_ = 0, reopens_ = 0;
};

}  // namespace pathodino::data
