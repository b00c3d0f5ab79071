// Keeping the ranks identical where they must be: the same resolved config everywhere, the same
// starting parameters (broadcast from rank 0), and a cheap cross-rank checksum of the parameters
// so that ranks drifting apart (a non-deterministic kernel, a bad node) stop the run with a clear
// message instead of training different models.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/types.h>

#include "trainer/distributed/communicator.h"

namespace pathodino::distributed {

class RanksDisagree : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// xxHash (XXH3-64) of the tensors' bytes, in order.
uint64_t checksum(const std::vector<torch::Tensor>& tensors);

uint64_t checksum(const std::string& text);

// All-gathers `value`; throws RanksDisagree on every rank when any rank differs from rank 0,
// naming those ranks and `what` the value is.
void require_same_on_all_ranks(uint64_t value, const std::string& what, Communicator& comm);

// Runs `decide` on rank 0 only (e.g. preparing the run folder) and makes its outcome everyone's:
// when it throws, every rank throws std::runtime_error with rank 0's message.
void on_rank0_for_all(Communicator& comm, const std::function<void()>& decide);

// Rank 0's `text` on every rank.
std::string broadcast_text(const std::string& text, Communicator& comm);

// Every rank's `text`, in rank order, on every rank (`what` names it in a failure).
std::vector<std::string> all_gather_text(const std::string& text, Communicator& comm,
                                         const std::string& what);

// Copies rank 0's tensors into every rank's (one collective per dtype).
void broadcast_from_rank0(const std::vector<torch::Tensor>& tensors, Communicator& comm);

}  // namespace pathodino::distributed
