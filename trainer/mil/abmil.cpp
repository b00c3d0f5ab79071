#include "trainer/mil/abmil.h"

#include <torch/torch.h>

namespace pathodino::mil {

AbmilImpl::AbmilImpl(const AbmilOptions& o)
    : project_(register_module("project", torch::nn::Linear(o.input_dim, o.hidden_dim))),
      attention_v_(
          register_module("attention_v", torch::nn::Linear(o.hidden_dim, o.attention_dim))),
      attention_u_(
          register_module("attention_u", torch::nn::Linear(o.hidden_dim, o.attention_dim))),
      attention_w_(register_module("attention_w", torch::nn::Linear(o.attention_dim, 1))),
      classifier_(register_module("classifier", torch::nn::Linear(o.hidden_dim, o.classes))),
      dropout_(register_module("dropout", torch::nn::Dropout(o.dropout))) {}

AbmilOutput AbmilImpl::forward(const torch::Tensor& bag) {
  const torch::Tensor h = dropout_(torch::relu(project_(bag)));  // [N, hidden]
  const torch::Tensor gate = torch::tanh(attention_v_(h)) * torch::sigmoid(attention_u_(h));
  const torch::Tensor attention = torch::softmax(attention_w_(gate).squeeze(1), 0);  // [N]
  const torch::Tensor slide = attention.unsqueeze(0).matmul(h).squeeze(0);           // [hidden]
  return {classifier_(slide), attention};
}

}  // namespace pathodino::mil
