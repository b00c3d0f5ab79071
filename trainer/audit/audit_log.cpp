#include "trainer/audit/audit_log.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "trainer/audit/audit_record.h"
#include "trainer/system/durable_file.h"

namespace pathodino::audit {
namespace {

namespace fs = std::filesystem;

std::runtime_error error(const fs::path& file, const std::string& what) {
  return std::runtime_error(file.string() + ": " + what);
}

// The log opened for appending under an exclusive lock, held until destruction.
class LockedLog {
 public:
  explicit LockedLog(const fs::path& file) : file_(file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0660);
    if (fd_ < 0) throw error(file, std::string("cannot open the audit log: ") + strerror(errno));
    if (::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      throw error(file, std::string("cannot lock the audit log: ") + strerror(errno));
    }
  }
  ~LockedLog() { ::close(fd_); }  // closing releases the lock
  LockedLog(const LockedLog&) = delete;
  LockedLog& operator=(const LockedLog&) = delete;

  // The last complete line (without its newline; "" for none) and the bytes after it: a record
  // whose write was cut short.
  struct Tail {
    std::string line;
    off_t partial = 0;
  };
  Tail tail() const {
    std::string text;
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    off_t pos = end;
    // Back from the end until the text holds the last complete line and its newline before it.
    while (pos > 0) {
      const off_t chunk = std::min<off_t>(pos, 65536);
      pos -= chunk;
      std::string block(static_cast<size_t>(chunk), '\0');
      if (::pread(fd_, block.data(), block.size(), pos) != chunk)
        throw error(file_, "cannot read the audit log's end");
      text = block + text;
      const size_t last = text.rfind('\n');
      if (last != std::string::npos && last > 0 && text.rfind('\n', last - 1) != std::string::npos)
        break;
    }
    const size_t last = text.rfind('\n');
    if (last == std::string::npos) return {"", static_cast<off_t>(text.size())};
    const size_t before = last == 0 ? std::string::npos : text.rfind('\n', last - 1);
    const size_t start = before == std::string::npos ? 0 : before + 1;
    return {text.substr(start, last - start), static_cast<off_t>(text.size() - last - 1)};
  }

  // Cuts an interrupted write's bytes from the end.
  void cut(off_t bytes) const {
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (::ftruncate(fd_, end - bytes) != 0 || ::fsync(fd_) != 0)
      throw error(file_, std::string("cannot cut an interrupted record: ") + strerror(errno));
  }

  void write_durably(const std::string& line) const {
    for (size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw error(file_, std::string("cannot append to the audit log: ") + strerror(errno));
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd_) != 0) throw error(file_, std::string("fsync: ") + strerror(errno));
  }

 private:
  fs::path file_;
  int fd_ = -1;
};

struct End {
  int64_t records = 0;
  std::string hash = kGenesis;
  std::string prev;  // of the last record; "" for an empty log
  bool same(const End& o) const { return records == o.records && hash == o.hash; }
};

End end_of_log(const std::string& last_line, const fs::path& file) {
  if (last_line.empty()) return {};
  const nlohmann::json j = nlohmann::json::parse(last_line, nullptr, false);
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer() ||
      !j.contains("hash") || !j["hash"].is_string())
    throw error(file, "its last line is not an audit record; `pathodino audit verify` names it");
  return {j["seq"].get<int64_t>() + 1, j["hash"].get<std::string>(),
          j.contains("prev") && j["prev"].is_string() ? j["prev"].get<std::string>() : ""};
}

End end_in_head(const fs::path& head) {
  std::ifstream in(head);
  if (!in) return {};
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("records") || !j.contains("hash"))
    throw error(head, "not an audit head file");
  return {j["records"].get<int64_t>(), j["hash"].get<std::string>(), ""};
}

std::string user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return "uid " + std::to_string(::geteuid());
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

nlohmann::json record(const std::string& event, const AuditFields& fields, const End& end) {
  nlohmann::json r = {{"seq", end.records},  {"time", utc_now()},   {"event", event},
                      {"user", user_name()}, {"host", host_name()}, {"pid", ::getpid()},
                      {"prev", end.hash}};
  for (const auto& [key, value] : fields.texts) r[key] = value;
  for (const auto& [key, value] : fields.integers) r[key] = value;
  return r;
}

}  // namespace

fs::path head_file(const fs::path& log) { return fs::path(log.string() + ".head"); }

AuditLog::AuditLog(fs::path file) : file_(std::move(file)) {
  if (file_.has_parent_path()) fs::create_directories(file_.parent_path());
}

namespace {

// Writes one record after `end`, then the head; returns the new end.
End write_record(const LockedLog& log, const fs::path& file, const std::string& event,
                 const AuditFields& fields, const End& end) {
  nlohmann::json r = record(event, fields, end);
  const std::string hash = record_hash(r);
  r["hash"] = hash;
  log.write_durably(record_text(r) + "\n");
  system::write_file_durably(
      head_file(file), nlohmann::json{{"records", end.records + 1}, {"hash", hash}}.dump() + "\n");
  return {end.records + 1, hash, end.hash};
}

// Repairs an interrupted append's traces under the lock (Note [Interrupted appends]) and returns
// where the next record goes; throws when the log does not end where its head says.
End recover_locked(const LockedLog& log, const fs::path& file) {
  const LockedLog::Tail tail = log.tail();
  End end = end_of_log(tail.line, file);
  const End head = end_in_head(head_file(file));
  std::string recovered;
  if (end.records == head.records + 1 && end.prev == head.hash)
    recovered = "the head was one record behind (an append interrupted before its head)";
  else if (!end.same(head))
    throw error(file, "does not end where its head says (" + std::to_string(end.records) +
                          " records against " + std::to_string(head.records) +
                          "): records were removed or added outside pathodino; `pathodino "
                          "audit verify` tells which");
  if (tail.partial > 0) {
    log.cut(tail.partial);
    recovered += (recovered.empty() ? "" : "; ") + std::to_string(tail.partial) +
                 " byte(s) of an interrupted record cut from the end";
  }
  if (!recovered.empty())
    end = write_record(log, file, "audit_recovered", {{{"reason", recovered}}, {}}, end);
  return end;
}

}  // namespace

// Note [Interrupted appends]: an append writes its record, then the head. A process killed in
// between leaves the head one record behind, at a record that chains to it; one killed during
// the write leaves a partial last line. Both are a crash's traces, not an edit's: the next append
// cuts the partial bytes and records what it recovered ("audit_recovered") before its own record,
// and `audit verify` accepts a head one chained record behind, saying so. Anything else that
// disagrees with the head is refused.
void AuditLog::recover() {
  const LockedLog log(file_);
  recover_locked(log, file_);
}

void AuditLog::append(const std::string& event, const AuditFields& fields) {
  const auto check = [](const std::string& key) {
    if (is_record_key(key)) throw std::invalid_argument("audit field '" + key + "' is reserved");
  };
  for (const auto& field : fields.texts) check(field.first);
  for (const auto& field : fields.integers) check(field.first);
  const LockedLog log(file_);
  write_record(log, file_, event, fields, recover_locked(log, file_));
}

}  // namespace pathodino::audit
