// MetricsOptions: the `metrics:` section — Prometheus endpoint, JSONL log and step timeline.
#pragma once

#include <cstdint>
#include <string>

namespace pathodino::metrics {

struct MetricsOptions {
  bool prometheus = true;
  std::string bind_address = "127.0.0.1";  // another address is an explicit opt-in
  int64_t port_base = 9464;                // each rank serves on port_base + local rank
  std::string pushgateway_url;             // push once at the end of the run; empty = never
  int64_t timeline_start_step = 0;         // Chrome-trace window [start, start + steps)
  int64_t timeline_steps = 0;              // 0 = no timeline
  // Beyond loopback the endpoint asks for a bearer token, read from this file (never written in
  // the config, never logged); with a certificate and its private key (PEM files) it serves HTTPS.
  std::string bearer_token_file;
  std::string tls_certificate;
  std::string tls_private_key;
};

// 127.0.0.1, ::1 and localhost: addresses only the host itself can reach.
inline bool is_loopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "localhost";
}

}  // namespace pathodino::metrics
