// Adoption of pools made outside poolwarden: Debian's azure-batch SDK creates the pool in
// poolwarden-sim (tests/e2e/sdk_pool.py), then poolwarden with `adopt: true` compares the
// table-declared properties the way Azure's defaults read (issue 13, "Drift, by what Azure
// lets you change").
#include <gtest/gtest.h>

#include <cstdlib>

#include "e2e_fixture.hpp"

namespace pw::e2e {
namespace {

constexpr double kFast = 600;
constexpr auto kConverge = 90s;

/// The SDK pool's intent as a pool file: other spellings (vmSize case), list orders
/// (containerImageNames) and defaults (REST defaults the simulator fills in) than the SDK's
/// request, and a registry password file of its own (never compared: Batch never returns it).
std::string PoolFile(const std::string& id) {
    return "pools:\n  - id: " + id +
           "\n    account: renderbatch\n"
           "    displayName: Render (SDK)\n"
           "    vmSize: Standard_D4s_v3\n"
           "    image: " +
           kRender140 +
           "\n    nodeAgentSkuId: batch.node.ubuntu 22.04\n"
           "    scale:\n      targetDedicatedNodes: 5\n      targetLowPriorityNodes: 0\n"
           "    taskSlotsPerNode: 4\n"
           "    taskSchedulingPolicy:\n      nodeFillType: pack\n"
           "    targetNodeCommunicationMode: simplified\n"
           "    enableInterNodeCommunication: false\n"
           "    networkConfiguration:\n"
           "      subnetId: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/"
           "rg-batch/providers/Microsoft.Network/virtualNetworks/vnet-batch/subnets/nodes\n"
           "      publicIPAddressConfiguration:\n        provision: nopublicipaddresses\n"
           "    virtualMachineConfiguration:\n"
           "      dataDisks:\n"
           "        - lun: 0\n          diskSizeGB: 256\n          storageAccountType: "
           "premium_lrs\n"
           "          caching: readwrite\n"
           "      containerConfiguration:\n"
           "        type: dockerCompatible\n"
           "        containerImageNames:\n"
           "          - studiocr.azurecr.io/sim/solver:2.3\n"
           "          - studiocr.azurecr.io/sim/post:1.0\n"
           "        containerRegistries:\n"
           "          - registryServer: studiocr.azurecr.io\n"
           "            username: studio-pull\n"
           "            passwordFile: registry-password\n"
           "    applicationPackageReferences:\n"
           "      - applicationId: blender\n        version: \"4.1\"\n"
           "    metadata:\n      team: vfx\n"
           "    adopt: true\n";
}

/// An E2E run whose pool `render` was made by the SDK (`variant`, see sdk_pool.py) and is
/// steady with its 5 nodes before poolwarden starts.
struct SdkPool {
    E2E e{ExampleWorld(), kFast};
    explicit SdkPool(const std::string& variant) {
        const std::string cmd = std::string("/usr/bin/python3 ") + PW_SDK_POOL_SCRIPT +
                                " http://127.0.0.1:" + std::to_string(e.port()) + " render " +
                                variant + " >/dev/null";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
        EXPECT_TRUE(
            E2E::WaitFor([&] { return E2E::Steady(e.Pool("renderbatch", "render")); }, kConverge));
        { std::ofstream(e.dir() / "registry-password") << "file-registry-password\n"; }
        chmod((e.dir() / "registry-password").c_str(), 0600);
        e.WritePoolFile("render.yaml", PoolFile("render"));
        sdk_writes = e.Writes().size();
    }
    std::size_t sdk_writes = 0;  ///< The SDK's own (POST /pools), before poolwarden starts.
    /// poolwarden's writes.
    std::vector<Json> Writes() {
        auto all = e.Writes();
        return {all.begin() + static_cast<std::ptrdiff_t>(sdk_writes), all.end()};
    }
    bool HasMetadata(const std::string& name) {
        const Json pool = e.Pool("renderbatch", "render");  // outlives the loop
        for (const auto& m : pool["metadata"])
            if (m["name"] == name) return true;
        return false;
    }
    bool Owned() { return HasMetadata("poolwarden.io/managed-by"); }
    int PoolGets() {
        int n = 0;
        for (const auto& r : e.Requests()) {
            std::string path = r["path"];
            if (r["method"] == "GET" && path.find("/pools/render?") != std::string::npos) ++n;
        }
        return n;
    }
    /// After the adoption: 4 s (>= 3 cycles at 1 s) without a write or a GET of the pool.
    void ExpectQuiet() {
        auto writes = e.Writes().size();
        auto gets = PoolGets();
        std::this_thread::sleep_for(4s);
        EXPECT_EQ(e.Writes().size(), writes) << "no write once adopted";
        EXPECT_EQ(PoolGets(), gets) << "no re-read of a pool whose eTag and spec did not change";
    }
};

TEST(AdoptSdkPool, SameIntentShowsNoDriftAndIsOnlyAdopted) {
    SdkPool s("same");
    auto& d = s.e.Start();
    ASSERT_TRUE(E2E::WaitFor([&] { return s.Owned(); }, kConverge)) << d.Log();
    std::this_thread::sleep_for(2s);
    s.ExpectQuiet();
    const auto writes = s.Writes();
    ASSERT_EQ(writes.size(), 1u) << "one PATCH: the ownership marker";
    EXPECT_EQ(writes[0]["method"], "PATCH");
    EXPECT_EQ(d.Log().find("Drift"), std::string::npos) << d.Log();
    // Adopted with the spec hash: the properties are trusted from now on.
    EXPECT_TRUE(s.HasMetadata("poolwarden.io/spec-hash"));
    const auto pool = s.e.Pool("renderbatch", "render");
    EXPECT_EQ(pool["targetNodeCommunicationMode"], "simplified");
    EXPECT_EQ(pool["virtualMachineConfiguration"]["dataDisks"][0]["diskSizeGB"], 256);
}

TEST(AdoptSdkPool, AnEmptyOnlyDifferenceIsExactlyOneFinding) {
    SdkPool s("emptyonly");
    auto& d = s.e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] { return s.Owned() && d.Log().find("EmptyOnlyDrift") != std::string::npos; },
        kConverge))
        << d.Log();
    std::this_thread::sleep_for(2s);
    s.ExpectQuiet();
    const std::string log = d.Log();
    EXPECT_NE(log.find("message=\"virtualMachineConfiguration.dataDisks[0].diskSizeGB 128 -> 256: "
                       "Batch "
                       "changes these only while the pool has no nodes"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("ImmutableDrift"), std::string::npos);
    EXPECT_EQ(s.Writes().size(), 1u) << "only the ownership marker";
    EXPECT_EQ(s.e.Pool("renderbatch",
                       "render")["virtualMachineConfiguration"]["dataDisks"][0]["diskSizeGB"],
              128);
    // The hash must not vouch for properties that still differ.
    EXPECT_FALSE(s.HasMetadata("poolwarden.io/spec-hash"));
}

TEST(AdoptSdkPool, APatchableDifferenceIsOnePatchThenNothing) {
    SdkPool s("patchable");
    auto& d = s.e.Start();
    ASSERT_TRUE(E2E::WaitFor(
        [&] {
            auto p = s.e.Pool("renderbatch", "render");
            return s.Owned() && p["targetNodeCommunicationMode"] == "simplified";
        },
        kConverge))
        << d.Log();
    std::this_thread::sleep_for(2s);
    s.ExpectQuiet();
    EXPECT_EQ(s.Writes().size(), 1u) << "adoption and the patchable properties in one PATCH";
    const auto pool = s.e.Pool("renderbatch", "render");
    EXPECT_EQ(pool["applicationPackageReferences"][0]["version"], "4.1");
    EXPECT_NE(d.Log().find("targetNodeCommunicationMode \\\"classic\\\" -> \\\"simplified\\\""),
              std::string::npos)
        << d.Log();
    EXPECT_EQ(d.Log().find("Drift"), std::string::npos);
}

}  // namespace
}  // namespace pw::e2e
