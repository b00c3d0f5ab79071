#include "trainer/distributed/stall_watchdog.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

namespace pathodino::distributed {
namespace {

constexpr int kQueryTag = 7101, kReplyTag = 7102;
constexpr double kAnswerSeconds = 5.0;

// What a rank answers: its last collective, fixed size so one MPI message carries it.
struct Answer {
  int64_t sequence = -1, step = -1;
  std::array<char, 112> what{};
};

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

StallWatchdog::StallWatchdog(MPI_Comm parent) {
  MPI_Comm_dup(parent, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  if (size_ > 1) responder_ = std::thread([this] { respond(); });
}

StallWatchdog::~StallWatchdog() {
  stop_ = true;
  if (responder_.joinable()) responder_.join();
  MPI_Comm_free(&comm_);
}

void StallWatchdog::arrived(int64_t sequence, const std::string& what, int64_t step) {
  std::lock_guard lock(mutex_);
  position_ = {sequence, step, what};
}

// Polls instead of blocking: a blocking MPI receive spins a core, and the cores belong to training.
void StallWatchdog::respond() {
  while (!stop_) {
    int64_t query = 0;
    MPI_Request request;
    MPI_Irecv(&query, 1, MPI_INT64_T, MPI_ANY_SOURCE, kQueryTag, comm_, &request);
    int done = 0;
    MPI_Status status;
    while (!stop_) {
      MPI_Test(&request, &done, &status);
      if (done) break;
      sleep_ms(20);
    }
    if (!done) {
      MPI_Cancel(&request);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
      return;
    }
    Answer answer;
    {
      std::lock_guard lock(mutex_);
      answer.sequence = position_.sequence;
      answer.step = position_.step;
      std::strncpy(answer.what.data(), position_.what.c_str(), answer.what.size() - 1);
    }
    MPI_Send(&answer, sizeof(Answer), MPI_BYTE, status.MPI_SOURCE, kReplyTag, comm_);
  }
}

std::string StallWatchdog::report(int rank, int64_t sequence, const std::string& what, int64_t step,
                                  double waited_seconds, const std::vector<RankPosition>& ranks) {
  std::ostringstream out;
  out << "pathodino: collective timed out on rank " << rank << " after " << waited_seconds
      << " s (distributed.timeout_s): " << what << " at step " << step << " (collective #"
      << sequence << ")\n";
  std::vector<int> missing;
  for (int r = 0; r < static_cast<int>(ranks.size()); ++r)
    if (ranks[r].sequence < sequence) missing.push_back(r);
  out << "  ranks that did not arrive:";
  if (missing.empty()) out << " none (all arrived; the transfer itself hung)";
  for (size_t i = 0; i < missing.size(); ++i) out << (i ? ", " : " ") << missing[i];
  out << "\n";
  for (int r : missing) {
    const RankPosition& p = ranks[r];
    out << "  rank " << r << ": ";
    if (p.sequence < 0 && p.what.empty())
      out << "did not answer within " << kAnswerSeconds << " s (dead or stopped?)\n";
    else
      out << "last arrived at " << p.what << " at step " << p.step << " (collective #" << p.sequence
          << ")\n";
  }
  out << "  aborting the job (exit " << kStalledExitCode << ")";
  return out.str();
}

void StallWatchdog::abort_stalled(int64_t sequence, const std::string& what, int64_t step,
                                  double waited_seconds) {
  std::vector<RankPosition> ranks(size_);
  ranks[rank_] = {sequence, step, what};
  std::vector<Answer> answers(size_);
  std::vector<MPI_Request> requests;
  std::vector<int> sources;
  int64_t query = sequence;
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    MPI_Request send, receive;
    MPI_Isend(&query, 1, MPI_INT64_T, r, kQueryTag, comm_, &send);
    MPI_Request_free(&send);
    MPI_Irecv(&answers[r], sizeof(Answer), MPI_BYTE, r, kReplyTag, comm_, &receive);
    requests.push_back(receive);
    sources.push_back(r);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(kAnswerSeconds);
  std::vector<bool> answered(requests.size(), false);
  size_t pending = requests.size();
  while (pending > 0 && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < requests.size(); ++i) {
      if (answered[i]) continue;
      int done = 0;
      MPI_Test(&requests[i], &done, MPI_STATUS_IGNORE);
      if (done) {
        answered[i] = true;
        --pending;
        const Answer& a = answers[sources[i]];
        ranks[sources[i]] = {a.sequence, a.step, std::string(a.what.data())};
      }
    }
    sleep_ms(10);
  }
  const std::string text = report(rank_, sequence, what, step, waited_seconds, ranks);
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, kStalledExitCode);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace pathodino::distributed
