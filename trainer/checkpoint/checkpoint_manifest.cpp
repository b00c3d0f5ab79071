#include "trainer/checkpoint/checkpoint_manifest.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "trainer/system/durable_file.h"

namespace pathodino::checkpoint {
namespace {

constexpr const char* kFormat = "pathodino-checkpoint/1";

// Checksums as fixed-width hex: JSON numbers above 2^53 do not survive every reader.
std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

uint64_t from_hex(const std::string& text, const std::string& origin, const std::string& field) {
  if (text.size() != 16 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw CheckpointError(origin + ": " + field + " is not a 16-digit hex checksum: '" + text +
                          "'");
  return std::stoull(text, nullptr, 16);
}

}  // namespace

std::string to_json(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["step"] = m.step;
  j["world_size"] = m.world_size;
  j["config_hash"] = hex(m.config_hash);
  j["sampler"] = {{"seed", m.sampler.seed},
                  {"position", m.sampler.position},
                  {"epoch_length", m.sampler.epoch_length},
                  {"epoch", m.sampler.epoch()}};
  j["counters"] = m.counters;
  j["rng"] = m.rng;
  j["versions"] = {{"pathodino", m.pathodino_version},
                   {"libtorch", m.libtorch_version},
                   {"commit", m.pathodino_commit}};
  j["data"] = m.data;
  j["shards"] = m.shards;
  if (!m.shard_sha256.empty()) j["shard_sha256"] = m.shard_sha256;
  if (!m.encryption_key.empty())
    j["encryption"] = {{"algorithm", "AES-256-GCM"}, {"key", m.encryption_key}};
  nlohmann::ordered_json tensors = nlohmann::ordered_json::object();
  for (const auto& [name, t] : m.tensors)
    tensors[name] = {
        {"shard", t.shard}, {"dtype", t.dtype}, {"shape", t.shape}, {"xxh3", hex(t.xxh3)}};
  j["tensors"] = std::move(tensors);
  j["config"] = m.config_yaml;
  return j.dump(1) + "\n";
}

Manifest manifest_from_json(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(origin + ": not valid JSON: " + e.what());
  }
  const std::string field_hint = origin + ": ";
  try {
    if (j.at("format").get<std::string>() != kFormat)
      throw CheckpointError(field_hint + "format '" + j.at("format").get<std::string>() +
                            "' is not " + kFormat);
    Manifest m;
    m.step = j.at("step").get<int64_t>();
    m.world_size = j.at("world_size").get<int>();
    m.config_hash = from_hex(j.at("config_hash").get<std::string>(), origin, "config_hash");
    m.config_yaml = j.at("config").get<std::string>();
    const auto& s = j.at("sampler");
    m.sampler.seed = s.at("seed").get<uint64_t>();
    m.sampler.position = s.at("position").get<int64_t>();
    m.sampler.epoch_length = s.at("epoch_length").get<int64_t>();
    m.counters = j.at("counters").get<std::map<std::string, int64_t>>();
    m.rng = j.at("rng").get<std::string>();
    m.pathodino_version = j.at("versions").at("pathodino").get<std::string>();
    m.libtorch_version = j.at("versions").at("libtorch").get<std::string>();
    m.pathodino_commit = j.at("versions").value("commit", std::string());
    if (j.contains("data")) m.data = j.at("data").get<std::map<std::string, std::string>>();
    m.shards = j.at("shards").get<std::vector<std::string>>();
    if (j.contains("encryption"))
      m.encryption_key = j.at("encryption").at("key").get<std::string>();
    if (j.contains("shard_sha256")) {
      m.shard_sha256 = j.at("shard_sha256").get<std::vector<std::string>>();
      if (m.shard_sha256.size() != m.shards.size())
        throw CheckpointError(field_hint + "shard_sha256 has " +
                              std::to_string(m.shard_sha256.size()) + " entries for " +
                              std::to_string(m.shards.size()) + " shards");
    }
    for (const auto& [name, t] : j.at("tensors").items()) {
      TensorEntry e;
      e.shard = t.at("shard").get<int>();
      if (e.shard < 0 || e.shard >= static_cast<int>(m.shards.size()))
        throw CheckpointError(field_hint + "tensor '" + name + "' names shard " +
                              std::to_string(e.shard) + " of " + std::to_string(m.shards.size()));
      e.dtype = t.at("dtype").get<std::string>();
      e.shape = t.at("shape").get<std::vector<int64_t>>();
      e.xxh3 = from_hex(t.at("xxh3").get<std::string>(), origin, "tensor '" + name + "' xxh3");
      m.tensors.emplace(name, std::move(e));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(field_hint + "missing or mistyped field: " + e.what());
  }
}

Manifest read_manifest(const std::filesystem::path& checkpoint_dir) {
  const std::filesystem::path path = checkpoint_dir / kManifestFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path.string() + ": missing (the checkpoint is incomplete)");
  std::ostringstream text;
  text << in.rdbuf();
  return manifest_from_json(text.str(), path.string());
}

void write_manifest(const std::filesystem::path& checkpoint_dir, const Manifest& manifest,
                    bool sync_directory) {
  system::write_file_durably(checkpoint_dir / kManifestFile, to_json(manifest), sync_directory);
}

}  // namespace pathodino::checkpoint
