// Communicator: the collectives data-parallel training needs, on whole tensors, with one
// implementation per backend — MpiCommunicator for CPU tensors, NcclCommunicator for CUDA tensors
// (make_communicator picks). Every rank must start the same collectives in the same order; a
// collective that does not complete within the timeout aborts the whole job with a report of the
// ranks that did not arrive (see stall_watchdog.h), so a lost rank never means a silent hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <torch/types.h>

namespace pathodino::distributed {

// A started collective. wait() returns once the result may be used: written in host memory (MPI),
// or ordered before later work on the current CUDA stream (NCCL).
class PendingCollective {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
  // When the backend began and finished the transfer (after wait(); for the overlap timeline).
  virtual TimePoint started() const = 0;
  virtual TimePoint finished() const = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;
  // The training step named in timeout reports.
  virtual void set_step(int64_t step) = 0;

  // In-place sum over ranks. `what` names the operation in timeout reports.
  virtual std::unique_ptr<PendingCollective> start_all_reduce_sum(torch::Tensor tensor,
                                                                  std::string what) = 0;
  // The same, for a small sum waited for off the training path (an async checkpoint save's
  // steps, on its background thread): the backend may wait for late ranks without spinning a
  // core that training needs meanwhile.
  virtual std::unique_ptr<PendingCollective> start_unhurried_all_reduce_sum(torch::Tensor tensor,
                                                                            std::string what) {
    return start_all_reduce_sum(std::move(tensor), std::move(what));
  }
  virtual void broadcast(torch::Tensor tensor, int root, std::string what) = 0;
  // Every rank's `tensor` stacked: [world_size, *tensor.shape].
  virtual torch::Tensor all_gather(const torch::Tensor& tensor, std::string what) = 0;
  // Sum over ranks of contiguous `input` (numel = world size × output numel) into `output`: this
  // rank's chunk, elements [rank · n, (rank + 1) · n) of the sum.
  virtual std::unique_ptr<PendingCollective> start_reduce_scatter_sum(torch::Tensor input,
                                                                      torch::Tensor output,
                                                                      std::string what) = 0;
  // In place: chunk r of `flat` (numel divisible by the world size) from rank r, to every rank.
  virtual std::unique_ptr<PendingCollective> start_all_gather_in_place(torch::Tensor flat,
                                                                       std::string what) = 0;
  virtual void barrier(std::string what) = 0;

  void all_reduce_sum(torch::Tensor tensor, std::string what) {
    start_all_reduce_sum(std::move(tensor), std::move(what))->wait();
  }
  // Sum over ranks of `tensor` (numel divisible by the world size); returns this rank's chunk.
  torch::Tensor reduce_scatter_sum(const torch::Tensor& tensor, std::string what);
};

}  // namespace pathodino::distributed
