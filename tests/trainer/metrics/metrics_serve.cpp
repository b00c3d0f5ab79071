// Test helper for test_metrics_security.sh: serves a registry holding one gauge
// (pathodino_probe 42) as the trainer's ranks serve theirs, until killed or SECONDS pass.
//   metrics_serve ADDRESS PORT SECONDS [TOKEN_FILE [CERT KEY]]
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "trainer/metrics/metric_registry.h"
#include "trainer/metrics/metrics_server.h"

int main(int argc, char** argv) {
  using namespace pathodino::metrics;
  if (argc != 4 && argc != 5 && argc != 7) {
    std::cerr << "usage: metrics_serve ADDRESS PORT SECONDS [TOKEN_FILE [CERT KEY]]\n";
    return 2;
  }
  try {
    MetricRegistry registry(MetricRegistry::Labels{{"run", "probe"}});
    registry.declare("pathodino_probe", MetricType::gauge, "a value to scrape");
    registry.set("pathodino_probe", 42);
    EndpointSecurity security;
    if (argc >= 5) security.bearer_token = read_bearer_token(argv[4]);
    if (argc == 7) security = {security.bearer_token, argv[5], argv[6]};
    const MetricsServer server(registry, argv[1], std::stoi(argv[2]), security);
    std::cout << server.url() << std::endl;
    std::this_thread::sleep_for(std::chrono::seconds(std::stoi(argv[3])));
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
