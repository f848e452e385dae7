// `leaderElection:` of the daemon file (issue 18): bounds and messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "config/load.hpp"
#include "config_fixture.hpp"

namespace pw::config {
namespace {

using fixture::TempDir;
using namespace std::chrono_literals;

constexpr const char* kBase = "poolsDir: pools.d\nleaderElection:\n";
const std::string LF = "poolwarden.yaml:";

std::vector<std::string> LeaderErrors(const std::string& section) {
    TempDir dir;
    auto loaded = LoadDaemonFile(dir.Write("poolwarden.yaml", kBase + section));
    std::vector<std::string> out;
    if (!loaded.ok())
        for (const auto& e : loaded.error())
            out.push_back(e.str().substr(e.str().find("poolwarden.yaml:")));
    return out;
}

LeaderElectionConfig Loaded(const std::string& section) {
    TempDir dir;
    auto loaded = LoadDaemonFile(dir.Write("poolwarden.yaml", kBase + section));
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error()[0].str());
    return loaded.ok() ? loaded->leader_election : LeaderElectionConfig{};
}

const std::string kUrl = "  blobUrl: https://acct.blob.core.windows.net/poolwarden/leader\n";

TEST(LeaderElectionConfig, ValidWithDefaults) {
    auto le = Loaded("  enabled: true\n" + kUrl);
    EXPECT_TRUE(le.enabled);
    EXPECT_EQ(le.blob_url, "https://acct.blob.core.windows.net/poolwarden/leader");
    EXPECT_EQ(le.lease_duration, 30s);
    EXPECT_EQ(le.renew_every, 10s);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    EXPECT_EQ(le.identity, host);
}

TEST(LeaderElectionConfig, BoundsAccepted) {
    auto low = Loaded("  enabled: true\n" + kUrl + "  leaseDuration: 15s\n  renewEvery: 7s\n");
    EXPECT_EQ(low.lease_duration, 15s);
    EXPECT_EQ(low.renew_every, 7s);
    auto high = Loaded("  enabled: true\n" + kUrl +
                       "  leaseDuration: 60s\n  renewEvery: 29s\n  identity: vm-a\n");
    EXPECT_EQ(high.lease_duration, 60s);
    EXPECT_EQ(high.renew_every, 29s);
    EXPECT_EQ(high.identity, "vm-a");
    // Without renewEvery: a third of the lease.
    EXPECT_EQ(Loaded("  enabled: true\n" + kUrl + "  leaseDuration: 15s\n").renew_every, 5s);
    // Loopback may be plain http (Azurite, tests); the account is then the first segment.
    EXPECT_TRUE(Loaded("  enabled: true\n  blobUrl: http://127.0.0.1:10000/devstoreaccount1/c/b\n")
                    .enabled);
}

TEST(LeaderElectionConfig, BoundsRejectedWithFileLineField) {
    EXPECT_THAT(
        LeaderErrors("  enabled: true\n" + kUrl + "  leaseDuration: 14s\n"),
        ::testing::ElementsAre(
            LF + "5:18: leaderElection.leaseDuration: must be >= 15s (Azure's shortest lease)"));
    EXPECT_THAT(LeaderErrors("  enabled: true\n" + kUrl + "  leaseDuration: 61s\n"),
                ::testing::ElementsAre(LF + "5:18: leaderElection.leaseDuration: must be <= 1m"));
    EXPECT_THAT(
        LeaderErrors("  enabled: true\n" + kUrl + "  leaseDuration: 15s\n  renewEvery: 8s\n"),
        ::testing::ElementsAre(LF + "6:15: leaderElection.renewEvery: must be shorter than "
                                    "leaseDuration / 2 (leaseDuration is 15s)"));
    EXPECT_THAT(
        LeaderErrors("  enabled: true\n  identity: vm-a\n"),
        ::testing::ElementsAre(LF + "3:3: leaderElection.blobUrl: required when enabled is true"));
}

TEST(LeaderElectionConfig, UrlRules) {
    EXPECT_THAT(LeaderErrors("  enabled: true\n  blobUrl: http://acct.blob.core.windows.net/c/b\n"),
                ::testing::ElementsAre(LF + "4:12: leaderElection.blobUrl: plain http is allowed "
                                            "only to loopback hosts (127.0.0.0/8, ::1, localhost); "
                                            "use https"));
    EXPECT_THAT(LeaderErrors("  enabled: true\n  blobUrl: https://acct.blob.core.windows.net/c\n"),
                ::testing::ElementsAre(LF + "4:12: leaderElection.blobUrl: expected "
                                            "https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB, "
                                            "got 'https://acct.blob.core.windows.net/c'"));
    auto sas =
        LeaderErrors("  enabled: true\n  blobUrl: https://a.blob.core.windows.net/c/b?sig=x\n");
    ASSERT_EQ(sas.size(), 1u);
    EXPECT_THAT(sas[0], ::testing::HasSubstr("no query string"));
    EXPECT_THAT(sas[0], ::testing::Not(::testing::HasSubstr("sig=x")));
    EXPECT_THAT(LeaderErrors("  enabled: yes please\n  leaseDurations: 30s\n"),
                ::testing::ElementsAre(
                    LF + "3:12: leaderElection.enabled: expected true or false, got 'yes please'",
                    LF + "4:3: leaderElection.leaseDurations: unknown key (did you mean "
                         "'leaseDuration'?)"));
}

}  // namespace
}  // namespace pw::config
