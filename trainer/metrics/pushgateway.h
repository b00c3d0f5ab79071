// Pushes one rank's metrics to a Prometheus Pushgateway (metrics.pushgateway_url), for jobs too
// short to be scraped: HTTP PUT of the text exposition to
//   URL/metrics/job/pathodino/run/<run>/rank/<rank>
// so each rank's group replaces its previous push and ranks never overwrite each other.
#pragma once

#include <string>

namespace pathodino::metrics {

// `url` is http://host:port[/path]. Returns "" on success, else what went wrong (naming the URL);
// a failed push must not fail a finished run, so it does not throw.
std::string push_to_gateway(const std::string& url, const std::string& run, int rank,
                            const std::string& exposition);

// The path segment of a grouping label value: plain when safe, else Pushgateway's `@base64` form.
std::string grouping_segment(const std::string& label, const std::string& value);

}  // namespace pathodino::metrics
