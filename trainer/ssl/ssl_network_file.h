// A teacher (or student) with its SSL heads, in the two forms someone else continues from:
// pathodino's backbone file with heads (safetensors, Note [Backbone with heads] in
// models/interchange/backbone_file.h) and DINOv2's teacher checkpoint (torch.save of
// {"teacher": state_dict}, the file dinov2/train/train.py writes as teacher_checkpoint.pth).
// Both use DINOv2's names: backbone.*, dino_head.*, and ibot_head.* when the iBOT head is separate.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "models/interchange/backbone_file.h"
#include "trainer/ssl/ssl_heads.h"
#include "trainer/ssl/ssl_options.h"
#include "trainer/ssl/student_teacher.h"

namespace pathodino::ssl {

// Every tensor of the heads by its DINOv2 name, buffers (fixed prototype gains) included.
std::vector<std::pair<std::string, torch::Tensor>> named_head_tensors(const SslHeads& heads);

// The backbone file with heads; atomic. The metadata adds "heads" (the head shapes as JSON).
void export_ssl_network(const SslNetwork& network, const SslOptions& ssl,
                        const models::BackboneInfo& info, const std::filesystem::path& path);

// The bytes of DINOv2's teacher_checkpoint.pth for `network` (fp32, CPU); the caller writes them.
std::vector<char> dinov2_checkpoint_bytes(const SslNetwork& network);

// Copies the heads of a backbone file into `heads`. False when the file has no heads (a plain
// backbone); a file whose heads do not fit throws models::BackboneFileError listing every tensor.
bool import_ssl_heads(SslHeads& heads, const std::filesystem::path& path);

}  // namespace pathodino::ssl
