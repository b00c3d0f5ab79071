#include "trainer/eval/batch_read_ahead.h"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

#include "data/augment/resized_crop.h"

namespace pathodino::eval {
namespace {

// Images [start, start + count) of a list, resized, with `threads` threads taking every
// threads-th image. The first failed read (in thread order) is kept in `error`.
ImageBatch read_batch(const ImageList& list, int64_t start, int64_t count, int64_t image_size,
                      int64_t threads) {
  ImageBatch batch;
  batch.start = start;
  batch.images = torch::empty({count, 3, image_size, image_size});
  batch.labels.assign(static_cast<size_t>(count), -1);
  float* out = batch.images.data_ptr<float>();
  const int64_t plane = 3 * image_size * image_size;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  const auto work = [&](int64_t t) {
    try {
      for (int64_t i = t; i < count; i += threads) {
        const data::LabelledImage item =
            list.source->read(list.indices[static_cast<size_t>(start + i)]);
        const data::FloatImage resized = data::crop_and_resize(
            item.image, {0, 0, item.image.height, item.image.width}, image_size);
        std::copy(resized.pixels.begin(), resized.pixels.end(), out + i * plane);
        batch.labels[static_cast<size_t>(i)] = item.label;
      }
    } catch (...) {
      errors[static_cast<size_t>(t)] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (int64_t t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (std::thread& h : helpers) h.join();
  for (const std::exception_ptr& e : errors)
    if (e) {
      batch.error = e;
      batch.images = torch::Tensor();
      break;
    }
  return batch;
}

}  // namespace

BatchReadAhead::BatchReadAhead(std::vector<ImageList> lists, int64_t image_size, int64_t batch_size,
                               int64_t threads)
    : lists_(std::move(lists)),
      image_size_(image_size),
      threads_(std::max<int64_t>(threads, 1)),
      failed_(lists_.size(), false) {
  const int64_t step = std::max<int64_t>(batch_size, 1);
  for (size_t l = 0; l < lists_.size(); ++l) {
    const auto n = static_cast<int64_t>(lists_[l].indices.size());
    for (int64_t start = 0; start < n; start += step)
      jobs_.push_back({l, start, std::min(step, n - start)});
  }
  start_read();
}

BatchReadAhead::~BatchReadAhead() {
  if (pending_.valid()) pending_.wait();
}

// Starts reading the next job whose list has not failed, if any.
void BatchReadAhead::start_read() {
  while (next_job_ < jobs_.size() && failed_[jobs_[next_job_].list]) ++next_job_;
  if (next_job_ == jobs_.size()) {
    pending_job_.reset();
    return;
  }
  const Job job = jobs_[next_job_++];
  pending_job_ = job;
  pending_ = std::async(std::launch::async, read_batch, std::cref(lists_[job.list]), job.start,
                        job.count, image_size_, threads_);
}

std::optional<ImageBatch> BatchReadAhead::next() {
  if (!pending_job_) return std::nullopt;
  const Job job = *pending_job_;
  ImageBatch batch = pending_.get();
  batch.list = job.list;
  if (batch.error) failed_[job.list] = true;
  batch.last =
      batch.error || job.start + job.count == static_cast<int64_t>(lists_[job.list].indices.size());
  start_read();
  return batch;
}

}  // namespace pathodino::eval
