#include "trainer/system/background_worker.h"

#include <stdexcept>

#include "trainer/system/background_thread.h"

namespace pathodino::system {

BackgroundWorker::BackgroundWorker() : thread_([this] { run(); }) {}

BackgroundWorker::~BackgroundWorker() {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !job_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundWorker::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (job_) throw std::logic_error("BackgroundWorker::post: the previous job is still running");
    job_ = std::move(job);
  }
  changed_.notify_all();
}

void BackgroundWorker::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !job_; });
}

void BackgroundWorker::run() {
  run_calling_thread_in_background();
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || job_; });
    if (!job_) return;  // stopping, nothing left
    std::function<void()> job = job_;
    lock.unlock();
    job();
    lock.lock();
    job_ = nullptr;
    changed_.notify_all();
  }
}

}  // namespace pathodino::system
