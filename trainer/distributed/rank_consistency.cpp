#include "trainer/distributed/rank_consistency.h"

#include <torch/torch.h>
#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <map>

namespace pathodino::distributed {

uint64_t checksum(const std::vector<torch::Tensor>& tensors) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const torch::Tensor& t : tensors) {
    const torch::Tensor host = t.detach().to(torch::kCPU).contiguous();
    XXH3_64bits_update(state, host.data_ptr(), host.numel() * host.element_size());
  }
  const uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return hash;
}

uint64_t checksum(const std::string& text) { return XXH3_64bits(text.data(), text.size()); }

void require_same_on_all_ranks(uint64_t value, const std::string& what, Communicator& comm) {
  if (comm.world_size() == 1) return;
  const auto mine = torch::tensor({static_cast<int64_t>(value)}, torch::kInt64);
  const auto all = comm.all_gather(mine, "all_gather(" + what + ")").view(-1);
  const auto values = all.accessor<int64_t, 1>();
  std::string differing;
  for (int r = 1; r < comm.world_size(); ++r)
    if (values[r] != values[0]) {
      char line[96];
      std::snprintf(line, sizeof(line), "%s rank %d (%016llx)", differing.empty() ? "" : ",", r,
                    static_cast<unsigned long long>(values[r]));
      differing += line;
    }
  if (differing.empty()) return;
  char head[64];
  std::snprintf(head, sizeof(head), "%016llx", static_cast<unsigned long long>(values[0]));
  throw RanksDisagree(what + " differs across ranks: rank 0 has " + head + ", but" + differing);
}

std::string broadcast_text(const std::string& text, Communicator& comm) {
  if (comm.world_size() == 1) return text;
  auto length = torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64);
  comm.broadcast(length, 0, "broadcast(rank 0's decision)");
  std::string out = comm.rank() == 0 ? text : std::string(length.item<int64_t>(), '\0');
  if (!out.empty()) {
    auto bytes = torch::empty({static_cast<int64_t>(out.size())}, torch::kUInt8);
    if (comm.rank() == 0) std::memcpy(bytes.data_ptr(), out.data(), out.size());
    comm.broadcast(bytes, 0, "broadcast(rank 0's decision)");
    std::memcpy(out.data(), bytes.data_ptr(), out.size());
  }
  return out;
}

std::vector<std::string> all_gather_text(const std::string& text, Communicator& comm,
                                         const std::string& what) {
  const int world = comm.world_size();
  if (world == 1) return {text};
  const torch::Tensor lengths =
      comm.all_gather(torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64),
                      "all_gather(" + what + ")");
  const int64_t longest = lengths.max().item<int64_t>();
  std::vector<std::string> texts(static_cast<size_t>(world));
  if (longest == 0) return texts;
  auto mine = torch::zeros({longest}, torch::kUInt8);
  std::memcpy(mine.data_ptr(), text.data(), text.size());
  const torch::Tensor all = comm.all_gather(mine, "all_gather(" + what + ")").contiguous();
  for (int r = 0; r < world; ++r)
    texts[static_cast<size_t>(r)].assign(reinterpret_cast<const char*>(all[r].data_ptr<uint8_t>()),
                                         static_cast<size_t>(lengths[r][0].item<int64_t>()));
  return texts;
}

void on_rank0_for_all(Communicator& comm, const std::function<void()>& decide) {
  std::string error;
  if (comm.rank() == 0) {
    try {
      decide();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "failed on rank 0";
    }
  }
  error = broadcast_text(error, comm);
  if (!error.empty()) throw std::runtime_error(error);
}

void broadcast_from_rank0(const std::vector<torch::Tensor>& tensors, Communicator& comm) {
  if (comm.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::map<std::pair<std::string, c10::ScalarType>, std::vector<torch::Tensor>> groups;
  for (const torch::Tensor& t : tensors) groups[{t.device().str(), t.scalar_type()}].push_back(t);
  for (auto& [key, group] : groups) {
    std::vector<torch::Tensor> flat_parts;
    for (const torch::Tensor& t : group) flat_parts.push_back(t.detach().reshape(-1));
    torch::Tensor flat = torch::cat(flat_parts);
    comm.broadcast(flat, 0, "broadcast(parameters and buffers from rank 0)");
    int64_t offset = 0;
    for (const torch::Tensor& t : group) {
      t.detach().copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace pathodino::distributed
