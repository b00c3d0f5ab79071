#include "trainer/sweep/sweep_launch.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "trainer/system/durable_file.h"
#include "trainer/system/single_copy_probe.h"

extern char** environ;

namespace pathodino::sweep {
namespace {

// Where the child's stdout and stderr go: both appended to `log`, or stdout into the pipe
// `pipe_fds` and stderr to `log`.
void redirect_output(posix_spawn_file_actions_t& actions, const std::string& log,
                     const int* pipe_fds) {
  if (pipe_fds != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
}

void read_all(int fd, std::string& out) {
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0)
      out.append(buffer, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
}

// The child's exit status (128 + signal when killed).
int wait_for(pid_t pid) {
  int status = 0;
  pid_t waited = 0;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (waited < 0) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

// Runs argv[0] (searched in PATH) with stdout and stderr to `log_file` (or, with `captured`,
// stdout into it); returns the exit status (128 + signal when killed).
int run_program(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                std::string* captured = nullptr) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2] = {-1, -1};  // close-on-exec: the child keeps only its dup2'ed stdout
  if (captured != nullptr && pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  redirect_output(actions, log_file.string(), captured != nullptr ? pipe_fds : nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (captured != nullptr) close(pipe_fds[1]);
  if (spawned != 0) {
    if (captured != nullptr) close(pipe_fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(spawned));
  }
  if (captured != nullptr) {
    read_all(pipe_fds[0], *captured);
    close(pipe_fds[0]);
  }
  return wait_for(pid);
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string slurm_array_script(const SweepPlan& plan, const std::filesystem::path& bin) {
  const SweepFile& s = plan.sweep;
  const SlurmRequest& slurm = s.slurm;
  std::string script = fmt::format(
      "#!/usr/bin/env bash\n"
      "# Written by `pathodino sweep submit` for sweep {0}: one array task per run, each an MPI\n"
      "# job of {1} rank(s); a requeued task resumes its run from its latest checkpoint.\n"
      "#SBATCH --job-name=pathodino-{0}\n"
      "#SBATCH --array=0-{2}\n"
      "#SBATCH --ntasks={1}\n"
      "#SBATCH --cpus-per-task={3}\n"
      "#SBATCH --output={4}/logs/%x-%A_%a.out\n",
      s.name, s.ranks, plan.runs.size() - 1, slurm.cpus_per_task, plan.dir.string());
  if (slurm.gpus_per_task > 0)
    script += fmt::format("#SBATCH --gpus-per-task={}\n", slurm.gpus_per_task);
  if (!slurm.partition.empty()) script += "#SBATCH --partition=" + slurm.partition + "\n";
  if (!slurm.time.empty()) script += "#SBATCH --time=" + slurm.time + "\n";
  if (!slurm.account.empty()) script += "#SBATCH --account=" + slurm.account + "\n";
  for (const std::string& option : slurm.extra) script += "#SBATCH " + option + "\n";
  script += "set -euo pipefail\nruns=(";
  for (const PlannedRun& run : plan.runs) script += " " + run.name;
  script += fmt::format(
      " )\n"
      "run=${{runs[$SLURM_ARRAY_TASK_ID]}}\n"
      "export OMP_NUM_THREADS=${{SLURM_CPUS_PER_TASK:-1}}\n"
      "# Open MPI's single copy stays on unless the node forbids it (as launch/single_copy.sh)\n"
      "probe={3}\n"
      "if [ -z \"${{OMPI_MCA_btl_vader_single_copy_mechanism:-}}\" ] && [ -x \"$probe\" ] &&\n"
      "   ! \"$probe\" > /dev/null 2>&1; then\n"
      "  export OMPI_MCA_btl_vader_single_copy_mechanism=none\n"
      "fi\n"
      "echo \"sweep {0}: run $run (array task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID) on "
      "$(hostname), $SLURM_NTASKS rank(s)\"\n"
      "srun --mpi=pmix --cpu-bind=cores --kill-on-bad-exit=1 {1} train -c "
      "{2}/runs/\"$run\"/config.yaml "
      "--resume auto\n",
      s.name, shell_quote(bin.string()), shell_quote(plan.dir.string()),
      shell_quote((bin.parent_path() / "single_copy_probe").string()));
  return script;
}

int submit_to_slurm(const SweepPlan& plan, const std::filesystem::path& bin, bool wait,
                    std::ostream& out) {
  std::filesystem::create_directories(plan.dir / "logs");
  const std::filesystem::path script = plan.dir / "sweep.sbatch";
  system::write_file_durably(script, slurm_array_script(plan, bin));
  std::vector<std::string> argv{"sbatch", "--parsable"};
  if (wait) argv.push_back("--wait");
  argv.push_back(script.string());
  std::string job;
  const std::filesystem::path log = plan.dir / "logs" / "sbatch.err";
  const int rc = run_program(argv, log, &job);
  while (!job.empty() && (job.back() == '\n' || job.back() == '\r')) job.pop_back();
  job = job.substr(0, job.find(';'));  // --parsable: "jobid[;cluster]"
  if (!job.empty()) {
    system::write_file_durably(plan.dir / "slurm_job_id", job + "\n");
    out << "submitted " << script.string() << ": job array " << job << " (" << plan.runs.size()
        << " run(s) of " << plan.sweep.ranks << " rank(s)); logs in "
        << (plan.dir / "logs").string() << "\n  watch: squeue -j " << job
        << "\n  report: pathodino sweep report " << plan.dir.string() << "\n";
  }
  if (rc != 0)
    out << "sbatch exited with " << rc << (wait ? " (a task failed or was cancelled)" : "")
        << "; see " << log.string() << "\n";
  return rc;
}

int run_locally(const SweepPlan& plan, const std::filesystem::path& bin, std::ostream& out) {
  std::filesystem::create_directories(plan.dir / "logs");
  int failed = 0;
  for (const PlannedRun& run : plan.runs) {
    std::vector<std::string> argv;
    if (plan.sweep.ranks > 1) {
      argv = {"mpirun"};
      if (geteuid() == 0) argv.push_back("--allow-run-as-root");
      argv.insert(argv.end(), {"-np", std::to_string(plan.sweep.ranks), "--bind-to", "none"});
      if (!std::getenv("OMPI_MCA_btl_vader_single_copy_mechanism") &&
          !system::cross_memory_attach_problem().empty())
        argv.insert(argv.end(), {"--mca", "btl_vader_single_copy_mechanism", "none"});
    }
    argv.insert(argv.end(),
                {bin.string(), "train", "-c", plan.config_file(run).string(), "--resume", "auto"});
    const std::filesystem::path log = plan.dir / "logs" / (run.name + ".out");
    const auto start = std::chrono::steady_clock::now();
    out << "run " << run.name << " (" << plan.sweep.ranks << " rank(s)) ... " << std::flush;
    const int rc = run_program(argv, log);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rc == 0) {
      out << fmt::format("done in {:.0f} s\n", seconds);
    } else {
      ++failed;
      out << fmt::format("FAILED (exit {}) after {:.0f} s, see {}\n", rc, seconds, log.string());
    }
  }
  return failed;
}

}  // namespace pathodino::sweep
