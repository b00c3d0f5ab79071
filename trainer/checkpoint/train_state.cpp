#include "trainer/checkpoint/train_state.h"

#include <torch/torch.h>

#include <set>
#include <sstream>

#include "trainer/checkpoint/checkpoint_manifest.h"

namespace pathodino::checkpoint {
namespace {

std::vector<std::pair<std::string, torch::Tensor>> network_state(ssl::SslNetwork& network,
                                                                 const std::string& prefix) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [name, tensor] : network.named_parameters()) out.emplace_back(prefix + name, tensor);
  for (const auto& item : network.backbone->named_buffers())
    out.emplace_back(prefix + "backbone." + item.key(), item.value());
  return out;
}

std::string describe(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.scalar_type() << t.sizes();
  return out.str();
}

bool whole(const std::vector<optim::OptimizerPiece>& pieces) {
  return pieces.size() == 1 && pieces[0].owner < 0;
}

torch::Tensor meta(torch::IntArrayRef shape, torch::ScalarType dtype) {
  return torch::empty(shape, torch::TensorOptions(torch::kMeta).dtype(dtype));
}

// Pieces (`name@offset`) joined back into whole flat tensors in offset order; a piece's step
// count stands for the tensor's. Whole entries pass through.
std::map<std::string, torch::Tensor> assemble_pieces(
    const std::map<std::string, torch::Tensor>& loaded, std::vector<std::string>& problems) {
  std::map<std::string, torch::Tensor> out;
  std::map<std::string, std::map<int64_t, torch::Tensor>> pieces;
  for (const auto& [name, tensor] : loaded) {
    const auto at = name.rfind('@');
    if (at == std::string::npos) {
      out[name] = tensor;
      continue;
    }
    try {
      pieces[name.substr(0, at)][std::stoll(name.substr(at + 1))] = tensor;
    } catch (const std::exception&) {
      problems.push_back("'" + name + "' is not a valid piece name");
    }
  }
  for (auto& [base, by_offset] : pieces) {
    if (base.ends_with(".step")) {
      out[base] = by_offset.begin()->second;
      continue;
    }
    std::vector<torch::Tensor> parts;
    int64_t expected = 0;
    for (auto& [offset, tensor] : by_offset) {
      if (offset != expected) {
        problems.push_back("'" + base + "' has a gap or overlap between its pieces at element " +
                           std::to_string(expected));
        break;
      }
      parts.push_back(tensor.reshape(-1));
      expected += tensor.numel();
    }
    out[base] = torch::cat(parts);
  }
  return out;
}

}  // namespace

TrainState::TrainState(ssl::StudentTeacher& model, optim::ScheduledAdamW& optimizer,
                       optim::OptimizerLayout layout)
    : model_(model),
      optimizer_(optimizer),
      student_(network_state(model.student(), "student.")),
      teacher_(network_state(model.teacher(), "teacher.")),
      layout_(std::move(layout)) {
  if (layout_.size() != model_.student().parameters().size())
    throw std::logic_error("TrainState: the optimizer layout does not cover the student");
  for (const auto& pieces : layout_)
    for (const optim::OptimizerPiece& piece : pieces)
      if (piece.stepped.defined()) optimizer_.state_of(piece.stepped);
}

std::vector<NamedTensor> TrainState::tensors() const {
  std::vector<NamedTensor> out;
  for (const auto& [name, t] : student_) out.push_back({name, t, -1});
  for (const auto& [name, t] : teacher_) out.push_back({name, t, -1});
  size_t i = 0;
  for (auto& [name, param] : model_.student().named_parameters()) {
    const std::vector<optim::OptimizerPiece>& pieces = layout_[i++];
    for (const optim::OptimizerPiece& piece : pieces) {
      const std::string prefix = "optim." + name;
      const std::string suffix = whole(pieces) ? "" : "@" + std::to_string(piece.offset);
      if (!piece.stepped.defined()) {  // shape and dtype only; its owner writes it
        const torch::Tensor shape = meta({piece.numel}, param.scalar_type());
        out.push_back({prefix + ".exp_avg" + suffix, shape, piece.owner});
        out.push_back({prefix + ".exp_avg_sq" + suffix, shape, piece.owner});
        out.push_back({prefix + ".step" + suffix, meta({}, torch::kInt64), piece.owner});
        continue;
      }
      auto& state = optimizer_.state_of(piece.stepped);
      out.push_back({prefix + ".exp_avg" + suffix, state.exp_avg(), piece.owner});
      out.push_back({prefix + ".exp_avg_sq" + suffix, state.exp_avg_sq(), piece.owner});
      out.push_back(
          {prefix + ".step" + suffix, torch::tensor(state.step(), torch::kInt64), piece.owner});
    }
  }
  out.push_back({"center.dino", model_.dino_center().center(), -1});
  out.push_back({"center.ibot", model_.ibot_center().center(), -1});
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> TrainState::expected_whole() const {
  std::vector<std::pair<std::string, torch::Tensor>> expected = student_;
  expected.insert(expected.end(), teacher_.begin(), teacher_.end());
  for (auto& [name, param] : model_.student().named_parameters()) {
    expected.emplace_back("optim." + name + ".exp_avg", meta(param.sizes(), param.scalar_type()));
    expected.emplace_back("optim." + name + ".exp_avg_sq",
                          meta(param.sizes(), param.scalar_type()));
    expected.emplace_back("optim." + name + ".step", meta({}, torch::kInt64));
  }
  expected.emplace_back("center.dino", model_.dino_center().center());
  expected.emplace_back("center.ibot", model_.ibot_center().center());
  return expected;
}

namespace {

// Every tensor that is missing, unexpected or of another shape or dtype; reshapes moments that
// were assembled flat from pieces.
void check_fit(const std::vector<std::pair<std::string, torch::Tensor>>& expected,
               std::map<std::string, torch::Tensor>& loaded, std::vector<std::string>& problems) {
  std::set<std::string> names;
  for (const auto& [name, like] : expected) {
    names.insert(name);
    const auto found = loaded.find(name);
    if (found == loaded.end()) {
      problems.push_back("'" + name + "' is missing");
      continue;
    }
    torch::Tensor& t = found->second;
    // Moments assembled from pieces are flat: whole again once their element count fits.
    if (t.dim() == 1 && like.dim() != 1 && t.numel() == like.numel() && name.starts_with("optim."))
      t = t.view(like.sizes());
    if (t.sizes() != like.sizes() || t.scalar_type() != like.scalar_type())
      problems.push_back("'" + name + "' is " + describe(t) + ", the model has " + describe(like));
  }
  for (const auto& [name, tensor] : loaded)
    if (!names.count(name)) problems.push_back("'" + name + "' is not part of this model");
}

void throw_if_any(const std::vector<std::string>& problems, const std::string& origin) {
  if (problems.empty()) return;
  std::string message = origin + " does not fit this run's model:";
  for (size_t i = 0; i < problems.size() && i < 8; ++i) message += "\n  " + problems[i];
  if (problems.size() > 8) message += "\n  … and " + std::to_string(problems.size() - 8) + " more";
  throw CheckpointError(message);
}

}  // namespace

void TrainState::restore(const std::map<std::string, torch::Tensor>& loaded_pieces,
                         const std::string& origin) {
  std::vector<std::string> problems;
  std::map<std::string, torch::Tensor> loaded = assemble_pieces(loaded_pieces, problems);
  check_fit(expected_whole(), loaded, problems);
  throw_if_any(problems, origin);
  torch::NoGradGuard no_grad;
  for (auto* network : {&student_, &teacher_})
    for (auto& [name, tensor] : *network) tensor.copy_(loaded.at(name));
  size_t i = 0;
  for (auto& [name, param] : model_.student().named_parameters())
    for (const optim::OptimizerPiece& piece : layout_[i++]) {
      if (!piece.stepped.defined()) continue;
      auto& state = optimizer_.state_of(piece.stepped);
      const auto slice = [&](const char* moment) {
        return loaded.at("optim." + name + moment).reshape(-1).narrow(0, piece.offset, piece.numel);
      };
      state.exp_avg().view(-1).copy_(slice(".exp_avg"));
      state.exp_avg_sq().view(-1).copy_(slice(".exp_avg_sq"));
      state.step(loaded.at("optim." + name + ".step").item<int64_t>());
    }
  const torch::Device device = model_.dino_center().center().device();
  model_.dino_center().center() = loaded.at("center.dino").to(device).clone();
  model_.ibot_center().center() = loaded.at("center.ibot").to(device).clone();
}

}  // namespace pathodino::checkpoint
