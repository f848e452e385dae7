#include "metrics/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace pw::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, ExposesPoolAndReplicaGaugesAndReplacesThem) {
    Metrics m("1.2.3");
    m.set_pools({{"render-eus", "render-linux", 2000, 1000, 150, 40, "resizing", "Progressing", {}}});
    m.set_replicas(
        {{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/"
          "images/i/versions/1.0.0",
          "eastus", 10, 1, "Replicating"}});
    auto text = m.serialize();
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_nodes{account=\"render-eus\",kind=\"dedicated\","
                                "pool=\"render-linux\",state=\"target\"} 2000"));
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_nodes{account=\"render-eus\",kind=\"lowPriority\","
                                "pool=\"render-linux\",state=\"current\"} 40"));
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_allocation_state{account=\"render-eus\","
                                "pool=\"render-linux\",state=\"resizing\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_condition{account=\"render-eus\",condition="
                                "\"Progressing\",pool=\"render-linux\"} 1"));
    EXPECT_THAT(text, HasSubstr("kind=\"required\",region=\"eastus\"} 10"));
    EXPECT_THAT(text, HasSubstr("region=\"eastus\",state=\"Replicating\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_build_info{version=\"1.2.3\"} 1"));

    m.set_pools({});
    text = m.serialize();
    EXPECT_THAT(text, Not(HasSubstr("pool=\"render-linux\"")));
}

TEST(MetricsTest, CountsEvents) {
    Metrics m("x");
    m.cycle_finished("success", 0.2);
    m.cycle_finished("success", 0.3);
    m.action_finished("CreatePool", "success");
    m.azure_request("batch", "ListPools", 200, 0.01);
    m.azure_request("arm", "GetImageVersion", 429, 0.01);
    m.azure_throttled("arm");
    m.azure_retry("arm", "throttled");
    m.token_refresh("batch", false);
    m.config_reload(true, 1700000000);
    m.set_findings({{{"error", "SpecializedImage"}, 2}});
    auto text = m.serialize();
    EXPECT_THAT(text, HasSubstr("poolwarden_reconcile_cycles_total{result=\"success\"} 2"));
    EXPECT_THAT(text, HasSubstr("poolwarden_reconcile_cycle_duration_seconds_count 2"));
    EXPECT_THAT(text,
                HasSubstr("poolwarden_actions_total{kind=\"CreatePool\",result=\"success\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_requests_total{code=\"429\",operation="
                                "\"GetImageVersion\",service=\"arm\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_throttled_total{service=\"arm\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_token_refreshes_total{resource=\"batch\",result="
                                "\"error\"} 1"));
    EXPECT_THAT(text, HasSubstr("poolwarden_config_last_reload_success_timestamp_seconds "
                                "1700000000"));
    EXPECT_THAT(text, HasSubstr("poolwarden_findings{code=\"SpecializedImage\",severity=\"error\"} "
                                "2"));
}

TEST(MetricsTest, ExpositionPassesPromtoolCheckMetrics) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "promtool not installed";
    Metrics m("1.0.0");
    m.cycle_finished("success", 0.1);
    m.set_pools({{"a", "p", 1, 0, 1, 0, "steady", "Degraded", {{"AllocationTimedout", 1}}}});
    m.azure_request("arm", "GetBatchAccount", 200, 0.02);
    std::string path = ::testing::TempDir() + "metrics.txt";
    std::ofstream(path) << m.serialize();
    std::string cmd = "promtool check metrics < " + path + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    int rc = ::pclose(p);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, "") << out;
}

}  // namespace
}  // namespace pw::metrics
