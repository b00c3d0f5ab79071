#include "trainer/audit/audit_record.h"

#include <array>

#include "trainer/system/sha256.h"

namespace pathodino::audit {

std::string record_text(const nlohmann::json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string record_hash(const nlohmann::json& record_without_hash) {
  return system::sha256_hex(record_text(record_without_hash));
}

bool is_record_key(const std::string& key) {
  static const std::array<const char*, 8> kKeys = {"seq",  "time", "event", "user",
                                                   "host", "pid",  "prev",  "hash"};
  for (const char* k : kKeys)
    if (key == k) return true;
  return false;
}

}  // namespace pathodino::audit
