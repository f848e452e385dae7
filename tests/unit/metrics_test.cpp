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
    PoolSample pool{.account = "render-eus",
                    .pool = "render-linux",
                    .target_dedicated = 2000,
                    .target_low_priority = 1000,
                    .current_dedicated = 150,
                    .current_low_priority = 40,
                    .desired_dedicated = 2000,
                    .desired_low_priority = 1000,
                    .allocation_state = "resizing",
                    .conditions = {{"Ready", false}, {"Progressing", true}, {"Degraded", false}},
                    .resize_errors = {}};
    m.set_pools({pool});
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
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_condition{account=\"render-eus\",condition="
                                "\"Ready\",pool=\"render-linux\"} 0"));
    EXPECT_THAT(text, HasSubstr("poolwarden_pool_nodes{account=\"render-eus\",kind=\"dedicated\","
                                "pool=\"render-linux\",state=\"desired\"} 2000"));
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
    m.azure_throttled("arm", "get_image_version");
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
    EXPECT_THAT(text, HasSubstr("poolwarden_azure_throttled_total{operation=\"get_image_version\","
                                "service=\"arm\"} 1"));
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
    m.set_pools({{.account = "a",
                  .pool = "p",
                  .target_dedicated = 1,
                  .current_dedicated = 1,
                  .allocation_state = "steady",
                  .conditions = {{"Degraded", true}},
                  .resize_errors = {{"AllocationTimedout", 1}}}});
    m.set_replicas({{"v", "eastus", 10, 1, "Missing"}});
    m.set_findings({{{"warning", "ReplicaCapReached"}, 1}});
    m.set_config_errors({{"pools.d/a.yaml", 2}});
    m.config_reload(true, 1700000000);
    m.token_refresh("arm", true);
    m.azure_throttled("batch", "list_pools");
    m.azure_retry("batch", "throttled");
    m.ratelimit_remaining("subscription-reads", 11999);
    m.action_finished("CreatePool", "waiting");
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

TEST(MetricsTest, ReadmeDocumentsEveryFamily) {
    std::ifstream in(std::string(PW_SOURCE_DIR) + "/README.md");
    std::string readme{std::istreambuf_iterator<char>(in), {}};
    auto section = readme.find("## Observability");
    ASSERT_NE(section, std::string::npos);
    readme = readme.substr(section);
    Metrics m("x");
    ASSERT_EQ(m.family_names().size(), 20U);
    for (const auto& name : m.family_names())
        EXPECT_THAT(readme, HasSubstr("| `" + name + "` |")) << name << " is not in the README";
}

}  // namespace
}  // namespace pw::metrics
