// The Prometheus text exposition of MetricRegistry: HELP/TYPE lines, constant labels on every
// sample, a sample's own label, escaping, counters that only grow, names Prometheus refuses.
// (A live scrape is checked with promtool and the real Prometheus server in
// tests/cli/test_metrics.sh.)
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "trainer/metrics/metric_registry.h"
#include "trainer/metrics/pushgateway.h"

namespace pathodino::metrics {
namespace {

TEST(MetricRegistry, RendersFamiliesWithTheirLabels) {
  MetricRegistry r({{"rank", "1"}, {"run", "a\"b"}});
  r.declare("pathodino_step", MetricType::gauge, "Training steps completed.");
  r.declare("pathodino_loss", MetricType::gauge, "Loss by term.");
  r.declare("pathodino_images_total", MetricType::counter, "Images.");
  r.declare("pathodino_unused", MetricType::gauge, "Never set: not rendered.");
  r.set("pathodino_step", 12);
  r.set("pathodino_loss", 0.25, {{"term", "dino"}});
  r.set("pathodino_loss", std::numeric_limits<double>::quiet_NaN(), {{"term", "ibot"}});
  r.add("pathodino_images_total", 16);
  r.add("pathodino_images_total", 16);
  EXPECT_EQ(r.render(),
            "# HELP pathodino_images_total Images.\n"
            "# TYPE pathodino_images_total counter\n"
            "pathodino_images_total{rank=\"1\",run=\"a\\\"b\"} 32\n"
            "# HELP pathodino_loss Loss by term.\n"
            "# TYPE pathodino_loss gauge\n"
            "pathodino_loss{rank=\"1\",run=\"a\\\"b\",term=\"dino\"} 0.25\n"
            "pathodino_loss{rank=\"1\",run=\"a\\\"b\",term=\"ibot\"} NaN\n"
            "# HELP pathodino_step Training steps completed.\n"
            "# TYPE pathodino_step gauge\n"
            "pathodino_step{rank=\"1\",run=\"a\\\"b\"} 12\n");
}

TEST(MetricRegistry, RefusesWhatPrometheusWouldRefuse) {
  MetricRegistry r({});
  EXPECT_THROW(r.declare("2fast", MetricType::gauge, ""), std::invalid_argument);
  EXPECT_THROW(r.declare("pathodino-step", MetricType::gauge, ""), std::invalid_argument);
  EXPECT_THROW(r.declare("pathodino_images", MetricType::counter, ""), std::invalid_argument)
      << "a counter's name ends in _total";
  r.declare("pathodino_images_total", MetricType::counter, "");
  EXPECT_THROW(r.declare("pathodino_images_total", MetricType::counter, ""), std::invalid_argument);
  EXPECT_THROW(r.add("pathodino_images_total", -1), std::invalid_argument);
  EXPECT_THROW(r.set("pathodino_images_total", 1), std::logic_error) << "a counter is not set";
  EXPECT_THROW(r.set("pathodino_nothing", 1), std::logic_error);
  EXPECT_THROW(MetricRegistry(MetricRegistry::Labels{{"bad-label", "x"}}), std::invalid_argument);
  EXPECT_EQ(escape_label_value("a\\b\n\"c\""), "a\\\\b\\n\\\"c\\\"");
}

}  // namespace
}  // namespace pathodino::metrics

namespace pathodino::metrics {
namespace {

TEST(Pushgateway, GroupingLabelsArePlainWhenSafeElseBase64) {
  EXPECT_EQ(grouping_segment("rank", "3"), "rank/3");
  EXPECT_EQ(grouping_segment("run", "vits16_lr-2e-4.b"), "run/vits16_lr-2e-4.b");
  // Pushgateway's URL-safe base64 form (RFC 4648 section 5): '/' and '+' never reach the path.
  EXPECT_EQ(grouping_segment("run", "a b/c?"), "run@base64/YSBiL2M_");
  EXPECT_EQ(grouping_segment("run", ""), "run@base64/=");
}

TEST(Pushgateway, AnUnreachableGatewayIsAnErrorNotAnException) {
  const std::string error = push_to_gateway("http://127.0.0.1:1", "r", 0, "x 1\n");
  EXPECT_NE(error.find("127.0.0.1:1/metrics/job/pathodino/run/r/rank/0"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace pathodino::metrics
