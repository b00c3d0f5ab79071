#include "data/slide/slide_handle_pool.h"

#include <iostream>

namespace pathodino::data {

SlideHandlePool::SlideHandlePool(std::vector<std::filesystem::path> slides,
                                 SlidePoolOptions options)
    : files_(std::move(slides)), options_(std::move(options)), slots_(files_.size()) {
  if (options_.max_open < 1) options_.max_open = 1;
  if (!options_.warn)
    options_.warn = [](const std::string& line) { std::cerr << "warning: " << line << "\n"; };
}

SlideHandlePool::Acquired SlideHandlePool::acquire(size_t slide) {
  std::unique_lock lock(mutex_);
  Slot& slot = slots_.at(slide);
  if (slot.quarantined)
    throw SlideError(files_[slide].string() + ": quarantined (" + slot.last_error + ")");
  if (slot.handle) {
    lru_.splice(lru_.begin(), lru_, slot.lru_position);
    return {slot.handle, slot.fast, slot.generation};
  }
  const uint64_t generation = ++slot.generation;
  lock.unlock();
  // Opening reads the file's directory structure: done outside the lock, other slides go on.
  std::shared_ptr<OpenSlideHandle> handle;
  std::shared_ptr<const TiffRegionReader> fast;
  try {
    handle = std::make_shared<OpenSlideHandle>(files_[slide]);
  } catch (const SlideError& e) {
    record_failure(slide, generation, e.what());
    throw;
  }
  if (options_.tiff_fast_path) {
    try {
      const auto [width, height] = handle->level_size(0);
      fast = std::make_shared<const TiffRegionReader>(files_[slide], handle->level_count(), width,
                                                      height);
    } catch (const std::exception&) {
      // Not a TIFF the fast path reads exactly: OpenSlide alone reads this slide.
    }
  }
  lock.lock();
  if (slot.generation == generation && !slot.quarantined) {
    slot.handle = handle;
    slot.fast = fast;
    lru_.push_front(slide);
    slot.lru_position = lru_.begin();
    slot.in_lru = true;
    while (static_cast<int64_t>(lru_.size()) > options_.max_open) {
      Slot& oldest = slots_[lru_.back()];
      oldest.handle.reset();  // readers holding it keep it alive until they finish
      oldest.fast.reset();
      oldest.in_lru = false;
      lru_.pop_back();
    }
  }
  return {handle, fast, generation};
}

void SlideHandlePool::record_failure(size_t slide, uint64_t generation, const std::string& error) {
  std::string quarantine_line;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[slide];
    ++slot.failures;
    slot.last_error = error;
    if (slot.generation == generation && slot.handle) {
      slot.handle.reset();
      slot.fast.reset();
      ++reopens_;
      if (slot.in_lru) lru_.erase(slot.lru_position);
      slot.in_lru = false;
    }
    if (!slot.quarantined && slot.failures >= options_.quarantine_after) {
      slot.quarantined = true;
      ++quarantined_;
      quarantine_line = files_[slide].string() + ": quarantined for the rest of the run after " +
                        std::to_string(slot.failures) + " failed reads; last: " + error;
    }
  }
  if (!quarantine_line.empty()) options_.warn(quarantine_line);
}

RgbImage SlideHandlePool::read_region(size_t slide, int64_t x, int64_t y, int32_t level,
                                      int64_t width, int64_t height, int reduce) {
  for (int attempt = 0;; ++attempt) {
    const Acquired open = acquire(slide);
    if (open.fast) {
      // Declined (FastPathUnsupported) or a damaged tile: a full-size decode, then OpenSlide,
      // reads it or reports why.
      for (const int r : {reduce, 1}) {
        try {
          return open.fast->read_region(x, y, level, width, height, r);
        } catch (const std::exception&) {
        }
        if (reduce == 1) break;  // the full size was the first try
      }
    }
    try {
      return open.handle->read_region(x, y, level, width, height);
    } catch (const SlideError& e) {
      record_failure(slide, open.generation, e.what());
      if (attempt >= 1) throw;  // reopened once already: the caller skips this read
    }
  }
}

bool SlideHandlePool::quarantined(size_t slide) const {
  std::lock_guard lock(mutex_);
  return slots_.at(slide).quarantined;
}

int64_t SlideHandlePool::quarantined_count() const {
  std::lock_guard lock(mutex_);
  return quarantined_;
}

int64_t SlideHandlePool::open_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(lru_.size());
}

int64_t SlideHandlePool::fast_path_slides() const {
  std::lock_guard lock(mutex_);
  int64_t n = 0;
  for (const Slot& slot : slots_) n += slot.fast != nullptr;
  return n;
}

int64_t SlideHandlePool::reopen_count() const {
  std::lock_guard lock(mutex_);
  return reopens_;
}

}  // namespace pathodino::data
