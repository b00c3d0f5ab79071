#include "trainer/metrics/pushgateway.h"

#include <httplib.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace pathodino::metrics {

std::string grouping_segment(const std::string& label, const std::string& value) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (plain) return label + "/" + value;
  std::string encoded(4 * ((value.size() + 2) / 3), '\0');  // base64, then the URL-safe alphabet
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                  reinterpret_cast<const unsigned char*>(value.data()),
                  static_cast<int>(value.size()));
  std::replace(encoded.begin(), encoded.end(), '+', '-');
  std::replace(encoded.begin(), encoded.end(), '/', '_');
  return label + "@base64/" + (encoded.empty() ? "=" : encoded);
}

std::string push_to_gateway(const std::string& url, const std::string& run, int rank,
                            const std::string& exposition) {
  // Split http://host:port from an optional path prefix.
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string host = url.substr(0, path_start);
  std::string prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const std::string path = prefix + "/metrics/job/pathodino/" + grouping_segment("run", run) + "/" +
                           grouping_segment("rank", std::to_string(rank));
  httplib::Client client(host);
  if (!client.is_valid()) return "metrics.pushgateway_url: cannot use '" + url + "'";
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  const httplib::Result result = client.Put(path, exposition, "text/plain; version=0.0.4");
  if (!result) return "push to " + host + path + " failed: " + httplib::to_string(result.error());
  if (result->status < 200 || result->status >= 300)
    return "push to " + host + path + ": HTTP " + std::to_string(result->status) + " " +
           result->body;
  return "";
}

}  // namespace pathodino::metrics
