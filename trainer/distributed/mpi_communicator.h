// MpiCommunicator: the Communicator for CPU tensors. Collectives run on one communication thread,
// in the order they were started (the same on every rank), so a gradient bucket is reduced while
// backward keeps computing on the caller's threads, and a caller can wait with a timeout. The
// thread uses Open MPI's blocking (tuned) collectives: its non-blocking ones (libnbc) measured
// 0.25× (polled with sleeps) to 0.70× (spinning) of blocking MPI_Allreduce's bandwidth here, see
// benchmarks/RESULTS.md.
#pragma once

#include <mpi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "trainer/distributed/communicator.h"
#include "trainer/distributed/stall_watchdog.h"

namespace pathodino::distributed {

class MpiCommunicator final : public Communicator {
 public:
  // Duplicates `parent`, so its traffic never mixes with other users of that communicator.
  // `background`: the communicator's thread does not preempt the thread that wakes it
  // (system/background_thread.h) — for traffic that must never hold training up, such as the
  // checkpoint's sums, run by the async save's background thread; gradient buckets want the
  // default.
  MpiCommunicator(MPI_Comm parent, double timeout_seconds, bool background = false);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void set_step(int64_t step) override;

  std::unique_ptr<PendingCollective> start_all_reduce_sum(torch::Tensor tensor,
                                                          std::string what) override;
  std::unique_ptr<PendingCollective> start_unhurried_all_reduce_sum(torch::Tensor tensor,
                                                                    std::string what) override;
  void broadcast(torch::Tensor tensor, int root, std::string what) override;
  torch::Tensor all_gather(const torch::Tensor& tensor, std::string what) override;
  std::unique_ptr<PendingCollective> start_reduce_scatter_sum(torch::Tensor input,
                                                              torch::Tensor output,
                                                              std::string what) override;
  std::unique_ptr<PendingCollective> start_all_gather_in_place(torch::Tensor flat,
                                                               std::string what) override;
  void barrier(std::string what) override;

  struct Task;  // one collective: how to start it, and its completion state

 private:
  // `handshake`: wait, mostly sleeping, until every rank has reached this collective before
  // starting it (see wait_for_all_ranks); every rank must decide alike.
  std::unique_ptr<PendingCollective> submit(std::string what, std::function<void(MPI_Comm)> run,
                                            bool handshake = false);
  std::unique_ptr<PendingCollective> all_reduce_sum_task(torch::Tensor tensor, std::string what,
                                                         bool handshake);
  void run();
  std::shared_ptr<Task> oldest_unfinished();  // the queue's front; null when idle

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  double timeout_seconds_;
  std::unique_ptr<StallWatchdog> watchdog_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<std::shared_ptr<Task>> queue_;  // front: running (or next to run)
  int64_t sequence_ = 0, step_ = -1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pathodino::distributed
