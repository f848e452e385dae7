// Pools through ARM end to end (issue 15): poolApi arm, identities, ownership, SIGKILL after
// the create, growth with replicas first.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace pw::e2e::arm_test {
namespace {

const std::string kArmIdentity = std::string("/subscriptions/") + kSub +
                                 "/resourceGroups/rg-batch/providers/"
                                 "Microsoft.ManagedIdentity/userAssignedIdentities/render-nodes";

/// The daemon file of E2E with `poolApi: arm` on renderbatch.
void UseArm(E2E& e) {
    std::string y = DaemonYaml(e.port(), {"renderbatch"},
                               "reconcile:\n  interval: 1s\n  concurrency: 4\npoolsDir: pools.d\n"
                               "listen: 127.0.0.1:0\n");
    const std::string acct = "accountName: renderbatch\n";
    y.replace(y.find(acct), acct.size(), acct + "    poolApi: arm\n");
    std::ofstream(e.dir() / "poolwarden.yaml") << y;
}

/// No request of the daemon went to the Batch data plane (the simulator serves it under
/// /batch/).
void ExpectNoDataPlaneRequests(E2E& e) {
    for (const auto& r : e.Requests()) {
        std::string path = r["path"];
        EXPECT_NE(path.rfind("/batch/", 0), 0u) << "data-plane request: " << path;
    }
}

TEST(E2E, ArmPoolOf3000WithAnIdentityFromEmpty) {
    E2E e(ExampleWorld(), kFast);
    UseArm(e);
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render-linux", "renderbatch", 2000, 1000, kRender140,
                                          "    identity:\n      type: UserAssigned\n"
                                          "      userAssignedIdentities: [" +
                                              kArmIdentity +
                                              "]\n    mountConfiguration:\n"
                                              "      - azureBlobFileSystemConfiguration:\n"
                                              "          accountName: renderassets\n"
                                              "          containerName: scenes\n"
                                              "          relativeMountPath: scenes\n"
                                              "          identityReference: {resourceId: " +
                                              kArmIdentity + "}\n"));
    auto& d = e.Start();
    ASSERT_TRUE(
        E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "render-linux")); }, kConverge))
        << d.Log();
    auto pool = e.Pool("renderbatch", "render-linux");
    EXPECT_EQ(pool["currentDedicatedNodes"], 2000);
    EXPECT_EQ(pool["currentLowPriorityNodes"], 1000);
    EXPECT_EQ(pool["identity"]["userAssignedIdentities"][0]["resourceId"], kArmIdentity);
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 10);
    auto writes = e.Writes();
    const int create = ExpectReplicasBeforeOneCreate(writes, "1.4.0", "PUT", "/pools/render-linux");
    ASSERT_GE(create, 0);
    auto put = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(put["properties"]["scaleSettings"]["fixedScale"]["resizeTimeout"], "PT45M");
    EXPECT_TRUE(put["identity"]["userAssignedIdentities"].contains(kArmIdentity));
    EXPECT_TRUE(HasOwnerMarker(put["properties"]["metadata"]));
    // Steady state: per cycle one ARM pool list for the account (never a GET per pool).
    const auto before = e.Requests().size();
    ExpectZeroWritesAtSteadyState(e);
    auto all = e.Requests();
    int lists = 0, pool_gets = 0, version_gets = 0;
    for (std::size_t i = before; i < all.size(); ++i) {
        std::string path = all[i]["path"];
        const auto at = path.find("/batchAccounts/renderbatch/pools");
        if (at != std::string::npos && path.find("/pools/") == std::string::npos) ++lists;
        if (path.find("/pools/render-linux") != std::string::npos) ++pool_gets;
        if (path.find("/versions/1.4.0") != std::string::npos) ++version_gets;
    }
    // >= 3 cycles in the window: one list and one GET of the (one) version per cycle.
    EXPECT_GE(lists, 3);
    EXPECT_NEAR(version_gets, lists, 1);
    EXPECT_EQ(pool_gets, 0) << "no GET per pool at steady state";
    ExpectNoDataPlaneRequests(e);
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, ArmUnownedPoolIsLeftAloneAndAdoptTakesOver) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 5, 0, false));
    world["batchAccounts"][0]["pools"].push_back(WorldPool("lighting", 5, 0, false));
    E2E e(world, kFast);
    UseArm(e);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 100) +
                                       PoolYaml("lighting", "renderbatch", 50, 0, kRender140,
                                                "    adopt: true\n"));
    auto& d = e.Start();
    ASSERT_TRUE(WaitAdopted(e, "renderbatch", "lighting", 50)) << d.Log();
    EXPECT_TRUE(d.Log().find("NotOwned") != std::string::npos) << d.Log();
    for (const auto& w : e.Writes()) {
        std::string path = w["path"];
        EXPECT_EQ(path.find("/pools/render?"), std::string::npos) << "write to an unowned pool";
        EXPECT_EQ(path.find("/pools/render/"), std::string::npos) << "write to an unowned pool";
    }
    EXPECT_EQ(e.Pool("renderbatch", "render")["targetDedicatedNodes"], 5);
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "PUT", "/pools/"), 0) << "adopted, not created";
    ExpectZeroWritesAtSteadyState(e);
    ExpectNoDataPlaneRequests(e);
}

TEST(E2E, ArmSigkillRightAfterTheCreateThenRestartDoesNotCreateAgain) {
    E2E e(ExampleWorld(), kFast);
    UseArm(e);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 100));
    auto* d = &e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "render").is_null(); }, 30s))
        << d->Log();
    d->Signal(SIGKILL);
    d->Wait();
    d = &e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 100, 30s)) << d->Log();
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "PUT", "/pools/render"), 1) << "no duplicate create";
    ExpectNoDataPlaneRequests(e);
    EXPECT_EQ(d->Stop(), 0);
}

TEST(E2E, ArmGrowthRaisesReplicasBeforeTheScalePatch) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 500, 0, true));
    RenderVersion(
        world)["properties"]["publishingProfile"]["targetRegions"][0]["regionalReplicaCount"] = 2;
    E2E e(world, kFast);
    UseArm(e);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 2500));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 2500, kConverge)) << d.Log();
    auto writes = e.Writes();
    int patch = IndexOf(writes, "PATCH", "/versions/1.4.0");
    int resize = -1;
    for (std::size_t i = 0; i < writes.size() && resize < 0; ++i)
        if (writes[i]["method"] == "PATCH" &&
            Body(writes[i])["properties"].contains("scaleSettings"))
            resize = static_cast<int>(i);
    ASSERT_GE(patch, 0);
    ASSERT_GE(resize, 0) << "resize through PATCH scaleSettings";
    EXPECT_LT(patch, resize) << "replicas before the resize";
    auto fixed = Body(writes[static_cast<std::size_t>(resize)])["properties"]["scaleSettings"];
    EXPECT_EQ(fixed["fixedScale"]["resizeTimeout"], "PT45M");
    EXPECT_EQ(fixed["fixedScale"]["targetDedicatedNodes"], 2500);
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 9);
    ExpectZeroWritesAtSteadyState(e);
    ExpectNoDataPlaneRequests(e);
}

}  // namespace
}  // namespace pw::e2e::arm_test
