// The subcommands of `pathodino`. Each add_*_command registers itself on the app; when the user
// picks it, it runs and stores its exit status in `exit_code`. Commands are thin: the work is in
// library code that tests call directly.
#pragma once

namespace CLI {
class App;
}

namespace pathodino::cli {

void add_doctor_command(CLI::App& app, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
// `eval robustness` and `eval slides`, subcommands of `eval`.
void add_eval_robustness_command(CLI::App& eval, int& exit_code);
void add_eval_slides_command(CLI::App& eval, int& exit_code);
void add_synth_command(CLI::App& app, int& exit_code);
void add_index_command(CLI::App& app, int& exit_code);
void add_index_dicom_command(CLI::App& app, int& exit_code);
void add_checkpoint_command(CLI::App& app, int& exit_code);
void add_keys_command(CLI::App& app, int& exit_code);
void add_sweep_command(CLI::App& app, int& exit_code);
void add_embed_command(CLI::App& app, int& exit_code);
void add_curate_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_audit_command(CLI::App& app, int& exit_code);
// `audit ledger` and `audit used` (ledger_command.cpp), under `audit`.
void add_audit_ledger_commands(CLI::App& audit, int& exit_code);

}  // namespace pathodino::cli
