// The daemon end to end: the real poolwarden binary against poolwarden-sim in accelerated time:
// replicas before growth, ownership and adoption, restarts, read-only plans, secrets. Features
// with files of their own: lifecycle (autoscale, orphans, prune), pre-flight, reload, ARM,
// rollout, leader election.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace pw::e2e::core_test {
namespace {

TEST(E2E, FixedPoolOf3000FromEmpty) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render-linux", "renderbatch", 2000, 1000));
    auto& d = e.Start();
    ASSERT_TRUE(
        E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "render-linux")); }, kConverge))
        << d.Log();
    auto pool = e.Pool("renderbatch", "render-linux");
    EXPECT_EQ(pool["currentDedicatedNodes"], 2000);
    EXPECT_EQ(pool["currentLowPriorityNodes"], 1000);
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 10);

    auto writes = e.Writes();
    const int create = ExpectReplicasBeforeOneCreate(writes, "1.4.0", "POST", "/pools?");
    ASSERT_GE(create, 0);
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/versions/1.4.0"), 1);
    auto add = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(add["resizeTimeout"], "PT45M");
    EXPECT_TRUE(HasOwnerMarker(add["metadata"]));
    ExpectZeroWritesAtSteadyState(e);
    EXPECT_EQ(d.Stop(), 0) << "SIGTERM exits 0";
}

TEST(E2E, TwoPoolsSharingAVersionSumTheirReplicas) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 1500));
    e.WritePoolFile("b.yaml", "pools:\n" + PoolYaml("b", "renderbatch", 1200, 300));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            return E2E::Steady(e.Pool("renderbatch", "a")) &&
                   E2E::Steady(e.Pool("renderbatch", "b"));
        },
        kConverge))
        << d.Log();
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 10) << "5 + 5";
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/versions/1.4.0"), 1);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 2);
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, OneVersionUsedFromTwoRegions) {
    auto world = ExampleWorld();
    AddWorldAccount(world, "renderweu", "westeurope");
    E2E e(world, kFast, {"renderbatch", "renderweu"});
    e.WritePoolFile("east.yaml", "pools:\n" + PoolYaml("east", "renderbatch", 600));
    e.WritePoolFile("west.yaml", "pools:\n" + PoolYaml("west", "renderweu", 900));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            return E2E::Steady(e.Pool("renderbatch", "east")) &&
                   E2E::Steady(e.Pool("renderweu", "west"));
        },
        kConverge))
        << d.Log();
    auto v = e.Version("render", "1.4.0");
    EXPECT_EQ(ReplicaCount(v, "eastus"), 2);
    EXPECT_EQ(ReplicaCount(v, "westeurope"), 3);
    auto writes = e.Writes();
    int patch = IndexOf(writes, "PATCH", "/versions/1.4.0");
    ASSERT_GE(patch, 0);
    auto regions = Body(writes[static_cast<std::size_t>(patch)])["properties"]["publishingProfile"]
                                                                ["targetRegions"];
    EXPECT_EQ(regions.size(), 2u) << "one PATCH with the complete list";
    for (const auto& r : regions) EXPECT_EQ(r["storageAccountType"], "Standard_LRS");
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, GrowthRaisesReplicasBeforeTheResize) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 500, 0, true));
    RenderVersion(
        world)["properties"]["publishingProfile"]["targetRegions"][0]["regionalReplicaCount"] = 2;
    E2E e(world, kFast);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 2500));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 2500, kConverge)) << d.Log();
    auto writes = e.Writes();
    int patch = IndexOf(writes, "PATCH", "/versions/1.4.0");
    int resize = IndexOf(writes, "POST", "/pools/render/resize");
    ASSERT_GE(patch, 0);
    ASSERT_GE(resize, 0);
    EXPECT_LT(patch, resize);
    EXPECT_EQ(Body(writes[static_cast<std::size_t>(resize)])["resizeTimeout"], "PT45M");
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 9);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/resize"), 1);
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, ShrinkDoesNotWaitForReplicas) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 2500, 0, true));
    RenderVersion(
        world)["properties"]["publishingProfile"]["targetRegions"][0]["regionalReplicaCount"] = 9;
    E2E e(world, kFast);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 500));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 500, kConverge)) << d.Log();
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/versions/"), 0) << "no replica change";
    ASSERT_EQ(E2E::CountWrites(writes, "POST", "/resize"), 1);
    EXPECT_EQ(
        Body(writes[static_cast<std::size_t>(IndexOf(writes, "POST", "/resize"))])["resizeTimeout"],
        "PT15M");
}

TEST(E2E, SpecializedImageIsRefused) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("win.yaml", "pools:\n" + PoolYaml("legacy", "renderbatch", 10, 0, kLegacy200));
    auto& d = e.Start("apply", {"--once"});
    EXPECT_EQ(d.Wait(), 2) << "apply --once exits non-zero on errors\n" << d.Log();
    EXPECT_TRUE(e.Writes().empty());
    EXPECT_NE(d.Log().find("SpecializedImage"), std::string::npos) << d.Log();
}

TEST(E2E, BrokenPoolFileBesideAGoodOne) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("good.yaml", "pools:\n" + PoolYaml("good", "renderbatch", 100));
    e.WritePoolFile("broken.yaml",
                    "pools:\n" + PoolYaml("broken", "renderbatch", 100) + "    bogusKey: 1\n");
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "good")); }, kConverge))
        << d.Log();
    EXPECT_TRUE(e.Pool("renderbatch", "broken").is_null());
    EXPECT_NE(d.Log().find("broken.yaml:"), std::string::npos) << "error with file:line\n"
                                                               << d.Log();
}

TEST(E2E, UnownedPoolIsLeftAlone) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 5, 0, false));
    E2E e(world, kFast);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return d.Log().find("NotOwned") != std::string::npos; }, 30s))
        << d.Log();
    std::this_thread::sleep_for(3s);
    for (const auto& w : e.Writes()) {
        std::string path = w["path"];
        EXPECT_EQ(path.find("/pools"), std::string::npos) << "write to an unowned pool: " << path;
    }
    EXPECT_EQ(e.Pool("renderbatch", "render")["targetDedicatedNodes"], 5);
}

TEST(E2E, AdoptTakesOverAnExistingPool) {
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 5, 0, false));
    E2E e(world, kFast);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 100, 0,
                                                         kRender140, "    adopt: true\n"));
    auto& d = e.Start();
    ASSERT_TRUE(WaitAdopted(e, "renderbatch", "render", 100)) << d.Log();
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "POST", "/pools?"), 0) << "adopted, not created";
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, SigkillDuringReplicaLroThenRestartResumesWithoutDuplicates) {
    // Real time (scale 1) so the version's update (30 simulated s) is still running when the
    // daemon dies; then simulated time is advanced by hand.
    E2E e(ExampleWorld(), 1);
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 600));
    auto* d = &e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return E2E::CountWrites(e.Writes(), "PATCH", "/versions/1.4.0") == 1; }, 30s))
        << d->Log();
    d->Signal(SIGKILL);
    d->Wait();
    EXPECT_EQ(e.Version("render", "1.4.0")["provisioningState"], "Updating");

    d = &e.Start();
    std::this_thread::sleep_for(3s);  // several cycles while the version is Updating
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "PATCH", "/versions/1.4.0"), 1)
        << "an Updating version is waited for, not patched again\n"
        << d->Log();
    EXPECT_TRUE(e.Pool("renderbatch", "render").is_null()) << "no create before replication";

    e.Advance(3600);  // update done, replicas Completed
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "render").is_null(); }, 30s))
        << d->Log();
    d->Signal(SIGKILL);  // and once more right after the create
    d->Wait();
    d = &e.Start();
    e.Advance(3600);
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "render")); }, 30s))
        << d->Log();
    std::this_thread::sleep_for(2s);
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/versions/1.4.0"), 1);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 1) << "no duplicate create";
    EXPECT_EQ(d->Stop(), 0);
}

TEST(E2E, NoWritesWhileTheAccountsPoolListFails) {
    E2E e(ExampleWorld(), kFast);
    auto r = Send(
        e.port(), "PUT", "/_sim/faults",
        R"({"rules": [{"method": "GET", "path": "^/batch/renderbatch/pools", "status": 503}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    e.WritePoolFile("render.yaml", "pools:\n" + PoolYaml("render", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return d.Log().find("account not observed") != std::string::npos; }, 30s))
        << d.Log();
    std::this_thread::sleep_for(2s);
    EXPECT_TRUE(e.Writes().empty()) << "a failed list means no writes to that account";
    Send(e.port(), "DELETE", "/_sim/faults");
    ASSERT_TRUE(
        E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "render")); }, kConverge))
        << d.Log();
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "POST", "/pools?"), 1);
}

TEST(E2E, LivePlanIsReadOnly) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render-linux", "renderbatch", 2000, 1000));
    auto& d = e.Start("plan", {"--output", "json"});
    EXPECT_EQ(d.Wait(), 0) << d.Log();
    auto plan = Json::parse(d.Stdout());
    ASSERT_FALSE(plan["actions"].empty()) << d.Stdout();
    EXPECT_EQ(plan["actions"][0]["kind"], "SetRegionalReplicas");
    EXPECT_EQ(plan["actions"][0]["to"], 10);
    EXPECT_FALSE(e.Requests().empty()) << "it did read Azure";
    EXPECT_TRUE(e.Writes().empty()) << "plan never writes";
}

/// Publishes `version` of render through ARM (as an image pipeline would) with one replica in
/// East US; the simulator provisions it (Creating, then Succeeded) and replicates it.
void PublishRenderVersion(E2E& e, const std::string& version) {
    const std::string token =
        simtest::Token(e.port(), "https://management.core.windows.net//.default");
    const Json body = {
        {"location", "eastus"},
        {"properties",
         {{"storageProfile",
           {{"source",
             {{"id", "/subscriptions/" + std::string(simtest::kSub) +
                         "/resourceGroups/rg-images/providers/Microsoft.Compute/"
                         "virtualMachines/render-build"}}}}},
          {"publishingProfile",
           {{"targetRegions", {{{"name", "East US"}, {"regionalReplicaCount", 1}}}}}}}}};
    auto r = Send(e.port(), "PUT",
                  kGallery + "render/versions/" + version + "?api-version=2023-07-03", body.dump(),
                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
}

/// Index of the first PATCH of `version` that sets East US to `count` replicas, or -1.
int IndexOfReplicaPatch(const std::vector<Json>& writes, const std::string& version, int count) {
    for (std::size_t i = 0; i < writes.size(); ++i) {
        std::string path = writes[i]["path"];
        if (writes[i]["method"] != "PATCH" ||
            path.find("/versions/" + version) == std::string::npos)
            continue;
        const Json body = Body(writes[i]);
        for (const auto& r : body["properties"]["publishingProfile"]["targetRegions"])
            if (r.value("name", std::string()) == "East US" &&
                r.value("regionalReplicaCount", 0) == count)
                return static_cast<int>(i);
    }
    return -1;
}

TEST(E2E, NewLatestVersionWithOneReplicaIsRaisedBeforeAFollowingPoolGrows) {
    const std::string definition = kGallery + "render";
    auto world = ExampleWorld();
    world["batchAccounts"][0]["pools"].push_back(WorldPool("render", 500, 0, true, definition));
    RenderVersion(
        world)["properties"]["publishingProfile"]["targetRegions"][0]["regionalReplicaCount"] = 2;
    E2E e(world, kFast);
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render", "renderbatch", 500, 0, definition));
    auto& d = e.Start();
    ExpectZeroWritesAtSteadyState(e);  // 1.4.0 is latest and holds the 2 replicas 500 VMs need

    PublishRenderVersion(e, "1.5.0");
    // 1.5.0 becomes latest once Succeeded: raised to what the pool needs (2), without growth.
    ASSERT_TRUE(E2E::WaitFor([&] { return IndexOfReplicaPatch(e.Writes(), "1.5.0", 2) >= 0; }, 20s))
        << d.Log() << Json(e.Writes()).dump();
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render", "renderbatch", 2500, 0, definition));
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 2500, kConverge)) << d.Log();
    auto writes = e.Writes();
    const int raise = IndexOfReplicaPatch(writes, "1.5.0", 9);
    const int resize = IndexOf(writes, "POST", "/pools/render/resize");
    ASSERT_GE(raise, 0) << "1.5.0 raised for 2500 VMs";
    ASSERT_GE(resize, 0);
    EXPECT_LT(raise, resize) << "growth waits for the new latest version's replicas";
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.5.0"), "eastus"), 9);
    EXPECT_EQ(IndexOf(writes, "PATCH", "/versions/1.4.0"), -1) << "1.4.0 is no longer used";
    EXPECT_EQ(
        e.Pool("renderbatch",
               "render")["virtualMachineConfiguration"]["imageReference"]["virtualMachineImageId"],
        definition);
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    const std::string status = Send(port, "GET", "/status").body;
    EXPECT_NE(status.find("render/versions/1.5.0"), std::string::npos)
        << "/status names the resolved version: " << status;
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, RotatingAStartTaskSecretFilePatchesThePoolOnceThenNothing) {
    E2E e(ExampleWorld(), kFast);
    auto write_secret = [&](const std::string& value) {
        std::ofstream(e.dir() / ".registry-password.tmp") << value << "\n";
        std::filesystem::rename(e.dir() / ".registry-password.tmp", e.dir() / "registry-password");
    };
    write_secret("first-registry-password-e2e");
    const std::string extra =
        "    virtualMachineConfiguration:\n"
        "      containerConfiguration:\n"
        "        type: dockerCompatible\n"
        "        containerImageNames:\n"
        "          - contoso.azurecr.io/render:1\n"
        "    startTask:\n"
        "      commandLine: /bin/true\n"
        "      containerSettings:\n"
        "        imageName: contoso.azurecr.io/render:1\n"
        "        registry:\n"
        "          registryServer: contoso.azurecr.io\n"
        "          username: render\n"
        "          passwordFile: registry-password\n";
    e.WritePoolFile("render.yaml",
                    "pools:\n" + PoolYaml("render", "renderbatch", 2, 0, kRender140, extra));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "render", 2, kConverge)) << d.Log();
    ExpectZeroWritesAtSteadyState(e);
    ASSERT_EQ(E2E::CountWrites(e.Writes(), "PATCH", "/pools/render"), 0);

    write_secret("second-registry-password-e2e");
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return E2E::CountWrites(e.Writes(), "PATCH", "/pools/render") >= 1; }, 30s))
        << d.Log();
    ExpectZeroWritesAtSteadyState(e);
    const auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/pools/render"), 1) << "patched once";
    const int patch = IndexOf(writes, "PATCH", "/pools/render");
    EXPECT_NE(writes[static_cast<std::size_t>(patch)]["body"].get<std::string>().find(
                  "second-registry-password-e2e"),
              std::string::npos)
        << "the patch carries the rotated secret";
    EXPECT_EQ(d.Log().find("second-registry-password-e2e"), std::string::npos);
}

// --- issue 15: an account with poolApi: arm -----------------------------------------------

}  // namespace
}  // namespace pw::e2e::core_test
