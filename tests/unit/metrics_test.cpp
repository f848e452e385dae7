#include "metrics/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
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

TEST(MetricsTest, ExpositionPiecesJoinedAreTheSerializedText) {
    Metrics m("x");
    m.cycle_finished("success", 0.2);
    m.azure_request("batch", "list_pools", 200, 0.05);
    m.set_replicas({{"/v/1", "eastus", 3, 1, "Replicating"}});
    std::vector<PoolSample> pools;
    for (int i = 0; i < 1000; ++i)
        pools.push_back({.account = "a" + std::to_string(i % 7),
                         .pool = "pool-" + std::to_string(i),
                         .target_dedicated = i,
                         .allocation_state = "steady",
                         .conditions = {{"Ready", true}},
                         .resize_errors = {{"AllocationTimedout", i % 3}}});
    m.set_pools(pools);
    const auto whole = m.serialize();
    for (std::size_t piece : {std::size_t{1}, std::size_t{8192}, std::size_t{64 * 1024}}) {
        auto e = m.exposition(piece);
        std::string joined;
        std::size_t pieces = 0, largest = 0;
        bool more = true;
        while (more) {
            std::string out;
            more = e.next(out);
            ++pieces;
            largest = std::max(largest, out.size());
            joined += out;
        }
        EXPECT_EQ(joined, whole) << "piece size " << piece;
        EXPECT_GT(pieces, whole.size() / (piece + 128 * 1024)) << "piece size " << piece;
        // At most a block of pools beyond the piece size: never a whole family at once.
        EXPECT_LT(largest, piece + 128 * 1024) << "piece size " << piece;
    }
}

TEST(MetricsTest, ManyPoolsKeepOneContiguousGroupPerFamily) {
    // More pools than one serialization chunk: each family must still have one HELP and one
    // TYPE line, followed by all of its samples (the text format requires one group).
    Metrics m("x");
    std::vector<PoolSample> pools;
    for (int i = 0; i < 1500; ++i)
        pools.push_back({.account = "a" + std::to_string(i % 7),
                         .pool = "pool-" + std::to_string(i),
                         .target_dedicated = i,
                         .desired_dedicated = i,
                         .desired_low_priority = 0,
                         .allocation_state = i % 2 ? "steady" : "resizing",
                         .conditions = {{"Ready", i % 2 == 1}},
                         .resize_errors = {{"AllocationTimedout", 1}}});
    m.set_pools(pools);
    std::istringstream in(m.serialize());
    std::map<std::string, int> samples, help, type;
    std::set<std::string> finished;
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream words(line);
        std::string first, second, name;
        words >> first >> second >> name;
        if (first == "#") {
            (second == "HELP" ? help : type)[name]++;
            if (name != current) {
                if (!current.empty()) finished.insert(current);
                ASSERT_EQ(finished.count(name), 0U) << name << " appears in two groups";
                current = name;
            }
            continue;
        }
        name = line.substr(0, line.find_first_of("{ "));
        ASSERT_EQ(name.rfind(current, 0), 0U) << line << " outside its family's group";
        samples[name]++;
    }
    for (const char* family : {"poolwarden_pool_nodes", "poolwarden_pool_allocation_state",
                               "poolwarden_pool_condition", "poolwarden_pool_resize_errors"}) {
        EXPECT_EQ(help[family], 1) << family;
        EXPECT_EQ(type[family], 1) << family;
    }
    EXPECT_EQ(samples["poolwarden_pool_nodes"], 1500 * 6);
    EXPECT_EQ(samples["poolwarden_pool_allocation_state"], 1500 * 3);
    EXPECT_EQ(samples["poolwarden_pool_condition"], 1500 * 3);
    EXPECT_EQ(samples["poolwarden_pool_resize_errors"], 1500);
    auto text = m.serialize();
    for (std::string sample : {"poolwarden_pool_nodes{account=\"a1\",kind=\"dedicated\","
                               "pool=\"pool-1499\",state=\"desired\"} 1499\n",
                               "poolwarden_pool_condition{account=\"a1\",condition=\"Ready\","
                               "pool=\"pool-1\"} 1\n"})
        EXPECT_NE(text.find(sample), std::string::npos) << sample;  // (the text is 1.8 MB)
}

TEST(MetricsTest, ReadmeDocumentsEveryFamily) {
    std::ifstream in(std::string(PW_SOURCE_DIR) + "/README.md");
    std::string readme{std::istreambuf_iterator<char>(in), {}};
    auto section = readme.find("## Observability");
    ASSERT_NE(section, std::string::npos);
    readme = readme.substr(section);
    Metrics m("x");
    ASSERT_EQ(m.family_names().size(), 27U);
    for (const auto& name : m.family_names())
        EXPECT_THAT(readme, HasSubstr("| `" + name + "` |")) << name << " is not in the README";
}

}  // namespace
}  // namespace pw::metrics
