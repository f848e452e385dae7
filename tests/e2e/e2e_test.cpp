// The daemon end to end: the real poolwarden binary against poolwarden-sim in accelerated time.
#include <gtest/gtest.h>

#include "e2e_fixture.hpp"

namespace pw::e2e {
namespace {

constexpr double kFast = 600;  // simulated seconds per real second
constexpr auto kConverge = 90s;

int ReplicaCount(const Json& version, const std::string& region_norm) {
    for (const auto& r : version["properties"]["publishingProfile"]["targetRegions"]) {
        std::string name = r["name"];
        std::string norm;
        for (char c : name)
            if (c != ' ') norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (norm == region_norm) return r.value("regionalReplicaCount", 0);
    }
    return 0;
}

Json Body(const Json& request) { return Json::parse(request.value("body", std::string("{}"))); }

int IndexOf(const std::vector<Json>& writes, const std::string& method, const std::string& part) {
    for (std::size_t i = 0; i < writes.size(); ++i) {
        std::string path = writes[i]["path"];
        if (writes[i]["method"] == method && path.find(part) != std::string::npos)
            return static_cast<int>(i);
    }
    return -1;
}

/// After convergence: several cycles pass without a single write.
void ExpectZeroWritesAtSteadyState(E2E& e) {
    auto before = e.Writes().size();
    auto reads_before = e.Requests().size();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    EXPECT_EQ(e.Writes().size(), before) << "steady state must not write";
    EXPECT_GT(e.Requests().size(), reads_before) << "the daemon keeps observing";
}

/// GET on the daemon's endpoints: the status, or 0 when nothing answers on `port`.
int TryGet(std::uint16_t port, const std::string& path) {
    try {
        return Send(port, "GET", path).status;
    } catch (const std::exception&) {
        return 0;
    }
}

/// A loopback listener holding a port (free for others once destroyed).
struct HeldPort {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
};

/// The port of the latest "endpoints listening" line of the daemon's log.
std::uint16_t LastListeningPort(const DaemonProcess& d) {
    static const std::regex re(R"(endpoints listening.*address\W+127\.0\.0\.1:(\d+))");
    const std::string log = d.Log();
    std::uint16_t port = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
        port = static_cast<std::uint16_t>(std::stoi((*it)[1]));
    return port;
}

/// Token requests the simulator answered, by kind (`client-credentials`, `imds`).
int TokenRequests(E2E& e, const std::string& kind) {
    int n = 0;
    const Json all = Send(e.port(), "GET", "/_sim/requests").json();
    for (const auto& r : all["requests"])
        if (r.value("auth", std::string()) == kind && r.value("status", 0) == 200) ++n;
    return n;
}

std::string ReadFile(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
}

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
    int patch = IndexOf(writes, "PATCH", "/versions/1.4.0");
    int create = IndexOf(writes, "POST", "/pools?");
    ASSERT_GE(patch, 0);
    ASSERT_GE(create, 0);
    EXPECT_LT(patch, create) << "replicas before the pool";
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 1) << "no duplicate creates";
    EXPECT_EQ(E2E::CountWrites(writes, "PATCH", "/versions/1.4.0"), 1);
    auto add = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(add["resizeTimeout"], "PT45M");
    bool marker = false;
    for (const auto& m : add["metadata"])
        if (m["name"] == "poolwarden.io/managed-by" && m["value"] == "poolwarden") marker = true;
    EXPECT_TRUE(marker);
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

TEST(E2E, AutoscalePoolIsSizedForMaxNodes) {
    E2E e(ExampleWorld(), kFast);
    std::string y = "pools:\n" + PoolYaml("auto", "renderbatch", -1) +
                    "    scale:\n      autoScale:\n"
                    "        formula: \"$TargetDedicatedNodes = 10;\"\n"
                    "        evaluationInterval: 15m\n        maxNodes: 1200\n";
    e.WritePoolFile("auto.yaml", y);
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "auto").is_null(); }, kConverge))
        << d.Log();
    EXPECT_EQ(ReplicaCount(e.Version("render", "1.4.0"), "eastus"), 4);
    auto writes = e.Writes();
    int create = IndexOf(writes, "POST", "/pools?");
    ASSERT_GE(create, 0);
    auto add = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(add["enableAutoScale"], true);
    EXPECT_FALSE(add.contains("resizeTimeout"));
    EXPECT_FALSE(add.contains("targetDedicatedNodes"));
}

TEST(E2E, AutoscaleFormulaChangeIsOneEnableAndABadFormulaIsNeverWritten) {
    E2E e(ExampleWorld(), kFast);
    auto pool_file = [](const std::string& formula) {
        return "pools:\n" + PoolYaml("auto", "renderbatch", -1) +
               "    scale:\n      autoScale:\n        formula: \"" + formula +
               "\"\n        evaluationInterval: 15m\n        maxNodes: 100\n";
    };
    auto formula = [&] { return e.Pool("renderbatch", "auto").value("autoScaleFormula", ""); };
    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = 2;"));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "auto").is_null(); }, kConverge))
        << d.Log();
    EXPECT_NE(formula().find("min($TargetDedicatedNodes, 100)"), std::string::npos)
        << "created with the maxNodes cap: " << formula();

    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = 3;"));
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return formula().find("$TargetDedicatedNodes = 3;") != std::string::npos; },
        kConverge))
        << d.Log();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools/auto/enableautoscale"), 1);
    const auto enabled =
        Body(writes[static_cast<std::size_t>(IndexOf(writes, "POST", "/enableautoscale"))]);
    EXPECT_EQ(enabled["autoScaleEvaluationInterval"], "PT15M");
    EXPECT_NE(enabled["autoScaleFormula"].get<std::string>().find("max(0, 100 - "),
              std::string::npos);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 1) << "never recreated";

    // A formula Batch cannot evaluate: evaluateautoscale (which changes nothing) says why, and
    // no enableautoscale follows; the pool keeps its formula and /status shows Batch's message.
    const auto before = e.Writes().size();
    e.WritePoolFile("auto.yaml", pool_file("$TargetDedicatedNodes = nosuch(;"));
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    std::string status;
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            status = Send(port, "GET", "/status").body;
            return status.find("could not be evaluated") != std::string::npos;
        },
        kConverge))
        << status << d.Log();
    std::this_thread::sleep_for(3500ms);
    writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/enableautoscale"), 1);
    std::size_t evaluations = 0;
    for (std::size_t i = before; i < writes.size(); ++i) {
        EXPECT_NE(writes[i]["path"].get<std::string>().find("/evaluateautoscale"),
                  std::string::npos)
            << "only evaluations, no write: " << writes[i].dump();
        ++evaluations;
    }
    EXPECT_EQ(evaluations, 1u) << "a terminal error is not retried until the file changes";
    EXPECT_NE(formula().find("$TargetDedicatedNodes = 3;"), std::string::npos);
    EXPECT_NE(status.find("autoScale.formula"), std::string::npos) << "the fix: " << status;
}

TEST(E2E, PoolRemovedFromTheFilesIsOrphanedAndLeftAlone) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("keep.yaml", "pools:\n" + PoolYaml("keep", "renderbatch", 10));
    e.WritePoolFile("gone.yaml", "pools:\n" + PoolYaml("gone", "renderbatch", 20));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "gone")); }, kConverge))
        << d.Log();
    std::filesystem::remove(e.dir() / "pools.d" / "gone.yaml");
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            const auto s = Send(port, "GET", "/status").json();
            return s["orphanedPools"].size() == 1 && s["orphanedPools"][0]["id"] == "gone";
        },
        kConverge))
        << Send(port, "GET", "/status").body << d.Log();
    const auto metrics = Send(port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find(R"(poolwarden_pool_orphaned{account="renderbatch",pool="gone"} 1)"),
              std::string::npos)
        << metrics;
    const auto before = e.Writes().size();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    EXPECT_EQ(e.Writes().size(), before) << "the orphan is left as it is";
    EXPECT_EQ(e.Pool("renderbatch", "gone").value("targetDedicatedNodes", 0), 20);
}

TEST(E2E, PruneDeleteRemovesAnOrphanOnceAndNeverBesideABrokenPoolFile) {
    E2E e(ExampleWorld(), kFast);
    e.WriteDaemonFile({"renderbatch"}, "prune:\n  mode: delete\n  graceMinutes: 0\n");
    e.WritePoolFile("keep.yaml", "pools:\n" + PoolYaml("keep", "renderbatch", 10));
    e.WritePoolFile("gone.yaml", "pools:\n" + PoolYaml("gone", "renderbatch", 20));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "gone")); }, kConverge))
        << d.Log();
    // The pool's file is removed while another pool file is broken: never deleted.
    e.WritePoolFile("broken.yaml", "pools:\n  - id: [\n");
    std::filesystem::remove(e.dir() / "pools.d" / "gone.yaml");
    const auto port = ListeningPort(d);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return Send(port, "GET", "/status").json()["orphanedPools"].size() == 1; },
        kConverge));
    std::this_thread::sleep_for(5s);  // >= 4 passes at interval 1s
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "DELETE", "/pools/gone"), 0) << d.Log();
    EXPECT_NE(Send(port, "GET", "/status").body.find("not deleted while a pool file has errors"),
              std::string::npos);

    DaemonProcess broken_plan({"plan", "--config", (e.dir() / "poolwarden.yaml").string()},
                              e.dir() / "plan-broken.log");
    EXPECT_EQ(broken_plan.Wait(), 2) << "a rejected pool file";
    EXPECT_EQ(broken_plan.Log().find("would be deleted"), std::string::npos) << broken_plan.Log();

    // Fixed: deleted once, after 3 passes with a clean config, with the eTag it was seen with.
    std::filesystem::remove(e.dir() / "pools.d" / "broken.yaml");
    ASSERT_TRUE(E2E::WaitFor([&] { return e.Pool("renderbatch", "gone").is_null(); }, kConverge))
        << d.Log();
    std::this_thread::sleep_for(3500ms);
    const auto writes = e.Writes();
    ASSERT_EQ(E2E::CountWrites(writes, "DELETE", "/pools/gone"), 1);
    const auto& del = writes[static_cast<std::size_t>(IndexOf(writes, "DELETE", "/pools/gone"))];
    EXPECT_FALSE(del.value("ifMatch", std::string()).empty())
        << "DELETE with If-Match: " << del.dump();
    EXPECT_FALSE(e.Pool("renderbatch", "keep").is_null()) << "the declared pool stays";
    EXPECT_EQ(E2E::CountWrites(writes, "DELETE", "/pools/keep"), 0);

    // With every file valid, a live plan names what run would delete and exits 3, unless
    // --allow-delete.
    d.Stop();
    e.WritePoolFile("keep.yaml", "pools: []\n");
    for (const bool allow : {false, true}) {
        std::vector<std::string> args = {"plan", "--config",
                                         (e.dir() / "poolwarden.yaml").string()};
        if (allow) args.emplace_back("--allow-delete");
        DaemonProcess plan(args, e.dir() / (allow ? "plan-allow.log" : "plan.log"));
        EXPECT_EQ(plan.Wait(), allow ? 0 : 3) << plan.Log();
        EXPECT_NE(plan.Log().find("would be deleted by poolwarden run (prune.mode delete): "
                                  "renderbatch/keep"),
                  std::string::npos)
            << plan.Log();
    }
    EXPECT_FALSE(e.Pool("renderbatch", "keep").is_null()) << "plan never deletes";
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

TEST(E2E, PoolsOverTheFamilyQuotaAreHeldUntilTheQuotaIsRaised) {
    auto world = ExampleWorld();
    auto& account = world["batchAccounts"][0];
    account["dedicatedCoreQuotaPerVMFamilyEnforced"] = true;
    account["dedicatedCoreQuotaPerVMFamily"] =
        Json::array({{{"name", "standardDSv3Family"}, {"coreQuota", 150}}});
    E2E e(world, kFast);
    // 16 x Standard_D4s_v3 = 64 vCPUs each: a and b fit in 150, c would need 192.
    e.WritePoolFile("quota.yaml", "pools:\n" + PoolYaml("quota-a", "renderbatch", 16) +
                                      PoolYaml("quota-b", "renderbatch", 16) +
                                      PoolYaml("quota-c", "renderbatch", 16));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "quota-a", 16, kConverge)) << d.Log();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "quota-b", 16, kConverge)) << d.Log();
    ASSERT_TRUE(
        e.WaitFor([&] { return d.Log().find("QuotaExceeded") != std::string::npos; }, kConverge));
    EXPECT_NE(d.Log().find("the pools need 192"), std::string::npos) << d.Log();
    EXPECT_TRUE(e.Pool("renderbatch", "quota-c").is_null()) << "held: never created";

    Json state = e.State();
    for (auto& a : state["batchAccounts"])
        if (a["name"] == "renderbatch")
            a["dedicatedCoreQuotaPerVMFamily"] =
                Json::array({{{"name", "standardDSv3Family"}, {"coreQuota", 192}}});
    ASSERT_EQ(Send(e.port(), "PUT", "/_sim/world", state.dump()).status, 200);
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "quota-c", 16, kConverge)) << d.Log();
    auto writes = e.Writes();
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/pools?"), 3);
    EXPECT_EQ(E2E::CountWrites(writes, "POST", "/resize"), 0) << "no failed resize in between";
    for (const char* id : {"quota-a", "quota-b", "quota-c"})
        EXPECT_FALSE(e.Pool("renderbatch", id).contains("resizeErrors")) << id;
}

/// The studio gallery of the example world copied into subscription `sub` (its render image
/// only), as gallery `name`.
Json GalleryIn(const Json& world, const std::string& sub, const std::string& name) {
    Json g = world["galleries"][0];
    g["subscriptionId"] = sub;
    g["resourceGroup"] = "rg-shared";
    g["name"] = name;
    Json images = Json::array();
    for (const auto& img : g["images"])
        if (img["name"] == "render") images.push_back(img);
    g["images"] = images;
    return g;
}

std::string ImageIn(const std::string& sub, const std::string& gallery,
                    const std::string& image = "render", const std::string& version = "1.4.0") {
    return "/subscriptions/" + sub +
           "/resourceGroups/rg-shared/providers/Microsoft.Compute/"
           "galleries/" +
           gallery + "/images/" + image + "/versions/" + version;
}

TEST(E2E, PrerequisiteFailuresHoldOnlyTheirPoolsWithTheFix) {
    const std::string unregistered = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
    const std::string other_tenant = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
    auto world = ExampleWorld();
    // A second subscription of the same tenant without Microsoft.Batch registered, and a
    // subscription of another tenant (Microsoft.Batch registered there).
    world["subscriptions"].push_back({{"id", unregistered},
                                      {"tenantId", "22222222-2222-2222-2222-222222222222"},
                                      {"resourceGroups", {"rg-shared"}},
                                      {"providers", {{"Microsoft.Batch", "NotRegistered"}}}});
    world["subscriptions"].push_back({{"id", other_tenant},
                                      {"tenantId", "99999999-9999-9999-9999-999999999999"},
                                      {"resourceGroups", {"rg-shared"}}});
    world["galleries"].push_back(GalleryIn(world, unregistered, "shared"));
    world["galleries"].push_back(GalleryIn(world, other_tenant, "partner"));
    // An image of the account's own subscription the daemon may not read.
    Json locked = GalleryIn(world, kSub, "locked");
    locked["images"][0]["versions"][0]["unreadable"] = true;
    world["galleries"].push_back(locked);
    // A Trusted Launch image definition (the example's hpc image), for a pool without
    // securityProfile.
    MarkTrustedLaunch(world, "hpc");
    E2E e(world, kFast);
    auto pool = [](const std::string& id, const std::string& image,
                   const std::string& agent = "batch.node.ubuntu 22.04") {
        auto y = PoolYaml(id, "renderbatch", 2, 0, image);
        const std::string standard = "batch.node.ubuntu 22.04";
        y.replace(y.find(standard), standard.size(), agent);
        return y;
    };
    e.WritePoolFile(
        "prereq.yaml", "pools:\n" + pool("broken-agent", kRender140, "batch.node.ubuntu 16.04") +
                           pool("broken-os", kRender140, "batch.node.windows amd64") +
                           pool("broken-provider", ImageIn(unregistered, "shared")) +
                           pool("broken-tenant", ImageIn(other_tenant, "partner")) +
                           pool("broken-access", ImageIn(kSub, "locked")) +
                           pool("broken-trusted", kGallery + "hpc/versions/2.0.0") +
                           [&] {  // Standard_A1 runs Hyper-V generation 1 only
                               auto y = pool("broken-gen1", kRender140);
                               y.replace(y.find("Standard_D4s_v3"), 15, "Standard_A1");
                               return y;
                           }() +
                           pool("healthy", kRender140));
    auto& d = e.Start();
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "healthy", 2, kConverge)) << d.Log();
    const std::vector<std::string> fixes = {
        "NodeAgentSkuNotSupported",
        "Fix: set nodeAgentSkuId to a listed SKU for linux images",
        "OsTypeMismatch",
        "ProviderNotRegistered",
        "Fix: az provider register --namespace Microsoft.Batch --subscription " + unregistered,
        "TenantMismatch",
        "is in tenant 22222222-2222-2222-2222-222222222222",
        "ImageAccessDenied",
        "Fix: grant the daemon's identity Reader",
        "SecurityProfileRequired",
        "HyperVGenerationMismatch",
        "Fix: choose a vmSize whose HyperVGenerations include V2"};
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            const std::string log = d.Log();
            return std::all_of(fixes.begin(), fixes.end(), [&](const std::string& f) {
                return log.find(f) != std::string::npos;
            });
        },
        10s))
        << d.Log();
    std::this_thread::sleep_for(2500ms);  // more passes: still no write for a broken pool
    for (const auto& w : e.Writes())
        EXPECT_EQ(w.dump().find("broken-"), std::string::npos) << "write for a held pool: " << w;
    for (const char* id : {"broken-agent", "broken-os", "broken-provider", "broken-tenant",
                           "broken-access", "broken-trusted", "broken-gen1"})
        EXPECT_TRUE(e.Pool("renderbatch", id).is_null()) << id;
    // The facts come from daily caches: one read each over every pass so far.
    int images = 0, providers = 0, subscriptions = 0;
    for (const auto& r : e.Requests()) {
        const std::string path = r["path"];
        images += path.find("/supportedimages") != std::string::npos;
        providers += path.find("/providers/Microsoft.Batch?") != std::string::npos;
        // GET /subscriptions/{id}?api-version=...: nothing after the id but the query.
        const std::size_t id_end = path.find_first_of("/?", 15);
        subscriptions += path.rfind("/subscriptions/", 0) == 0 && id_end != std::string::npos &&
                         path[id_end] == '?';
    }
    EXPECT_EQ(images, 1);
    EXPECT_EQ(providers, 2) << "registration in the two image subscriptions that differ from "
                               "the account's";
    EXPECT_EQ(subscriptions, 3) << "tenantId of the account's and the two image subscriptions";
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
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "render");
            if (!E2E::Steady(p) || p["currentDedicatedNodes"] != 100) return false;
            for (const auto& m : p["metadata"])
                if (m["name"] == "poolwarden.io/managed-by") return true;
            return false;
        },
        kConverge))
        << d.Log();
    EXPECT_EQ(E2E::CountWrites(e.Writes(), "POST", "/pools?"), 0) << "adopted, not created";
    ExpectZeroWritesAtSteadyState(e);
}

TEST(E2E, SighupAndPoolsDirChangesReload) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // A new file is picked up through inotify alone.
    e.WritePoolFile("b.yaml", "pools:\n" + PoolYaml("b", "renderbatch", 50));
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "b").is_null(); }, 30s))
        << d.Log();

    // A broken daemon file is rejected on SIGHUP: the running config stays.
    auto daemon_file = e.dir() / "poolwarden.yaml";
    std::string good;
    {
        std::ifstream in(daemon_file);
        good.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::ofstream(daemon_file) << good << "unknownTopLevel: 1\n";
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return d.Log().find("daemon file rejected") != std::string::npos; }, 10s))
        << d.Log();
    EXPECT_TRUE(d.Running());

    // Fixed daemon file + a changed pool size, then SIGHUP: the resize happens.
    std::ofstream(daemon_file) << good;
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    d.Signal(SIGHUP);
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, PoolsDirSwappedUnderItsNameIsStillWatched) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // Configuration management replaces the whole directory: a new one renamed over the name.
    const auto pools = e.dir() / "pools.d";
    std::filesystem::create_directories(e.dir() / "pools.d.new");
    std::ofstream(e.dir() / "pools.d.new" / "a.yaml")
        << "pools:\n" + PoolYaml("a", "renderbatch", 100);
    std::filesystem::rename(pools, e.dir() / "pools.d.old");
    std::filesystem::rename(e.dir() / "pools.d.new", pools);
    std::this_thread::sleep_for(1s);

    // No SIGHUP: a file written into the new directory is picked up through inotify.
    e.WritePoolFile("b.yaml", "pools:\n" + PoolYaml("b", "renderbatch", 50));
    ASSERT_TRUE(E2E::WaitFor([&] { return !e.Pool("renderbatch", "b").is_null(); }, 30s))
        << d.Log();

    // And again after `rm -rf` and a new directory made under the same name.
    std::filesystem::remove_all(pools);
    std::filesystem::create_directories(pools);
    std::this_thread::sleep_for(1s);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, ReloadPointingAnAccountNameElsewhereWritesToTheNewAccount) {
    auto world = ExampleWorld();
    AddWorldAccount(world, "otherbatch", world["batchAccounts"][0]["location"]);
    E2E e(world, kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();

    // The same local name now means another account (its account cache entry is an hour old
    // at most): the next passes read and write that one.
    const auto file = e.dir() / "poolwarden.yaml";
    auto text = ReadFile(file);
    const std::string from = "accountName: renderbatch";
    ASSERT_NE(text.find(from), std::string::npos) << text;
    text.replace(text.find(from), from.size(), "accountName: otherbatch");
    std::ofstream(file) << text;
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("otherbatch", "a")); }, kConverge))
        << d.Log();
    EXPECT_EQ(e.Pool("renderbatch", "a")["targetDedicatedNodes"], 100) << "the old one is left";
    EXPECT_EQ(d.Stop(), 0);
}

TEST(E2E, ReloadAppliesAuthListenAndConcurrencyOrIsRejectedWhole) {
    E2E e(ExampleWorld(), kFast);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 100));
    auto& d = e.Start();
    const auto first_port = ListeningPort(d);
    ASSERT_NE(first_port, 0) << d.Log();
    ASSERT_TRUE(E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "a")); }, kConverge))
        << d.Log();
    EXPECT_EQ(TokenRequests(e, "imds"), 0);

    // One reload: managed identity instead of the client secret, another listen address,
    // another concurrency, and a bigger pool.
    std::uint16_t new_port = 0;
    {
        HeldPort free;
        new_port = free.port();
    }
    const auto file = e.dir() / "poolwarden.yaml";
    auto daemon_file = [&](std::uint16_t listen) {
        return DaemonYaml(e.port(), {"renderbatch"},
                          "reconcile:\n  interval: 1s\n  concurrency: 2\npoolsDir: pools.d\n"
                          "listen: 127.0.0.1:" +
                              std::to_string(listen) +
                              "\nleaderElection:\n  enabled: true\n  blobUrl: "
                              "http://127.0.0.1:9/poolwarden/leader\n",
                          "  method: managedIdentity\n");
    };
    std::ofstream(file) << daemon_file(new_port);
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 200));
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor([&] { return TryGet(new_port, "/healthz") == 200; }, 15s)) << d.Log();
    EXPECT_EQ(TryGet(first_port, "/healthz"), 0) << "the old listener is closed";
    ASSERT_TRUE(e.WaitForSteadySize("renderbatch", "a", 200, kConverge)) << d.Log();
    EXPECT_GT(TokenRequests(e, "imds"), 0) << "new clients fetch their tokens from IMDS";
    const std::string log = d.Log();
    EXPECT_NE(log.find("clients (auth, cloud, tls)"), std::string::npos) << log;
    EXPECT_NE(log.find("concurrency 2"), std::string::npos) << log;
    // leaderElection is read at start only: the reload says so, and the process goes on
    // writing without an election (the pool reached 200 above).
    EXPECT_NE(log.find("leaderElection changed in the daemon file; it applies at the next start"),
              std::string::npos)
        << log;

    // A reload that cannot be applied (its listen port is taken) is rejected whole: the pool
    // change in it is not applied, the listener in force keeps serving and /status says why.
    HeldPort taken;
    taken.acceptor.listen();
    std::ofstream(file) << daemon_file(taken.port());
    e.WritePoolFile("a.yaml", "pools:\n" + PoolYaml("a", "renderbatch", 300));
    d.Signal(SIGHUP);
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto s = Send(new_port, "GET", "/status").json();
            return s.value("configError", std::string()).find(std::to_string(taken.port())) !=
                   std::string::npos;
        },
        15s))
        << Send(new_port, "GET", "/status").body << d.Log();
    std::this_thread::sleep_for(3s);  // several passes
    EXPECT_EQ(e.Pool("renderbatch", "a")["targetDedicatedNodes"], 200) << d.Log();
    EXPECT_EQ(TryGet(new_port, "/healthz"), 200);
    EXPECT_EQ(LastListeningPort(d), new_port);
    EXPECT_EQ(d.Stop(), 0);
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
    int patch = IndexOf(writes, "PATCH", "/versions/1.4.0");
    int create = IndexOf(writes, "PUT", "/pools/render-linux");
    ASSERT_GE(patch, 0);
    ASSERT_GE(create, 0);
    EXPECT_LT(patch, create) << "replicas before the pool";
    EXPECT_EQ(E2E::CountWrites(writes, "PUT", "/pools/render-linux"), 1) << "no duplicate";
    auto put = Body(writes[static_cast<std::size_t>(create)]);
    EXPECT_EQ(put["properties"]["scaleSettings"]["fixedScale"]["resizeTimeout"], "PT45M");
    EXPECT_TRUE(put["identity"]["userAssignedIdentities"].contains(kArmIdentity));
    bool marker = false;
    for (const auto& m : put["properties"]["metadata"])
        if (m["name"] == "poolwarden.io/managed-by" && m["value"] == "poolwarden") marker = true;
    EXPECT_TRUE(marker);
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
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = e.Pool("renderbatch", "lighting");
            if (!E2E::Steady(p) || p["currentDedicatedNodes"] != 50) return false;
            for (const auto& m : p["metadata"])
                if (m["name"] == "poolwarden.io/managed-by") return true;
            return false;
        },
        kConverge))
        << d.Log();
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
}  // namespace pw::e2e
