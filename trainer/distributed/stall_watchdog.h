// StallWatchdog: turns a collective that never completes into a diagnosis instead of a hang.
// Each rank records the last collective it arrived at (sequence number, name, step). A responder
// thread answers queries from other ranks on a private communicator. When a rank's collective
// times out, it asks every other rank where it is, prints one report naming the operation, the
// step and the ranks that did not arrive (and what they last did), and aborts the MPI job.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pathodino::distributed {

// Exit status of a job aborted because a collective timed out.
inline constexpr int kStalledExitCode = 4;

class StallWatchdog {
 public:
  explicit StallWatchdog(MPI_Comm parent);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  // This rank has reached collective number `sequence`.
  void arrived(int64_t sequence, const std::string& what, int64_t step);

  // Queries the other ranks (a few seconds at most), prints the report to stderr, MPI_Abort.
  [[noreturn]] void abort_stalled(int64_t sequence, const std::string& what, int64_t step,
                                  double waited_seconds);

  // The report's text from what each rank answered (ranks that did not answer: sequence -1).
  struct RankPosition {
    int64_t sequence = -1, step = -1;
    std::string what;
  };
  static std::string report(int rank, int64_t sequence, const std::string& what, int64_t step,
                            double waited_seconds, const std::vector<RankPosition>& ranks);

 private:
  void respond();

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  mutable std::mutex mutex_;
  RankPosition position_;
  std::atomic<bool> stop_{false};
  std::thread responder_;
};

}  // namespace pathodino::distributed
