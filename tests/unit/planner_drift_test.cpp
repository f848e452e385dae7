// Planner table tests: differences between a pool file and its live pool (identities,
// immutable fields, start task, table-declared properties).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "planner_test_world.hpp"

namespace pw::planner::plan_test {
namespace {

TEST(Planner, IdentityDriftIsAWarningWhenTheLivePoolReportsOtherIdentities) {
    const std::string ids =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-id/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/";
    auto spec = Spec("render-linux", 300);
    spec.identities = {ids + "render-a", ids + "render-b"};
    auto o = World(1);
    auto live = Live(spec);
    auto findings = [&](std::vector<std::string> live_ids) {
        live.identities = std::move(live_ids);
        o.accounts["render-eus"].pools = {live};
        return Plan(Desired({spec}), o);
    };
    // The same identities, in another order and case: no drift.
    EXPECT_TRUE(findings({ids + "RENDER-B", ids + "render-a"}).findings.empty());
    // One replaced: a warning with both lists and the fix; nothing is written for it.
    auto plan = findings({ids + "render-a", ids + "render-c"});
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:IdentityDrift"));
    EXPECT_THAT(
        plan.findings[0].message,
        testing::StartsWith("identity.userAssignedIdentities [\"" + ids + "render-a\", \"" + ids +
                            "render-c\"] -> [\"" + ids + "render-a\", \"" + ids + "render-b\"]: "));
    EXPECT_THAT(plan.findings[0].message, testing::HasSubstr("Fix: "));
    EXPECT_TRUE(plan.actions.empty());
    // A pool that reports no identity is not compared (the list may leave the envelope out).
    EXPECT_TRUE(findings({}).findings.empty());
    // The file dropped every identity while the pool has one: drift.
    spec.identities.clear();
    EXPECT_THAT(Codes(findings({ids + "render-a"})), testing::ElementsAre("warning:IdentityDrift"));
}

TEST(Planner, ImmutableDriftIsReportedAndNothingDestructiveHappens) {
    auto spec = Spec("render-linux", 3000);
    auto o = World(10);
    auto live = Live(Spec("render-linux", 300));
    live.vm_size = "standard_d8s_v3";
    live.task_slots_per_node = 1;
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    EXPECT_TRUE(plan.actions.empty());
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:ImmutableDrift"));
    // Each field with its live and its pool-file value (old -> new).
    EXPECT_THAT(
        plan.findings[0].message,
        testing::StartsWith(
            "vmSize \"standard_d8s_v3\" -> \"Standard_D4s_v3\", taskSlotsPerNode 1 -> 4: "));
    // Ids and sizes compare case-insensitively: no drift.
    live = Live(spec);
    live.virtual_machine_image_id = model::ResourceKey(kVersionId);
    live.vm_size = "STANDARD_D4S_V3";
    o.accounts["render-eus"].pools = {live};
    EXPECT_TRUE(Plan(Desired({spec}), o).findings.empty());
}

TEST(Planner, AStartTaskWithTableMembersMatchesWhatBatchReturns) {
    // A spec start task running as the admin auto user through userIdentity, with resource
    // files; Batch returns it decoded as elevated, without the members the decoder skips.
    auto spec = Spec("render-linux", 300);
    spec.start_task->elevated = false;
    model::PropValue level;
    level.kind = model::PropValue::Kind::String;
    level.text = "admin";
    model::PropValue auto_user;
    auto_user.members.push_back({"elevationLevel", level});
    model::PropValue identity;
    identity.members.push_back({"autoUser", auto_user});
    model::PropValue files;
    files.kind = model::PropValue::Kind::List;
    files.items.emplace_back();
    spec.start_task->properties.members = {{"resourceFiles", files}, {"userIdentity", identity}};
    auto o = World(10);
    auto live = Live(spec);
    live.start_task->properties = {};
    live.start_task->elevated = true;
    o.accounts["render-eus"].pools.push_back(live);
    EXPECT_TRUE(Plan(Desired({spec}), o).actions.empty());
    // A non-admin identity against an elevated live task is a difference.
    level.text = "nonadmin";
    auto_user.members = {{"elevationLevel", level}};
    identity.members = {{"autoUser", auto_user}};
    spec.start_task->properties.members = {{"userIdentity", identity}};
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "startTask differs");
}

TEST(Planner, MutableDifferencesArePatched) {
    auto spec = Spec("render-linux", 300);
    auto o = World(10);
    auto live = Live(spec);
    live.metadata["team"] = "fx";
    live.start_task->command_line = "old";
    o.accounts["render-eus"].pools.push_back(live);
    auto plan = Plan(Desired({spec}), o);
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].reason, "startTask differs; metadata differs");
    EXPECT_EQ(plan.actions[0].if_match, "0x1");
}

// Table-declared properties, as a GET of the pool returns them (ObservedPool::properties).
model::PropValue Str(std::string text) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::String;
    v.text = std::move(text);
    return v;
}
model::PropValue Int(std::int64_t n) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::Int;
    v.integer = n;
    return v;
}
model::PropValue Bool(bool b) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::Bool;
    v.boolean = b;
    return v;
}
model::PropValue List(std::vector<model::PropValue> items) {
    model::PropValue v;
    v.kind = model::PropValue::Kind::List;
    v.items = std::move(items);
    return v;
}
model::PropValue Obj(std::vector<model::PropMember> members) {
    model::PropValue v;
    v.members = std::move(members);
    return v;
}
model::PropValue Disk(int lun, int gb) { return Obj({{"lun", Int(lun)}, {"diskSizeGB", Int(gb)}}); }

/// A spec with table properties of each update class, and the live pool that matches it
/// (hash stale, so that its properties were read).
struct PropsCase {
    model::PoolSpec spec = Spec("render-linux", 300);
    model::ObservedPool live;
    PropsCase() {
        spec.start_task->elevated = false;
        spec.properties = Obj({
            {"displayName", Str("Render")},
            {"virtualMachineConfiguration",
             Obj({{"dataDisks", List({Disk(0, 64), Disk(1, 128)})},
                  {"containerConfiguration",
                   Obj({{"type", Str("dockerCompatible")},
                        {"containerImageNames", List({Str("a:1"), Str("b:2")})}})}})},
            {"applicationPackageReferences",
             List({Obj({{"applicationId", Str("blender")}, {"version", Str("4.1")}})})},
            {"targetNodeCommunicationMode", Str("simplified")},
        });
        live = Live(spec);
        live.properties = model::ObservedProperties{spec.properties, {}};
    }
    model::PropValue& have(std::string_view key) {
        for (auto& m : live.properties->pool.members)
            if (m.key == key) return m.value;
        live.properties->pool.members.push_back({std::string(key), {}});
        return live.properties->pool.members.back().value;
    }
    model::Plan plan() {
        auto o = World(10);
        o.accounts["render-eus"].pools = {live};
        return Plan(Desired({spec}), o);
    }
};

TEST(PlannerProperties, WhatBatchReturnsForTheSameIntentIsNoDrift) {
    PropsCase c;
    // Server defaults Batch fills in, equal to the REST defaults; enum spelling; list order.
    c.have("enableInterNodeCommunication") = Bool(false);
    c.have("taskSchedulingPolicy") = Obj({{"nodeFillType", Str("Spread")}});
    c.have("targetNodeCommunicationMode") = Str("Simplified");
    auto& vm = c.have("virtualMachineConfiguration");
    vm.members[0].value = List({Disk(1, 128), Disk(0, 64)});
    vm.members[1].value.members[0].value = Str("DockerCompatible");
    vm.members[1].value.members[1].value = List({Str("b:2"), Str("a:1")});
    // The spec names a registry password file: never compared (Batch never returns it).
    model::PropValue secret;
    secret.kind = model::PropValue::Kind::SecretFile;
    secret.text = "secrets/registry";
    c.spec.properties.members[1].value.members[1].value.members.push_back(
        {"containerRegistries", List({Obj({{"username", Str("u")}, {"passwordFile", secret}})})});
    vm.members[1].value.members.push_back(
        {"containerRegistries", List({Obj({{"username", Str("u")}})})});
    auto plan = c.plan();
    EXPECT_TRUE(plan.actions.empty()) << plan.actions[0].reason;
    EXPECT_TRUE(plan.findings.empty()) << plan.findings[0].message;
    // A property absent from the pool file is never drift, whatever the pool has.
    c.have("userAccounts") = List({Obj({{"name", Str("render")}})});
    c.have("displayName") = Str("Set by someone else");
    c.spec.properties.members.erase(c.spec.properties.members.begin());  // displayName
    EXPECT_TRUE(c.plan().findings.empty());
}

TEST(PlannerProperties, PatchableDifferencesArePatchedWithTheObservedETag) {
    PropsCase c;
    c.have("targetNodeCommunicationMode") = Str("classic");
    c.have("applicationPackageReferences") =
        List({Obj({{"applicationId", Str("blender")}, {"version", Str("4.0")}})});
    c.live.properties->start_task = Obj({{"resourceFiles", List({Obj({{"httpUrl", Str("u")}})})}});
    c.live.e_tag = "0x9";
    auto plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_TRUE(plan.findings.empty());
    EXPECT_EQ(plan.actions[0].if_match, "0x9");
    EXPECT_EQ(plan.actions[0].reason,
              "patchable applicationPackageReferences[0].version \"4.0\" -> \"4.1\", "
              "targetNodeCommunicationMode \"classic\" -> \"simplified\"");
    EXPECT_FALSE(plan.actions[0].keep_spec_hash.has_value()) << "the PATCH makes the pool match";
    // startTask members declared in the pool file are patchable too.
    c.spec.start_task->properties = Obj({{"resourceFiles", List({Obj({{"httpUrl", Str("v")}})})}});
    plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_THAT(plan.actions[0].reason,
                testing::HasSubstr("startTask.resourceFiles[0].httpUrl \"u\" -> \"v\""));
}

TEST(PlannerProperties, EmptyOnlyDifferencesAreOneFindingAndNeverVouchedFor) {
    PropsCase c;
    c.have("displayName") = Str("Old");
    c.have("virtualMachineConfiguration").members[0].value = List({Disk(0, 64), Disk(1, 32)});
    c.live.metadata["team"] = "fx";  // a patchable difference besides
    c.live.metadata[model::kSpecHashKey] = "old-hash";
    c.live.target_dedicated_nodes = 100;
    c.live.current_dedicated_nodes = 100;
    auto plan = c.plan();
    ASSERT_THAT(Codes(plan), testing::ElementsAre("warning:EmptyOnlyDrift"));
    EXPECT_EQ(plan.findings[0].message,
              "displayName \"Old\" -> \"Render\", virtualMachineConfiguration.dataDisks[1]."
              "diskSizeGB 32 -> 128: Batch changes these only while the pool has no nodes, and "
              "poolwarden does not apply them (updatePolicy strategy manual); to apply them, set "
              "updatePolicy.strategy: drainAndSwap, or scale the pool to 0 nodes and change them "
              "yourself");
    // Not held: the pool still grows and its patchable fields are patched, but the PATCH keeps
    // the pool's old spec hash, so that the next pass still compares the properties.
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("ResizePool", "PatchPool"));
    EXPECT_EQ(plan.actions[1].keep_spec_hash, std::optional<std::string>("old-hash"));
    c.live.metadata.erase(model::kSpecHashKey);
    EXPECT_EQ(c.plan().actions[1].keep_spec_hash, std::optional<std::string>(""));
}

TEST(PlannerProperties, ImmutableDriftStillFreezesAndEmptyOnlyDriftIsShownBeside) {
    PropsCase c;
    c.have("displayName") = Str("Old");
    c.live.vm_size = "standard_d8s_v3";
    c.live.metadata["team"] = "fx";
    auto plan = c.plan();
    EXPECT_THAT(Codes(plan),
                testing::ElementsAre("warning:EmptyOnlyDrift", "warning:ImmutableDrift"));
    EXPECT_TRUE(plan.actions.empty());
}

TEST(PlannerProperties, UnreadPropertiesAreNotVouchedFor) {
    PropsCase c;
    c.live.properties.reset();
    c.live.properties_unread = true;
    c.live.metadata["team"] = "fx";
    auto plan = c.plan();
    ASSERT_THAT(Kinds(plan), testing::ElementsAre("PatchPool"));
    EXPECT_EQ(plan.actions[0].keep_spec_hash, std::optional<std::string>("h"));
    EXPECT_THAT(Codes(plan), testing::ElementsAre("info:PropertiesUnread"));
    // Not read (the hash vouches for them): no comparison, the PATCH writes the new hash.
    c.live.properties_unread = false;
    plan = c.plan();
    EXPECT_FALSE(plan.actions[0].keep_spec_hash.has_value());
    EXPECT_TRUE(plan.findings.empty());
}

}  // namespace
}  // namespace pw::planner::plan_test
