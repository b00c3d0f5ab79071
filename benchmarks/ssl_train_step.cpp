// Times full SSL training steps — teacher forward, student forward on all crops, DINO + iBOT +
// KoLeo, backward, clipping, AdamW, EMA — on random crops, with exactly the trainer's TrainStep.
//   ssl_train_step CONFIG STEPS WARMUP THREADS
// Prints one JSON line: {"images_per_s": ..., "step_s": [...], "phase_s": {"forward": ...}},
// phase_s holding the median seconds of each phase of the step (forward, backward, optimizer, ema).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include "benchmarks/random_ssl_batch.h"
#include "trainer/config/resolve.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/system/heap_policy.h"
#include "trainer/train/train_step.h"

int main(int argc, char** argv) {
  using namespace pathodino;
  if (argc != 5) {
    std::cerr << "usage: ssl_train_step CONFIG STEPS WARMUP THREADS\n";
    return 2;
  }
  system::keep_freed_memory_in_heap();  // as `pathodino train` does
  const ExperimentConfig config = config::resolve_config(argv[1]);
  const int steps = std::stoi(argv[2]), warmup = std::stoi(argv[3]);
  at::set_num_threads(std::stoi(argv[4]));
  const auto& d = config.data;
  const int64_t b = d.batch_size_per_rank;
  torch::manual_seed(0);
  ssl::StudentTeacher model(config.model, config.ssl, d.global_crops_size, 0);
  train::TrainStep step(model, config.optim, 1000, false);
  const auto schedules = optim::make_training_schedules(config.optim, config.ssl, b);
  ssl::SslBatch batch = bench::random_ssl_batch(config, b);
  std::vector<double> times;
  std::map<std::string, std::vector<double>> phases;
  for (int i = 0; i < warmup + steps; ++i) {
    bench::set_step_masks(batch, config, b, i, 0);
    const auto start = std::chrono::steady_clock::now();
    const auto result = step(batch, 20 + i, train::step_values(schedules, 20 + i));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.applied) {
      std::cerr << "step " << i << " was skipped as non-finite\n";
      return 1;
    }
    if (i < warmup) continue;
    times.push_back(seconds);
    std::map<std::string, double> step_phases;  // a phase may repeat over micro-batches
    for (const train::PhaseSpan& span : result.phases)
      step_phases[span.name] += std::chrono::duration<double>(span.end - span.start).count();
    for (const auto& [name, spent] : step_phases) phases[name].push_back(spent);
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::cout << "{\"images_per_s\": " << static_cast<double>(b) / median(times) << ", \"step_s\": [";
  for (size_t i = 0; i < times.size(); ++i) std::cout << (i ? ", " : "") << times[i];
  std::cout << "], \"phase_s\": {";
  const char* sep = "";
  for (const auto& [name, spent] : phases) {
    std::cout << sep << "\"" << name << "\": " << median(spent);
    sep = ", ";
  }
  std::cout << "}}" << std::endl;
  return 0;
}
