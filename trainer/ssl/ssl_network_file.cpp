#include "trainer/ssl/ssl_network_file.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/interchange/safetensors.h"
#include "models/interchange/tensor_bytes.h"

namespace pathodino::ssl {
namespace {

void append_tensors(std::vector<std::pair<std::string, torch::Tensor>>& out,
                    const std::string& prefix, const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters())
    out.emplace_back(prefix + item.key(), item.value());
  for (const auto& item : module.named_buffers())
    out.emplace_back(prefix + item.key(), item.value());
}

// Every tensor of the network, backbone first, by its DINOv2 name.
std::vector<std::pair<std::string, torch::Tensor>> named_tensors(const SslNetwork& network) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : network.backbone->named_parameters())
    out.emplace_back(models::kSslBackbonePrefix + item.key(), item.value());
  for (auto& named : named_head_tensors(network.heads)) out.push_back(std::move(named));
  return out;
}

nlohmann::json head_json(const HeadOptions& head) {
  return {{"n_prototypes", head.n_prototypes},
          {"hidden_dim", head.hidden_dim},
          {"bottleneck_dim", head.bottleneck_dim},
          {"nlayers", head.nlayers}};
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> named_head_tensors(const SslHeads& heads) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  append_tensors(out, "dino_head.", *heads.dino);
  if (!heads.shared()) append_tensors(out, "ibot_head.", *heads.ibot);
  return out;
}

void export_ssl_network(const SslNetwork& network, const SslOptions& ssl,
                        const models::BackboneInfo& info, const std::filesystem::path& path) {
  models::SafetensorsContent content;
  for (const auto& [name, tensor] : named_tensors(network))
    content.tensors.push_back(models::to_st_tensor(name, tensor.detach().to(torch::kFloat32)));
  content.metadata = models::backbone_metadata(network.backbone->spec(), info);
  content.metadata["heads"] =
      nlohmann::json{{"dino_head", head_json(ssl.dino.head)},
                     {"ibot_head", ssl.ibot.separate_head ? head_json(ssl.ibot.head)
                                                          : nlohmann::json("dino_head")}}
          .dump();
  models::write_safetensors(path, content);
}

std::vector<char> dinov2_checkpoint_bytes(const SslNetwork& network) {
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& [name, tensor] : named_tensors(network))
    state.insert(name, tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous());
  c10::Dict<std::string, c10::Dict<std::string, at::Tensor>> checkpoint;
  checkpoint.insert("teacher", state);
  // torch.save's zip layout (data.pkl, data/N, version), as torch::pickle_save writes it, but with
  // plain dicts: pickle_save tags them with TorchScript types (torch.jit._pickle.restore_type_tag),
  // which torch.load(weights_only=True) — the default since torch 2.6 — refuses.
  std::vector<char> pickle;
  torch::jit::Pickler pickler(
      [&](const char* bytes, size_t size) { pickle.insert(pickle.end(), bytes, bytes + size); },
      nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(checkpoint);
  pickler.stop();
  std::vector<char> out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t size) {
    const auto* begin = static_cast<const char*>(bytes);
    out.insert(out.end(), begin, begin + size);
    return size;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(),
                                     writer);
  writer.writeEndOfFile();
  return out;
}

bool import_ssl_heads(SslHeads& heads, const std::filesystem::path& path) {
  const models::SafetensorsContent content = models::read_safetensors(path);
  const auto wanted = named_head_tensors(heads);
  bool any = false;
  for (const auto& entry : content.tensors)
    any = any || entry.name.starts_with("dino_head.") || entry.name.starts_with("ibot_head.");
  if (!any) return false;
  std::vector<std::string> problems;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> assignments;
  for (const auto& [name, target] : wanted) {
    const models::StTensor* entry = content.find(name);
    if (entry == nullptr) {
      problems.push_back("missing tensor '" + name + "'");
      continue;
    }
    torch::Tensor value = models::from_st_tensor(*entry);
    if (!value.sizes().equals(target.sizes())) {
      std::ostringstream text;
      text << "tensor '" << name << "' has shape " << value.sizes() << " in the file, the "
           << "configured heads (ssl.dino.head, ssl.ibot) need " << target.sizes();
      problems.push_back(text.str());
      continue;
    }
    assignments.emplace_back(target, value);
  }
  for (const auto& entry : content.tensors) {
    const bool head = entry.name.starts_with("dino_head.") || entry.name.starts_with("ibot_head.");
    if (head && std::ranges::none_of(wanted, [&](const auto& w) { return w.first == entry.name; }))
      problems.push_back("unexpected tensor '" + entry.name + "'");
  }
  if (!problems.empty()) {
    std::string text = path.string() + ": its heads do not fit:";
    for (const auto& p : problems) text += "\n  " + p;
    throw models::BackboneFileError(text);
  }
  torch::NoGradGuard no_grad;
  for (auto& [target, value] : assignments) target.copy_(value);
  return true;
}

}  // namespace pathodino::ssl
