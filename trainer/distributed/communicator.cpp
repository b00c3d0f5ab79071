#include "trainer/distributed/communicator.h"

#include <torch/torch.h>

#include <stdexcept>

namespace pathodino::distributed {

torch::Tensor Communicator::reduce_scatter_sum(const torch::Tensor& tensor, std::string what) {
  const torch::Tensor input = tensor.contiguous().view(-1);
  if (input.numel() % world_size() != 0)
    throw std::invalid_argument(what + ": reduce-scatter of " + std::to_string(input.numel()) +
                                " elements over " + std::to_string(world_size()) + " ranks");
  torch::Tensor output = torch::empty({input.numel() / world_size()}, input.options());
  start_reduce_scatter_sum(input, output, std::move(what))->wait();
  return output;
}

}  // namespace pathodino::distributed
