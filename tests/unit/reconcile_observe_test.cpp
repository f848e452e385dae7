#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/latest.hpp"
#include "observe/observe.hpp"
#include "reconcile/secret_digest.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::testing {
namespace {

using namespace std::chrono_literals;

class ObserveTest : public ::testing::Test {
  protected:
    void SetUp() override {
        azure.add_account(MakeAccount("eus"), "eastus");
        azure.add_account(MakeAccount("wus"), "westus");
        azure.add_version(kVersion140, "East US", 1);
        azure.add_image(kImageRender);
        desired.accounts = {MakeAccount("eus"), MakeAccount("wus")};
        desired.pools = {MakePool("a", "eus", kVersion140, 100),
                         MakePool("b", "eus", kVersion140, 200),
                         MakePool("c", "wus", kVersion140, 300)};
        for (int i = 0; i < 5; ++i) {
            model::ObservedPool p;
            p.id = "existing-" + std::to_string(i);
            azure.add_pool("eusbatch", p);
        }
    }
    observe::Observation Observe(std::chrono::steady_clock::time_point now) {
        return RunSync(observer.observe(desired, now));
    }

    FakeAzure azure;
    model::DesiredState desired;
    observe::Observer observer{azure, azure, {}};
    std::chrono::steady_clock::time_point t0{std::chrono::hours(1000)};
};

TEST_F(ObserveTest, OneListPerAccountAndOneGetPerDistinctVersion) {
    auto obs = Observe(t0);
    EXPECT_EQ(azure.count("LIST pools"), 2);
    EXPECT_EQ(azure.count("GET pool "), 0) << "never one GET per pool";
    EXPECT_EQ(azure.count("GET version"), 1) << "three pools share one version";
    EXPECT_EQ(azure.count("GET image"), 1);
    EXPECT_EQ(azure.count("GET account"), 2);
    EXPECT_EQ(azure.count("LIST skus"), 2) << "one VM size list per subscription and location";
    EXPECT_EQ(azure.count("LIST supportedimages"), 2) << "one supported images list per account";
    EXPECT_EQ(azure.count("GET subscription"), 0) << "every image is in the accounts' subscription";
    EXPECT_EQ(azure.count("GET provider"), 0);
    ASSERT_TRUE(obs.account_complete("eus"));
    ASSERT_TRUE(obs.account_complete("wus"));
    EXPECT_EQ(obs.state.accounts.at("eus").pools.size(), 5u);
    EXPECT_EQ(obs.state.accounts.at("eus").location, "eastus");
    EXPECT_EQ(obs.state.accounts.at("eus").endpoint, "https://eusbatch.eastus.batch.azure.com");
    EXPECT_EQ(obs.state.image_versions.size(), 1u);
    EXPECT_EQ(obs.state.images.size(), 1u);
    EXPECT_EQ(obs.calls, 10);
}

TEST_F(ObserveTest, SupportedImagesAreReadOncePerAccountAndCachedForADay) {
    azure.node_agent_skus = model::NodeAgentSkuTable{{"batch.node.ubuntu 22.04", "linux"}};
    azure.fail("LIST supportedimages https://wusbatch",
               MakeError(azure::ErrorKind::Server, 500, "InternalError"));
    auto obs = Observe(t0);
    EXPECT_EQ(azure.count("LIST supportedimages"), 2);
    ASSERT_TRUE(obs.state.accounts.at("eus").node_agent_skus);
    EXPECT_EQ(obs.state.accounts.at("eus").node_agent_skus->at("batch.node.ubuntu 22.04"), "linux");
    EXPECT_FALSE(obs.state.accounts.at("wus").node_agent_skus) << "failed: not known, skipped";
    EXPECT_TRUE(obs.account_complete("wus")) << "a pre-flight fact never blocks the account";
    azure.clear_calls();
    (void)Observe(t0 + 59min);
    EXPECT_EQ(azure.count("LIST supportedimages"), 0) << "no read per cycle";
    obs = Observe(t0 + 1h);
    EXPECT_EQ(azure.count("LIST supportedimages"), 1) << "the failed one is retried hourly";
    EXPECT_TRUE(obs.state.accounts.at("wus").node_agent_skus);
    azure.clear_calls();
    obs = Observe(t0 + 23h + 59min);
    EXPECT_EQ(azure.count("LIST supportedimages"), 0);
    EXPECT_TRUE(obs.state.accounts.at("eus").node_agent_skus) << "served from the cache";
    (void)Observe(t0 + 24h);
    EXPECT_EQ(azure.count("LIST supportedimages"), 1) << "eus after 24 h (wus read at 1 h)";
}

TEST_F(ObserveTest, ImageOfAnotherSubscriptionReadsTenantsAndRegistrationDaily) {
    const std::string other_sub = "99999999-9999-9999-9999-999999999999";
    const std::string account_sub = MakeAccount("eus").subscription_id;
    std::string version = kVersion140;
    version.replace(version.find("11111111-1111-1111-1111-111111111111"), 36, other_sub);
    azure.add_version(version, "East US", 1);
    azure.add_image(version.substr(0, version.find("/versions/")));
    desired.pools.push_back(MakePool("x", "eus", version, 10));
    desired.pools.push_back(MakePool("y", "wus", version, 10));
    azure.tenants = {{model::Lower(account_sub), "t1"}};
    azure.registrations = {{other_sub + "/microsoft.batch", "NotRegistered"}};
    auto obs = Observe(t0);
    EXPECT_EQ(azure.count("GET subscription"), 2) << "the account's and the image's, once each";
    EXPECT_EQ(azure.count("GET provider " + other_sub + "/Microsoft.Batch"), 1);
    EXPECT_EQ(azure.count("GET provider"), 1) << "only the image's subscription";
    EXPECT_EQ(obs.state.subscriptions.at(model::Lower(account_sub)).tenant_id, "t1");
    EXPECT_EQ(obs.state.subscriptions.at(other_sub).batch_registration_state, "NotRegistered");
    EXPECT_EQ(obs.state.subscriptions.at(other_sub).tenant_id, "") << "404: not known";
    azure.tenants[other_sub] = "t2";
    azure.registrations[other_sub + "/microsoft.batch"] = "Registered";
    azure.clear_calls();
    obs = Observe(t0 + 59min);
    EXPECT_EQ(azure.count("GET subscription") + azure.count("GET provider"), 0);
    EXPECT_EQ(obs.state.subscriptions.at(other_sub).batch_registration_state, "NotRegistered")
        << "cached for a day";
    obs = Observe(t0 + 1h);
    EXPECT_EQ(azure.count("GET subscription " + other_sub), 1) << "a failed read: hourly";
    EXPECT_EQ(azure.count("GET subscription") + azure.count("GET provider"), 1);
    EXPECT_EQ(obs.state.subscriptions.at(other_sub).tenant_id, "t2");
    azure.clear_calls();
    obs = Observe(t0 + 24h);
    EXPECT_EQ(azure.count("GET provider"), 1);
    EXPECT_EQ(obs.state.subscriptions.at(other_sub).batch_registration_state, "Registered");
}

TEST_F(ObserveTest, AForbiddenVersionIsDeniedNotUnknown) {
    azure.fail("GET version " + std::string(kVersion140),
               MakeError(azure::ErrorKind::Auth, 403, "AuthorizationFailed"));
    auto obs = Observe(t0);
    EXPECT_TRUE(obs.failed_versions.empty()) << "the pools are planned (and held) on it";
    ASSERT_EQ(obs.state.denied_images.count(model::ResourceKey(kVersion140)), 1u);
    EXPECT_NE(
        obs.state.denied_images.at(model::ResourceKey(kVersion140)).find("AuthorizationFailed"),
        std::string::npos);
}

TEST_F(ObserveTest, AnAccountHoldingAPoolOnQuotaIsReadSooner) {
    (void)Observe(t0);
    observer.set_quota_held({"eus"});
    azure.clear_calls();
    (void)Observe(t0 + 29s);
    EXPECT_EQ(azure.count("GET account"), 0);
    (void)Observe(t0 + 31s);
    EXPECT_EQ(azure.count("GET account eusbatch"), 1) << "a raised quota is seen within 30 s";
    EXPECT_EQ(azure.count("GET account"), 1) << "the other account keeps its hourly cache";
}

TEST_F(ObserveTest, VmSizeListsAreReadOncePerLocationAndCachedForADay) {
    model::VmSku sku;
    sku.name = "Standard_D4s_v3";
    sku.family = "standardDSv3Family";
    sku.vcpus = 4;
    azure.vm_skus["eastus"] = {sku};
    auto second = MakeAccount("eus");
    second.name = "eus-b";
    second.account_name = "eusbbatch";
    azure.add_account(second, "eastus");
    desired.accounts.push_back(second);
    auto obs = Observe(t0);
    EXPECT_EQ(azure.count("LIST skus"), 2) << "eastus once for two accounts, westus once";
    ASSERT_TRUE(obs.state.accounts.at("eus").vm_skus);
    EXPECT_EQ(obs.state.accounts.at("eus").vm_skus->at("standard_d4s_v3").vcpus, 4);
    EXPECT_EQ(obs.state.accounts.at("eus-b").vm_skus, obs.state.accounts.at("eus").vm_skus);
    EXPECT_FALSE(obs.state.accounts.at("wus").vm_skus) << "westus answered 404: not known";
    azure.clear_calls();
    obs = Observe(t0 + 23h);
    EXPECT_EQ(azure.count("LIST skus"), 1) << "eastus cached for 24 h, westus (404) retried hourly";
    EXPECT_TRUE(obs.state.accounts.at("eus").vm_skus);
    azure.vm_skus["westus"] = {sku};
    azure.clear_calls();
    obs = Observe(t0 + 24h);
    EXPECT_EQ(azure.count("LIST skus"), 2);
    EXPECT_TRUE(obs.state.accounts.at("wus").vm_skus);
}

TEST_F(ObserveTest, AccountsAndImagesAreCachedAndImagesRefreshHourly) {
    (void)Observe(t0);
    azure.clear_calls();
    auto obs = Observe(t0 + 10min);
    EXPECT_EQ(azure.count("GET account"), 0);
    EXPECT_EQ(azure.count("GET image"), 0);
    EXPECT_EQ(azure.count("GET version"), 1) << "replication status is read every cycle";
    EXPECT_EQ(azure.count("LIST pools"), 2);
    EXPECT_EQ(obs.state.images.size(), 1u);
    azure.clear_calls();
    (void)Observe(t0 + 61min);
    EXPECT_EQ(azure.count("GET image"), 1);
}

TEST_F(ObserveTest, ALocalNamePointedAtAnotherAccountReadsTheNewOneAtOnce) {
    auto moved = MakeAccount("eus");
    moved.account_name = "eus2batch";
    azure.add_account(moved, "eastus2");
    (void)Observe(t0);  // caches eusbatch under "eus"
    azure.clear_calls();

    desired.accounts[0] = moved;  // a reload: same local name, another accountName
    auto obs = Observe(t0 + 1min);
    EXPECT_EQ(azure.count("GET account eus2batch"), 1);
    EXPECT_EQ(azure.count("LIST pools eus2batch"), 1);
    EXPECT_EQ(azure.count("LIST pools eusbatch"), 0) << "the old account is no longer read";
    ASSERT_TRUE(obs.account_complete("eus"));
    EXPECT_EQ(obs.state.accounts.at("eus").endpoint, "https://eus2batch.eastus2.batch.azure.com");
    EXPECT_EQ(obs.state.accounts.at("eus").location, "eastus2");

    // Pointed back within the hour: read again, not served from before the first reload.
    desired.accounts[0] = MakeAccount("eus");
    desired.accounts[0].resource_group = "rg-other";
    azure.clear_calls();
    (void)Observe(t0 + 2min);
    EXPECT_EQ(azure.count("GET account eusbatch"), 1) << "another resource group, another key";
}

TEST_F(ObserveTest, FailedListMarksOnlyThatAccountIncomplete) {
    azure.fail("LIST pools wusbatch", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"));
    auto obs = Observe(t0);
    EXPECT_TRUE(obs.account_complete("eus"));
    EXPECT_FALSE(obs.account_complete("wus"));
    EXPECT_NE(obs.accounts.at("wus").error.find("ServerBusy"), std::string::npos);
    EXPECT_EQ(obs.state.accounts.count("wus"), 0u)
        << "an incomplete account must not look like an empty one";
}

TEST_F(ObserveTest, AccountGetFailureWithoutCacheMarksIncompleteWithCacheUsesIt) {
    azure.fail("GET account eusbatch",
               MakeError(azure::ErrorKind::Auth, 403, "AuthorizationFailed"));
    auto obs = Observe(t0);
    EXPECT_FALSE(obs.account_complete("eus"));
    EXPECT_EQ(azure.count("LIST pools eusbatch"), 0);

    (void)Observe(t0 + 1min);  // caches the account
    azure.fail("GET account eusbatch", MakeError(azure::ErrorKind::Server, 500, "Internal"));
    obs = Observe(t0 + 2h);
    EXPECT_TRUE(obs.account_complete("eus"));
}

TEST_F(ObserveTest, MissingVersionIsAbsentButAFailedGetIsUnknown) {
    auto other = std::string(kVersion140);
    other.replace(other.size() - 5, 5, "9.9.9");
    desired.pools.push_back(MakePool("d", "eus", other, 10));
    azure.fail("GET version " + std::string(kVersion140),
               MakeError(azure::ErrorKind::Throttled, 429, "TooManyRequests"));
    auto obs = Observe(t0);
    EXPECT_EQ(obs.state.image_versions.size(), 0u);
    EXPECT_EQ(obs.failed_versions.size(), 1u) << "429 is not 'does not exist'";
    EXPECT_EQ(obs.failed_versions.count(model::ResourceKey(kVersion140)), 1u);
}

TEST_F(ObserveTest, ImageFailureFallsBackToAnExpiredCacheEntry) {
    (void)Observe(t0);
    azure.fail("GET image", MakeError(azure::ErrorKind::Server, 500, "InternalError"));
    auto obs = Observe(t0 + 2h);
    EXPECT_EQ(obs.state.images.size(), 1u);
    EXPECT_TRUE(obs.failed_images.empty());
}

}  // namespace
}  // namespace pw::testing

namespace pw::testing {
namespace {

constexpr const char* kVersion150 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.5.0";

model::PoolSpec Following(const std::string& id, const std::string& account) {
    auto p = MakePool(id, account, kVersion140, 100);
    p.image.version.clear();
    p.image_follows_latest = true;
    return p;
}

TEST_F(ObserveTest, SteadyReadsAreAccountsPlusVersionsPlusFollowedDefinitions) {
    const std::string other_def =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
        "Microsoft.Compute/galleries/studio/images/sim";
    azure.add_version(other_def + "/versions/2.0.0", "East US", 1);
    azure.add_version(other_def + "/versions/2.1.0", "East US", 1);
    azure.excluded_from_latest.insert(model::ResourceKey(other_def + "/versions/2.1.0"));
    azure.add_image(other_def);
    azure.add_version(kVersion150, "East US", 1);
    // Pinned 1.4.0 (a, b, c), render followed by two pools (resolves to 1.5.0), sim followed by
    // one (resolves to 2.0.0: 2.1.0 is excluded from latest).
    desired.pools.push_back(Following("d", "eus"));
    desired.pools.push_back(Following("e", "wus"));
    auto sim = Following("f", "eus");
    sim.image = *model::ParseImageDefinitionId(other_def);
    desired.pools.push_back(sim);

    (void)Observe(t0);  // warms the account and image definition caches
    azure.clear_calls();
    auto obs = Observe(t0 + 10min);
    const int accounts = 2, versions = 3 /* 1.4.0, 1.5.0, 2.0.0 */, followed = 2;
    EXPECT_EQ(azure.count("LIST pools"), accounts);
    EXPECT_EQ(azure.count("LIST versions"), followed) << "one list per followed definition";
    EXPECT_EQ(azure.count("GET version"), versions);
    EXPECT_EQ(azure.count("GET version " + other_def + "/versions/2.1.0"), 0);
    EXPECT_EQ(static_cast<int>(azure.calls().size()), accounts + versions + followed);
    EXPECT_EQ(obs.calls, accounts + versions + followed);
    EXPECT_EQ(obs.state.image_versions.count(model::ResourceKey(kVersion150)), 1u);
    EXPECT_EQ(obs.state.image_version_lists.size(), 2u);
}

TEST_F(ObserveTest, AVersionHiddenFromLatestInARegionMakesTheOneBeforeItReadToo) {
    const std::string def =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
        "Microsoft.Compute/galleries/studio/images/sim";
    azure.add_image(def);
    azure.add_version(def + "/versions/2.0.0", "East US", 1);
    azure.add_version(def + "/versions/2.1.0", "East US", 1);
    // 2.1.0 is latest everywhere but East US (targetRegions[].excludeFromLatest), where 2.0.0 is.
    azure.regions_excluded_from_latest[model::ResourceKey(def + "/versions/2.1.0")] = {"eastus"};
    auto sim = Following("f", "eus");
    sim.image = *model::ParseImageDefinitionId(def);
    desired.pools.push_back(sim);
    auto obs = Observe(t0);
    EXPECT_EQ(azure.count("GET version " + def + "/versions/2.0.0"), 1);
    EXPECT_EQ(azure.count("GET version " + def + "/versions/2.1.0"), 1);
    EXPECT_EQ(obs.state.image_versions.count(model::ResourceKey(def + "/versions/2.0.0")), 1u)
        << "the version pools in eastus use is observed";
    auto resolved = model::ResolveLatest(desired, obs.state);
    EXPECT_EQ(resolved.pools.back().image.version, "2.0.0");
}

TEST_F(ObserveTest, AFailedVersionListMakesTheDefinitionUnknown) {
    desired.pools.push_back(Following("d", "eus"));
    azure.fail("LIST versions", MakeError(azure::ErrorKind::Server, 503, "ServerBusy"));
    auto obs = Observe(t0);
    EXPECT_EQ(obs.failed_images.count(model::ResourceKey(kImageRender)), 1u)
        << "pools following it get no writes this pass";
    EXPECT_TRUE(obs.state.image_version_lists.empty());
}

TEST(SecretDigestsTest, ReadsAFileOnlyWhenItChangedAndNeverShowsIt) {
    namespace fs = std::filesystem;
    const fs::path file =
        fs::temp_directory_path() / ("pw-secret-digest-" + std::to_string(::getpid()));
    std::ofstream(file) << "registry-password-one\n";
    model::PoolSpec spec;
    spec.start_task.emplace();
    model::PropValue secret;
    secret.kind = model::PropValue::Kind::SecretFile;
    secret.text = secret.resolved = file.string();
    spec.start_task->properties.members.push_back({"passwordFile", secret});
    ASSERT_TRUE(reconcile::HasStartTaskSecrets(spec));

    reconcile::SecretDigests digests;
    const std::string first = digests.digest(spec);
    EXPECT_EQ(first.size(), 16u) << "64 bits, hex";
    EXPECT_EQ(first.find("registry-password-one"), std::string::npos);
    EXPECT_EQ(digests.digest(spec), first);
    EXPECT_EQ(digests.reads(), 1) << "an unchanged file is not read again";

    std::ofstream(fs::path(file.string() + ".new")) << "registry-password-two\n";
    fs::rename(file.string() + ".new", file);
    const std::string second = digests.digest(spec);
    EXPECT_NE(second, first) << "rotation changes the digest";
    EXPECT_EQ(digests.reads(), 2);

    model::PoolSpec other = spec;
    other.start_task->properties.members[0].value.text = "elsewhere/" + file.filename().string();
    EXPECT_NE(reconcile::SecretDigests().digest(other), second)
        << "salted with the file as written: equal secrets in two files differ";

    // The same for the empty-only properties' secrets, one digest per file in document order.
    model::PoolSpec mounts;
    model::PropValue key = secret;
    key.text = key.resolved = file.string();
    model::PropValue blob;
    blob.kind = model::PropValue::Kind::Object;
    blob.members.push_back({"accountKeyFile", key});
    model::PropValue mount;
    mount.kind = model::PropValue::Kind::Object;
    mount.members.push_back({"azureBlobFileSystemConfiguration", blob});
    model::PropValue list;
    list.kind = model::PropValue::Kind::List;
    list.items = {mount, mount};
    mounts.properties.kind = model::PropValue::Kind::Object;
    mounts.properties.members.push_back({"mountConfiguration", list});
    ASSERT_TRUE(reconcile::HasPropertySecrets(mounts));
    EXPECT_FALSE(reconcile::HasPropertySecrets(spec));
    EXPECT_EQ(digests.property_digest(mounts), second + "." + second);
    EXPECT_EQ(digests.reads(), 2) << "the file's digest is shared with the start task's";
    fs::remove(file);
}

}  // namespace
}  // namespace pw::testing
