// Reads batches of images ahead of the backbone: the next batch is cut and resized by a pool of
// threads while the caller runs the current one, across the end of one image list and the start
// of the next, so a job made of many short lists (an archive's slides) keeps the backbone as busy
// as one long list would. A list whose read fails is reported once and its remaining batches are
// never read; the lists after it go on.
#pragma once

#include <cstdint>
#include <exception>
#include <future>
#include <optional>
#include <vector>

#include <torch/types.h>

#include "data/image_source.h"

namespace pathodino::eval {

// Images to read, in order: `indices` of `source` (which outlives the reader).
struct ImageList {
  const data::ImageSource* source = nullptr;
  std::vector<int64_t> indices;
};

struct ImageBatch {
  size_t list = 0;       // which list the batch belongs to
  int64_t start = 0;     // its first image's position in that list
  bool last = false;     // no batch of the list follows
  torch::Tensor images;  // [n, 3, size, size] in [0, 1]; undefined when `error` is set
  std::vector<int64_t> labels;
  std::exception_ptr error;  // the first read that failed; the list's last batch then
};

class BatchReadAhead {
 public:
  // Empty lists yield nothing. `threads` (at least 1) read each batch.
  BatchReadAhead(std::vector<ImageList> lists, int64_t image_size, int64_t batch_size,
                 int64_t threads);
  ~BatchReadAhead();  // waits for the batch being read
  BatchReadAhead(const BatchReadAhead&) = delete;
  BatchReadAhead& operator=(const BatchReadAhead&) = delete;

  // The next batch in list order, and the read of the one after it started; nullopt at the end.
  std::optional<ImageBatch> next();

 private:
  struct Job {
    size_t list = 0;
    int64_t start = 0, count = 0;
  };
  void start_read();

  std::vector<ImageList> lists_;
  std::vector<Job> jobs_;
  size_t next_job_ = 0;
  int64_t image_size_, threads_;
  std::optional<Job> pending_job_;
  std::future<ImageBatch> pending_;
  std::vector<bool> failed_;
};

}  // namespace pathodino::eval
