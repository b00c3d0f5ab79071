// pathodino: one executable, one subcommand per user-facing task.
#include <CLI/CLI.hpp>

#include "trainer/cli/commands.h"
#include "trainer/system/heap_policy.h"

int main(int argc, char** argv) {
  pathodino::system::keep_freed_memory_in_heap();  // before any large allocation
  CLI::App app{"pathodino: DINOv2-style self-supervised pretraining for computational pathology"};
  app.require_subcommand(1);
  int exit_code = 0;
  pathodino::cli::add_doctor_command(app, exit_code);
  pathodino::cli::add_config_command(app, exit_code);
  pathodino::cli::add_train_command(app, exit_code);
  pathodino::cli::add_eval_command(app, exit_code);
  pathodino::cli::add_report_command(app, exit_code);
  pathodino::cli::add_audit_command(app, exit_code);
  pathodino::cli::add_export_command(app, exit_code);
  pathodino::cli::add_synth_command(app, exit_code);
  pathodino::cli::add_index_command(app, exit_code);
  pathodino::cli::add_index_dicom_command(app, exit_code);
  pathodino::cli::add_embed_command(app, exit_code);
  pathodino::cli::add_curate_command(app, exit_code);
  pathodino::cli::add_checkpoint_command(app, exit_code);
  pathodino::cli::add_keys_command(app, exit_code);
  pathodino::cli::add_sweep_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
