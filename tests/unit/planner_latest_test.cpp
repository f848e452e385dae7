// Planner table tests: pools following the latest image version, and rotated secret files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "planner_test_world.hpp"

namespace pw::planner::plan_test {
namespace {

const char* kNewVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.5.0";

/// A pool that follows the latest version of render.
model::PoolSpec FollowingSpec(std::string id, int dedicated, std::string account = "render-eus") {
    auto s = Spec(std::move(id), dedicated, 0, std::move(account));
    s.image.version.clear();
    s.image_follows_latest = true;
    return s;
}

/// World(replicas) plus render's version list and 1.5.0 published with `new_replicas` in East
/// US (Completed).
model::ObservedState WorldWithNewVersion(int replicas, int new_replicas) {
    auto o = World(replicas);
    model::ObservedImageVersion v = o.image_versions.begin()->second;
    v.id = kNewVersionId;
    v.target_regions = {{"East US", new_replicas, "Standard_LRS", ""}};
    o.image_versions[model::ResourceKey(kNewVersionId)] = v;
    o.image_version_lists[model::ResourceKey(Version().image_definition_id())] = {
        {"1.4.0", "Succeeded", false}, {"1.5.0", "Succeeded", false}};
    return o;
}

TEST(PlannerLatest, NewLatestVersionGetsReplicasBeforeTheFollowingPoolGrows) {
    auto o = WorldWithNewVersion(10, 1);
    auto live = FollowingSpec("render-latest", 300);
    o.accounts["render-eus"].pools.push_back(Live(live));
    auto spec = FollowingSpec("render-latest", 3000);
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("SetRegionalReplicas", "WaitForReplication"));
    EXPECT_EQ(plan.actions[0].image_version, kNewVersionId) << "the resolved version is raised";
    EXPECT_EQ(plan.actions[0].from, 1);
    EXPECT_EQ(plan.actions[0].to, 10);
    EXPECT_EQ(plan.actions[1].image_version, kNewVersionId);
    EXPECT_THAT(plan.actions[1].reason, testing::StartsWith("growing"));
    EXPECT_TRUE(Codes(plan).empty()) << "no ImmutableDrift: Batch reports the definition id";

    Apply(plan, o);
    plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool"));
    Apply(plan, o);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty());
}

TEST(PlannerLatest, RaisesTheNewVersionInEveryRegionWithFollowingPools) {
    auto o = WorldWithNewVersion(10, 1);
    auto plan = Plan(Desired({FollowingSpec("east", 600), FollowingSpec("west", 900, "render-wus"),
                              Spec("pinned", 3000)}),
                     o);
    std::vector<std::string> writes;
    for (const auto& a : plan.actions)
        if (a.kind == ActionKind::SetRegionalReplicas || a.kind == ActionKind::AddTargetRegion)
            writes.push_back(std::string(model::ToString(a.kind)) + " " + a.region + " " +
                             a.image_version.substr(a.image_version.rfind('/') + 1) + " -> " +
                             std::to_string(*a.to));
    EXPECT_THAT(writes, testing::ElementsAre("SetRegionalReplicas East US 1.5.0 -> 2",
                                             "AddTargetRegion westus 1.5.0 -> 3"));
    for (const auto& a : plan.actions)
        if (a.kind == ActionKind::CreatePool && a.pool != "pinned")
            ADD_FAILURE() << a.pool << " is created before its replicas are ready";
}

TEST(PlannerLatest, ExcludedAndUnfinishedVersionsAreNotFollowed) {
    auto o = WorldWithNewVersion(10, 1);
    auto& list = o.image_version_lists.begin()->second;
    list[1].exclude_from_latest = true;
    auto plan = Plan(Desired({FollowingSpec("render-latest", 300)}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("CreatePool"));
    EXPECT_EQ(plan.actions[0].image_version, kVersionId);
    EXPECT_EQ(plan.actions[0].spec->image_reference(), Version().image_definition_id())
        << "Pool-Add names the definition";

    list[0].provisioning_state = "Failed";
    plan = Plan(Desired({FollowingSpec("render-latest", 300)}), o);
    EXPECT_TRUE(plan.actions.empty());
    EXPECT_THAT(Codes(plan), testing::ElementsAre("error:ImageNotFound"));
    EXPECT_THAT(plan.findings[0].message, testing::HasSubstr("has no version Batch would take"));
}

TEST(PlannerSecrets, ARotatedPropertySecretIsAnEmptyOnlyFindingAndNoPatchRecordsIt) {
    auto spec = Spec("render-linux", 300);
    model::PropValue key;
    key.kind = model::PropValue::Kind::SecretFile;
    key.text = "secrets/storage-key";
    model::PropValue blob;
    blob.kind = model::PropValue::Kind::Object;
    blob.members.push_back({"accountKeyFile", key});
    model::PropValue mount;
    mount.kind = model::PropValue::Kind::Object;
    mount.members.push_back({"azureBlobFileSystemConfiguration", blob});
    model::PropValue mounts;
    mounts.kind = model::PropValue::Kind::List;
    mounts.items = {mount, mount};
    spec.properties.kind = model::PropValue::Kind::Object;
    spec.properties.members.push_back({"mountConfiguration", mounts});
    spec.property_secret_digest = "aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb";
    auto o = World(10);
    auto live = Live(spec);
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty()) << "no record (adopted): unknown";
    o.accounts["render-eus"].pools[0].metadata[model::kPropertySecretDigestKey] =
        spec.property_secret_digest;
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty()) << "as created";

    spec.property_secret_digest = "aaaaaaaaaaaaaaaa.cccccccccccccccc";  // the second rotated
    spec.metadata["team"] = "fx";                                       // and a patchable change
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:EmptyOnlyDrift"));
    EXPECT_THAT(plan.findings[0].message,
                testing::StartsWith("mountConfiguration[1].azureBlobFileSystemConfiguration."
                                    "accountKeyFile (the secret it was created with) -> "
                                    "(rotated file): Batch changes these only while"));
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].keep_property_secret_digest,
              std::optional<std::string>("aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbb"))
        << "the PATCH cannot send the new key: the record stays";
}

TEST(PlannerSecrets, ARotatedStartTaskSecretPatchesThePoolOnce) {
    auto spec = Spec("render-linux", 300);
    spec.secret_digest = "0011223344556677";
    auto o = World(10);
    auto live = Live(spec);
    live.metadata[model::kSecretDigestKey] = "0011223344556677";
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty()) << "same digest: nothing to write";
    spec.secret_digest = "8899aabbccddeeff";
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "a secret file of startTask changed");
    EXPECT_EQ(plan.actions[0].spec->secret_digest, "8899aabbccddeeff");
}

}  // namespace
}  // namespace pw::planner::plan_test
