// What append and verify share about one audit record (Note [Audit chain]): the keys every record
// has, the `prev` of the first record, and the hash of a record's content.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace pathodino::audit {

// Note [Audit chain]: a record is one JSON object on one line. Its `hash` is the SHA-256 of the
// object without `hash`, dumped by nlohmann::json (keys in sorted order, no spaces), so the same
// content always gives the same bytes; `prev` is the record before's `hash` (kGenesis for the
// first) and `seq` its position from 0. The head file holds {"records": N, "hash": the last
// hash}. Changing any of these breaks every log already written.
inline const std::string kGenesis(64, '0');

std::string record_hash(const nlohmann::json& record_without_hash);

// A record as one line: nlohmann's dump, invalid UTF-8 replaced (a path's bytes), so writing
// never throws and verifying reads back exactly these bytes.
std::string record_text(const nlohmann::json& record);

// The keys a record sets itself, which an event's fields may not use.
bool is_record_key(const std::string& key);

}  // namespace pathodino::audit
