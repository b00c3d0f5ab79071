#include "trainer/audit/audit_verify.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "trainer/audit/audit_log.h"
#include "trainer/audit/audit_record.h"

namespace pathodino::audit {
namespace {

namespace fs = std::filesystem;

// One line against the chain so far (Note [Audit chain]); returns the fault, or "".
std::string check_record(const std::string& line, int64_t number, AuditVerdict& v) {
  const std::string at = "line " + std::to_string(number);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return at + ": not a JSON record (an edit or a write cut short)";
  if (!j.contains("seq") || !j["seq"].is_number_integer() || !j.contains("prev") ||
      !j["prev"].is_string() || !j.contains("hash") || !j["hash"].is_string())
    return at + ": not an audit record (no seq, prev or hash)";
  const int64_t seq = j["seq"].get<int64_t>();
  const std::string what =
      at + " (record " + std::to_string(seq) + ", " +
      (j.contains("event") && j["event"].is_string() ? j["event"].get<std::string>()
                                                     : std::string("no event")) +
      ")";
  if (record_text(j) != line)  // same content, other bytes: not as pathodino writes it
    return what + ": its bytes are not those its content gives: edited";
  const std::string hash = j["hash"].get<std::string>();
  j.erase("hash");
  if (record_hash(j) != hash) return what + ": its content does not match its hash: edited";
  if (seq != v.records)
    return what + ": record " + std::to_string(seq) + " where " + std::to_string(v.records) +
           " was expected: records before it were removed, or records were moved";
  if (j["prev"].get<std::string>() != v.head)
    return what + ": does not chain to the record before it: records were removed or moved";
  ++v.records;
  v.head = hash;
  return "";
}

std::string check_head(const fs::path& log, AuditVerdict& v, const std::string& before_last) {
  const fs::path head = head_file(log);
  std::ifstream in(head);
  if (!in)
    return v.records == 0
               ? ""
               : "no head file " + head.string() + ": the end of the log cannot be checked";
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("records") || !j["records"].is_number_integer() ||
      !j.contains("hash") || !j["hash"].is_string())
    return head.string() + ": not an audit head file";
  const int64_t records = j["records"].get<int64_t>();
  const std::string hash = j["hash"].get<std::string>();
  if (records == v.records && hash == v.head) return "";
  if (records == v.records - 1 && hash == before_last) {  // Note [Interrupted appends]
    v.note = head.string() +
             " is one record behind the log, whose last record chains to it: an "
             "append interrupted before its head; the next append updates it";
    return "";
  }
  return head.string() + " says the log has " + std::to_string(records) + " records ending in " +
         hash.substr(0, 12) + "…, the log has " + std::to_string(v.records) + " ending in " +
         v.head.substr(0, 12) + "…: records were cut from its end, or added by hand";
}

// The log's bytes checked record by record, then against its head.
AuditVerdict verify_text(const fs::path& log, const std::string& text);

}  // namespace

AuditVerdict verify_audit_log(const fs::path& log) {
  // A shared lock: appends (exclusive) wait, so the log and its head are read as one state.
  const int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(log.string() + ": cannot open the audit log");
  ::flock(fd, LOCK_SH);
  std::string text;
  char block[65536];
  for (ssize_t n; (n = ::read(fd, block, sizeof(block))) > 0;)
    text.append(block, static_cast<size_t>(n));
  AuditVerdict v = verify_text(log, text);
  ::close(fd);  // releases the lock
  return v;
}

namespace {

AuditVerdict verify_text(const fs::path& log, const std::string& text) {
  AuditVerdict v;
  v.head = kGenesis;
  size_t start = 0;
  std::string before_last = kGenesis;
  for (int64_t number = 1; start < text.size(); ++number) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      v.problem = "line " + std::to_string(number) +
                  ": a partial record at the end (a write cut short, or an edit)";
      return v;
    }
    before_last = v.head;
    v.problem = check_record(text.substr(start, end - start), number, v);
    if (!v.problem.empty()) return v;
    start = end + 1;
  }
  v.problem = check_head(log, v, before_last);
  v.ok = v.problem.empty();
  return v;
}

}  // namespace

}  // namespace pathodino::audit
