// One long-lived background thread that runs its owner's jobs one at a time (the checkpoint
// writer's whole async save: copy, collectives, shard write, commit, retention). Started once, not
// per job: a thread created at a step boundary runs first and held the training thread off its core
// for 5–9 ms (benchmarks/RESULTS.md, "Async save stall, the fixed cost per save"). The thread runs
// in the background (background_thread.h), so posting a job does not preempt the poster either.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace pathodino::system {

class BackgroundWorker {
 public:
  BackgroundWorker();
  ~BackgroundWorker();  // waits for the job in hand, then stops the thread
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Runs `job` on the worker thread; the previous job must have been waited for. A job must not
  // throw (as with std::thread, an escaping exception terminates the process).
  void post(std::function<void()> job);
  // Until the posted job has returned; at once when there is none.
  void wait();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;  // under mutex_: the job posted and not yet finished
  bool stopping_ = false;
  std::thread thread_;  // last: started after the state it reads
};

}  // namespace pathodino::system
