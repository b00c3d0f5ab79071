#include "trainer/distributed/post_accumulate_hook.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <stdexcept>

namespace pathodino::distributed {
namespace {

class CallbackHook final : public torch::autograd::PostAccumulateGradHook {
 public:
  explicit CallbackHook(std::function<void()> callback) : callback_(std::move(callback)) {}
  void operator()(const torch::autograd::Variable& /*tensor*/) override { callback_(); }

 private:
  std::function<void()> callback_;
};

}  // namespace

void set_post_accumulate_hook(const torch::Tensor& parameter, std::function<void()> callback) {
  if (!parameter.is_leaf() || !parameter.requires_grad())
    throw std::invalid_argument("post-accumulate hook: needs a leaf tensor that requires grad");
  torch::autograd::impl::set_post_acc_grad_hooks(
      parameter, std::make_unique<CallbackHook>(std::move(callback)));
}

void clear_post_accumulate_hook(const torch::Tensor& parameter) {
  torch::autograd::impl::post_acc_grad_hooks(parameter).reset();
}

}  // namespace pathodino::distributed
