// MetricsServer: serves a MetricRegistry on http://ADDRESS:PORT/metrics, one per rank (port_base +
// local rank), bound to 127.0.0.1 unless metrics.bind_address opts in to another address. HTTP by
// cpp-httplib from Debian (prometheus-cpp is in neither registry we install from). Not civetweb:
// Debian's build creates its threads with a fixed 100 KiB stack, smaller than the static TLS of a
// process that has loaded LibTorch, so pthread_create fails there ("Cannot create first worker
// thread"); cpp-httplib's threads are std::threads with the default stack. RAII: the server stops
// and its thread joins in the destructor. Beyond loopback it asks for a bearer token, and serves
// HTTPS when given a certificate (cpp-httplib's OpenSSL server).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "trainer/metrics/metric_registry.h"

namespace pathodino::metrics {

struct EndpointSecurity {
  std::string bearer_token;     // empty: no Authorization asked for
  std::string tls_certificate;  // PEM files; empty: plain HTTP
  std::string tls_private_key;
};

// The token in `file` (surrounding whitespace dropped). Throws std::runtime_error naming the file
// when it cannot be read or holds no token.
std::string read_bearer_token(const std::filesystem::path& file);

class MetricsServer {
 public:
  // Throws std::runtime_error naming the address and port when it cannot listen (in use, bad
  // address), or the files when the certificate or key cannot be used. A scrape without
  // "Authorization: Bearer <token>" (when a token is set) gets 401.
  MetricsServer(const MetricRegistry& registry, const std::string& address, int port,
                const EndpointSecurity& security = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::string url() const { return url_; }

 private:
  struct Http;
  std::unique_ptr<Http> http_;
  std::string url_;
};

}  // namespace pathodino::metrics
