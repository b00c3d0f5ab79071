#include "trainer/metrics/metrics_server.h"

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace pathodino::metrics {

struct MetricsServer::Http {
  httplib::Server server;
  std::thread thread;
};

MetricsServer::MetricsServer(const MetricRegistry& registry, const std::string& address, int port)
    : http_(std::make_unique<Http>()) {
  httplib::Server& server = http_->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };  // scrapes are rare
  server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  errno = 0;
  if (!server.bind_to_port(address, port)) {
    const int error = errno;
    throw std::runtime_error("metrics: cannot listen on " + address + ":" + std::to_string(port) +
                             ": " + (error != 0 ? std::strerror(error) : "bind failed"));
  }
  http_->thread = std::thread([&server] { server.listen_after_bind(); });
  url_ = "http://" + address + ":" + std::to_string(port) + "/metrics";
}

MetricsServer::~MetricsServer() {
  http_->server.stop();
  if (http_->thread.joinable()) http_->thread.join();
}

}  // namespace pathodino::metrics
