#include "trainer/distributed/nccl_communicator.h"

#include <stdexcept>

#if PATHODINO_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <nccl.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "trainer/distributed/stall_watchdog.h"
#endif

namespace pathodino::distributed {

#if PATHODINO_WITH_CUDA
namespace {

using Clock = std::chrono::steady_clock;

void check_nccl(ncclResult_t result, const char* call) {
  if (result != ncclSuccess)
    throw std::runtime_error(std::string("NCCL: ") + call + ": " + ncclGetErrorString(result));
}

ncclDataType_t nccl_type(const torch::Tensor& t, const std::string& what) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return ncclFloat32;
    case torch::kFloat64:
      return ncclFloat64;
    case torch::kBFloat16:
      return ncclBfloat16;
    case torch::kFloat16:
      return ncclFloat16;
    case torch::kInt64:
      return ncclInt64;
    case torch::kInt32:
      return ncclInt32;
    case torch::kUInt8:
      return ncclUint8;
    default:
      throw std::invalid_argument(what + ": no NCCL type for this dtype");
  }
}

void check_cuda_contiguous(const torch::Tensor& t, const std::string& what) {
  if (!t.is_cuda() || !t.is_contiguous())
    throw std::invalid_argument(what + ": the NCCL backend needs a contiguous CUDA tensor");
}

// One collective on the comm stream; `done` is recorded after it.
struct Inflight {
  int64_t sequence = 0, step = 0;
  std::string what;
  Clock::time_point enqueued;
  at::cuda::CUDAEvent done{cudaEventDisableTiming};
  std::atomic<bool> complete{false};
  Clock::time_point finished;
};

class NcclPending final : public PendingCollective {
 public:
  explicit NcclPending(std::shared_ptr<Inflight> op) : op_(std::move(op)) {}
  void wait() override {  // orders the compute stream after the collective; does not block
    op_->done.block(c10::cuda::getCurrentCUDAStream());
  }
  TimePoint started() const override { return op_->enqueued; }
  TimePoint finished() const override {
    op_->done.synchronize();  // only the overlap timeline asks; it may block
    return op_->complete ? op_->finished : Clock::now();
  }

 private:
  std::shared_ptr<Inflight> op_;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(MPI_Comm parent, int device_index, double timeout_seconds)
      : device_(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device_index)),
        timeout_seconds_(timeout_seconds),
        stream_(c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device_.index())) {
    MPI_Comm_rank(parent, &rank_);
    MPI_Comm_size(parent, &size_);
    watchdog_ = std::make_unique<StallWatchdog>(parent);
    ncclUniqueId id;
    if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, parent);
    c10::cuda::CUDAGuard guard(device_);
    check_nccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
    poller_ = std::thread([this] { poll(); });
  }

  ~NcclCommunicator() override {
    stop_ = true;
    poller_.join();
    if (comm_ != nullptr) ncclCommDestroy(comm_);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  std::string backend() const override { return "nccl"; }
  void set_step(int64_t step) override { step_ = step; }

  std::unique_ptr<PendingCollective> start_all_reduce_sum(torch::Tensor tensor,
                                                          std::string what) override {
    check_cuda_contiguous(tensor, what);
    const auto type = nccl_type(tensor, what);
    return std::make_unique<NcclPending>(launch(what, {tensor}, [&](cudaStream_t s) {
      return ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), type, ncclSum,
                           comm_, s);
    }));
  }

  void broadcast(torch::Tensor tensor, int root, std::string what) override {
    check_cuda_contiguous(tensor, what);
    const auto type = nccl_type(tensor, what);
    NcclPending(launch(what, {tensor}, [&](cudaStream_t s) {
      return ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), type, root, comm_,
                           s);
    })).wait();
  }

  torch::Tensor all_gather(const torch::Tensor& tensor, std::string what) override {
    const torch::Tensor input = tensor.contiguous();
    check_cuda_contiguous(input, what);
    std::vector<int64_t> shape{size_};
    for (int64_t d : input.sizes()) shape.push_back(d);
    torch::Tensor output = torch::empty(shape, input.options());
    const auto type = nccl_type(input, what);
    NcclPending(launch(what, {input, output}, [&](cudaStream_t s) {
      return ncclAllGather(input.data_ptr(), output.data_ptr(), input.numel(), type, comm_, s);
    })).wait();
    return output;
  }

  std::unique_ptr<PendingCollective> start_reduce_scatter_sum(torch::Tensor input,
                                                              torch::Tensor output,
                                                              std::string what) override {
    check_cuda_contiguous(input, what);
    check_cuda_contiguous(output, what);
    if (input.numel() != output.numel() * size_)
      throw std::invalid_argument(what + ": input numel must be world size x output numel");
    const auto type = nccl_type(input, what);
    return std::make_unique<NcclPending>(launch(what, {input, output}, [&](cudaStream_t s) {
      return ncclReduceScatter(input.data_ptr(), output.data_ptr(), output.numel(), type, ncclSum,
                               comm_, s);
    }));
  }

  std::unique_ptr<PendingCollective> start_all_gather_in_place(torch::Tensor flat,
                                                               std::string what) override {
    check_cuda_contiguous(flat, what);
    if (flat.numel() % size_ != 0)
      throw std::invalid_argument(what + ": numel not divisible by the world size");
    const auto type = nccl_type(flat, what);
    const int64_t chunk = flat.numel() / size_;
    // In place: NCCL reads this rank's input from its own slot of the output.
    return std::make_unique<NcclPending>(launch(what, {flat}, [&](cudaStream_t s) {
      auto* base = static_cast<char*>(flat.data_ptr());
      return ncclAllGather(base + rank_ * chunk * flat.element_size(), base, chunk, type, comm_, s);
    }));
  }

  void barrier(std::string what) override {
    auto token = torch::zeros({1}, torch::TensorOptions().device(device_));
    start_all_reduce_sum(token, std::move(what))->wait();
    c10::cuda::getCurrentCUDAStream(device_.index()).synchronize();
  }

 private:
  template <typename Call>
  std::shared_ptr<Inflight> launch(const std::string& what,
                                   std::initializer_list<torch::Tensor> tensors, Call call) {
    c10::cuda::CUDAGuard guard(device_);
    auto op = std::make_shared<Inflight>();
    op->sequence = ++sequence_;
    op->step = step_;
    op->what = what;
    op->enqueued = Clock::now();
    watchdog_->arrived(op->sequence, what, op->step);
    at::cuda::CUDAEvent inputs_ready(cudaEventDisableTiming);
    inputs_ready.record(c10::cuda::getCurrentCUDAStream(device_.index()));
    inputs_ready.block(stream_);
    // The tensors are in use on the comm stream: the allocator must not reuse them early.
    for (const torch::Tensor& t : tensors)
      c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), stream_);
    check_nccl(call(stream_.stream()), what.c_str());
    op->done.record(stream_);
    std::lock_guard lock(mutex_);
    inflight_.push_back(op);
    return op;
  }

  // The watchdog: completes finished collectives, aborts on an old one or an async NCCL error.
  void poll() {
    c10::cuda::CUDAGuard guard(device_);
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ncclResult_t async_error = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async_error);
      std::shared_ptr<Inflight> oldest;
      {
        std::lock_guard lock(mutex_);
        while (!inflight_.empty() && inflight_.front()->done.query()) {
          inflight_.front()->finished = Clock::now();
          inflight_.front()->complete = true;
          inflight_.pop_front();
        }
        if (!inflight_.empty()) oldest = inflight_.front();
      }
      const double age =
          oldest ? std::chrono::duration<double>(Clock::now() - oldest->enqueued).count() : 0.0;
      if (async_error != ncclSuccess || age > timeout_seconds_) {
        if (async_error != ncclSuccess)
          std::fprintf(stderr, "pathodino: NCCL asynchronous error on rank %d: %s\n", rank_,
                       ncclGetErrorString(async_error));
        ncclCommAbort(comm_);
        comm_ = nullptr;
        watchdog_->abort_stalled(oldest ? oldest->sequence : sequence_.load(),
                                 oldest ? oldest->what : "NCCL communicator",
                                 oldest ? oldest->step : step_.load(), age);
      }
    }
  }

  c10::Device device_;
  double timeout_seconds_;
  c10::cuda::CUDAStream stream_;
  int rank_ = 0, size_ = 1;
  ncclComm_t comm_ = nullptr;
  std::unique_ptr<StallWatchdog> watchdog_;
  std::atomic<int64_t> sequence_{0}, step_{-1};
  std::mutex mutex_;
  std::deque<std::shared_ptr<Inflight>> inflight_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm parent, int device_index,
                                                     double timeout_seconds) {
  return std::make_unique<NcclCommunicator>(parent, device_index, timeout_seconds);
}

#else

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm, int, double) {
  throw std::runtime_error(
      "distributed.backend nccl: this build has no CUDA/NCCL (see `pathodino doctor`)");
}

#endif

}  // namespace pathodino::distributed
