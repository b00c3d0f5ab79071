#include "trainer/metrics/metrics_server.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace pathodino::metrics {

struct MetricsServer::Http {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
};

namespace {

// Compared in constant time, so response timing says nothing about how much of a guess was right.
bool authorized(const httplib::Request& request, const std::string& token) {
  const std::string expected = "Bearer " + token;
  const std::string given = request.get_header_value("Authorization");
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::unique_ptr<httplib::Server> make_server(const EndpointSecurity& security) {
  if (security.tls_certificate.empty()) return std::make_unique<httplib::Server>();
  auto server = std::make_unique<httplib::SSLServer>(security.tls_certificate.c_str(),
                                                     security.tls_private_key.c_str());
  if (!server->is_valid())
    throw std::runtime_error("metrics: cannot serve HTTPS with certificate " +
                             security.tls_certificate + " and key " + security.tls_private_key);
  return server;
}

}  // namespace

std::string read_bearer_token(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string token;
  if (!(in >> token))
    throw std::runtime_error("metrics: " + file.string() + ": no bearer token to read");
  return token;
}

MetricsServer::MetricsServer(const MetricRegistry& registry, const std::string& address, int port,
                             const EndpointSecurity& security)
    : http_(std::make_unique<Http>()) {
  http_->server = make_server(security);
  httplib::Server& server = *http_->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };  // scrapes are rare
  server.Get("/metrics", [&registry, token = security.bearer_token](const httplib::Request& request,
                                                                    httplib::Response& response) {
    if (!token.empty() && !authorized(request, token)) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Bearer");
      response.set_content("a bearer token is required\n", "text/plain");
      return;
    }
    response.set_content(registry.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  errno = 0;
  if (!server.bind_to_port(address, port)) {
    const int error = errno;
    throw std::runtime_error("metrics: cannot listen on " + address + ":" + std::to_string(port) +
                             ": " + (error != 0 ? std::strerror(error) : "bind failed"));
  }
  http_->thread = std::thread([&server] { server.listen_after_bind(); });
  const bool tls = !security.tls_certificate.empty();
  url_ =
      std::string(tls ? "https://" : "http://") + address + ":" + std::to_string(port) + "/metrics";
}

MetricsServer::~MetricsServer() {
  http_->server->stop();
  if (http_->thread.joinable()) http_->thread.join();
}

}  // namespace pathodino::metrics
