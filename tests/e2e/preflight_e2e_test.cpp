// Pre-flight checks end to end: quota held until raised, prerequisite failures holding only
// their pools, each with its fix.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace pw::e2e::preflight_test {
namespace {

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

}  // namespace
}  // namespace pw::e2e::preflight_test
