#include "trainer/distributed/mpi_communicator.h"

#include <torch/torch.h>

#include <stdexcept>

#include "trainer/system/background_thread.h"

namespace pathodino::distributed {
namespace {

using Clock = std::chrono::steady_clock;

MPI_Datatype mpi_type(const torch::Tensor& t, const std::string& what) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return MPI_FLOAT;
    case torch::kFloat64:
      return MPI_DOUBLE;
    case torch::kInt64:
      return MPI_INT64_T;
    case torch::kInt32:
      return MPI_INT32_T;
    case torch::kUInt8:
      return MPI_UINT8_T;
    default:
      throw std::invalid_argument(what +
                                  ": MPI collectives take float32/64, int32/64 or uint8, not " +
                                  std::string(c10::toString(t.scalar_type())));
  }
}

void check_host_contiguous(const torch::Tensor& t, const std::string& what) {
  if (!t.device().is_cpu() || !t.is_contiguous())
    throw std::invalid_argument(what + ": the MPI backend needs a contiguous CPU tensor");
}

int count_of(const torch::Tensor& t) { return static_cast<int>(t.numel()); }

// Large collectives (gradient buckets) first wait, sleeping, until every rank has reached them, so
// that the blocking collective's busy-wait only covers the transfer itself: a rank that arrives
// early at a bucket would otherwise spin a core that its own backward needs. (Whether to wait is
// decided by size, or by the call — start_unhurried_all_reduce_sum —, so that every rank makes the
// same choice: the wait is a collective.) An unhurried sum waits so too: spinning through the
// other rank's lateness, the comm thread took 2–5 ms of a checkpoint poll's core. The
// first 200 µs spin: when the others are already there (buckets queued back to back, as at the end
// of backward), going to sleep cost ~5 ms per bucket (the wake-up of an idle core), halving
// the bucketed bandwidth (benchmarks/RESULTS.md, "Data parallel over MPI").
constexpr int64_t kHandshakeBytes = 256 << 10;
constexpr auto kHandshakeSpin = std::chrono::microseconds(200);

bool large(const torch::Tensor& t) { return static_cast<int64_t>(t.nbytes()) >= kHandshakeBytes; }

void wait_for_all_ranks(MPI_Comm comm) {
  MPI_Request request;
  MPI_Ibarrier(comm, &request);
  int done = 0;
  const auto spin_until = Clock::now() + kHandshakeSpin;
  for (;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (Clock::now() >= spin_until) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace

struct MpiCommunicator::Task {
  std::string what;
  bool handshake = false;
  int64_t sequence = 0, step = 0;
  std::function<void(MPI_Comm)> run;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool done = false;
  Clock::time_point started, finished;
};

namespace {

class MpiPending final : public PendingCollective {
 public:
  using Oldest = std::function<std::shared_ptr<MpiCommunicator::Task>()>;
  MpiPending(std::shared_ptr<MpiCommunicator::Task> task, double timeout_seconds,
             StallWatchdog* watchdog, Oldest oldest_unfinished)
      : task_(std::move(task)),
        timeout_seconds_(timeout_seconds),
        watchdog_(watchdog),
        oldest_unfinished_(std::move(oldest_unfinished)) {}

  void wait() override {
    std::unique_lock lock(task_->mutex);
    const auto waited_from = Clock::now();
    if (!task_->finished_cv.wait_for(lock, std::chrono::duration<double>(timeout_seconds_),
                                     [&] { return task_->done; })) {
      lock.unlock();
      // Collectives run in order, so the one that hangs is the oldest unfinished, which need not
      // be the one waited for (the reducer waits for its last bucket first).
      std::shared_ptr<MpiCommunicator::Task> stalled = oldest_unfinished_();
      if (!stalled) stalled = task_;
      watchdog_->abort_stalled(stalled->sequence, stalled->what, stalled->step,
                               std::chrono::duration<double>(Clock::now() - waited_from).count());
    }
  }
  TimePoint started() const override { return task_->started; }
  TimePoint finished() const override { return task_->finished; }

 private:
  std::shared_ptr<MpiCommunicator::Task> task_;
  double timeout_seconds_;
  StallWatchdog* watchdog_;
  Oldest oldest_unfinished_;
};

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm parent, double timeout_seconds, bool background)
    : timeout_seconds_(timeout_seconds) {
  MPI_Comm_dup(parent, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  watchdog_ = std::make_unique<StallWatchdog>(comm_);
  thread_ = std::thread([this, background] {
    if (background) system::run_calling_thread_in_background();
    run();
  });
}

MpiCommunicator::~MpiCommunicator() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
  watchdog_.reset();
  MPI_Comm_free(&comm_);
}

void MpiCommunicator::set_step(int64_t step) {
  std::lock_guard lock(mutex_);
  step_ = step;
}

std::unique_ptr<PendingCollective> MpiCommunicator::submit(std::string what,
                                                           std::function<void(MPI_Comm)> run,
                                                           bool handshake) {
  auto task = std::make_shared<Task>();
  task->handshake = handshake;
  task->what = std::move(what);
  task->run = std::move(run);
  {
    std::lock_guard lock(mutex_);
    task->sequence = ++sequence_;
    task->step = step_;
    watchdog_->arrived(task->sequence, task->what, task->step);
    queue_.push_back(task);
  }
  work_ready_.notify_one();
  return std::make_unique<MpiPending>(task, timeout_seconds_, watchdog_.get(),
                                      [this] { return oldest_unfinished(); });
}

std::shared_ptr<MpiCommunicator::Task> MpiCommunicator::oldest_unfinished() {
  std::lock_guard lock(mutex_);
  return queue_.empty() ? nullptr : queue_.front();
}

// A task stays at the queue's front while it runs, so the front is always the oldest unfinished.
void MpiCommunicator::run() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = queue_.front();
    }
    if (task->handshake) wait_for_all_ranks(comm_);
    task->started = Clock::now();  // the transfer, not the wait for the other ranks
    task->run(comm_);
    {
      std::lock_guard lock(task->mutex);
      task->finished = Clock::now();
      task->done = true;
    }
    {
      std::lock_guard lock(mutex_);
      queue_.pop_front();
    }
    task->finished_cv.notify_all();
  }
}

std::unique_ptr<PendingCollective> MpiCommunicator::all_reduce_sum_task(torch::Tensor tensor,
                                                                        std::string what,
                                                                        bool handshake) {
  check_host_contiguous(tensor, what);
  const MPI_Datatype type = mpi_type(tensor, what);
  return submit(
      std::move(what),
      [tensor, type](MPI_Comm comm) {
        MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), count_of(tensor), type, MPI_SUM, comm);
      },
      handshake);
}

std::unique_ptr<PendingCollective> MpiCommunicator::start_all_reduce_sum(torch::Tensor tensor,
                                                                         std::string what) {
  const bool handshake = large(tensor);
  return all_reduce_sum_task(std::move(tensor), std::move(what), handshake);
}

std::unique_ptr<PendingCollective> MpiCommunicator::start_unhurried_all_reduce_sum(
    torch::Tensor tensor, std::string what) {
  return all_reduce_sum_task(std::move(tensor), std::move(what), /*handshake=*/true);
}

void MpiCommunicator::broadcast(torch::Tensor tensor, int root, std::string what) {
  check_host_contiguous(tensor, what);
  const MPI_Datatype type = mpi_type(tensor, what);
  submit(std::move(what), [tensor, type, root](MPI_Comm comm) {
    MPI_Bcast(tensor.data_ptr(), count_of(tensor), type, root, comm);
  })->wait();
}

torch::Tensor MpiCommunicator::all_gather(const torch::Tensor& tensor, std::string what) {
  const torch::Tensor input = tensor.contiguous();
  check_host_contiguous(input, what);
  const MPI_Datatype type = mpi_type(input, what);
  std::vector<int64_t> shape{size_};
  for (int64_t d : input.sizes()) shape.push_back(d);
  torch::Tensor output = torch::empty(shape, input.options());
  submit(std::move(what), [input, output, type](MPI_Comm comm) {
    MPI_Allgather(input.data_ptr(), count_of(input), type, output.data_ptr(), count_of(input), type,
                  comm);
  })->wait();
  return output;
}

std::unique_ptr<PendingCollective> MpiCommunicator::start_reduce_scatter_sum(torch::Tensor input,
                                                                             torch::Tensor output,
                                                                             std::string what) {
  check_host_contiguous(input, what);
  check_host_contiguous(output, what);
  if (input.numel() != output.numel() * size_ || input.scalar_type() != output.scalar_type())
    throw std::invalid_argument(what + ": reduce-scatter of " + std::to_string(input.numel()) +
                                " elements into " + std::to_string(output.numel()) + " over " +
                                std::to_string(size_) + " ranks");
  const MPI_Datatype type = mpi_type(input, what);
  return submit(
      std::move(what),
      [input, output, type](MPI_Comm comm) {
        MPI_Reduce_scatter_block(input.data_ptr(), output.data_ptr(), count_of(output), type,
                                 MPI_SUM, comm);
      },
      large(input));
}

std::unique_ptr<PendingCollective> MpiCommunicator::start_all_gather_in_place(torch::Tensor flat,
                                                                              std::string what) {
  check_host_contiguous(flat, what);
  if (flat.numel() % size_ != 0)
    throw std::invalid_argument(what + ": all-gather of " + std::to_string(flat.numel()) +
                                " elements over " + std::to_string(size_) + " ranks");
  const MPI_Datatype type = mpi_type(flat, what);
  const int chunk = static_cast<int>(flat.numel() / size_);
  return submit(
      std::move(what),
      [flat, type, chunk](MPI_Comm comm) {
        MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, flat.data_ptr(), chunk, type, comm);
      },
      large(flat));
}

void MpiCommunicator::barrier(std::string what) {
  submit(std::move(what), [](MPI_Comm comm) { MPI_Barrier(comm); })->wait();
}

}  // namespace pathodino::distributed
