// `pathodino audit verify LOG [--json]`: checks a tamper-evident audit log (a run's audit.jsonl,
// or a shared one) from its first record to its head file. Exit 0 when every record's hash,
// sequence number and link hold and the head matches the last record; exit 1 naming the first
// line (record, event) at fault otherwise.
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "trainer/audit/audit_verify.h"
#include "trainer/cli/commands.h"

namespace pathodino::cli {
namespace {

struct AuditArgs {
  std::string log;
  bool json = false;
};

int verify(const AuditArgs& args) {
  const audit::AuditVerdict v = audit::verify_audit_log(args.log);
  if (args.json) {
    nlohmann::json j{{"log", args.log}, {"ok", v.ok}, {"records", v.records}, {"head", v.head}};
    if (!v.ok) j["problem"] = v.problem;
    if (!v.note.empty()) j["note"] = v.note;
    std::cout << j.dump() << "\n";
  } else if (v.ok) {
    std::cout << "ok: " << args.log << ": " << v.records
              << " record(s), every hash and link intact, head " << v.head.substr(0, 16) << "\n"
              << (v.note.empty() ? "" : "  note: " + v.note + "\n");
  } else {
    std::cerr << "audit verify: " << args.log << ": " << v.problem << " (" << v.records
              << " record(s) before it intact)\n";
  }
  return v.ok ? 0 : 1;
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand(
      "audit", "Check the tamper-evident audit log of runs; the data behind a checkpoint");
  audit->require_subcommand(1);
  add_audit_ledger_commands(*audit, exit_code);
  auto args = std::make_shared<AuditArgs>();
  auto* verify_command = audit->add_subcommand(
      "verify", "Check every record's hash and link and the head of an audit log");
  verify_command->add_option("log", args->log, "the audit log (RUN/audit.jsonl or a shared one)")
      ->required();
  verify_command->add_flag("--json", args->json, "print one JSON object");
  verify_command->callback([args, &exit_code] {
    try {
      exit_code = verify(*args);
    } catch (const std::exception& e) {
      std::cerr << "audit verify: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace pathodino::cli
