#include <gtest/gtest.h>

#include "sim_fixture.hpp"

namespace pw::simtest {
namespace {

// The rules poolwarden enforces, made visible by the simulator's allocation model: a 3000-VM
// pool needs 10 replicas of its image in the account's region and resizeTimeout >= PT45M.
struct Outcome {
    std::string allocation_state;
    int current = 0;
    std::string error;
};

Outcome Run3000(int replicas, const std::string& timeout) {
    SimProcess sim({"--state", ExampleWorld()});
    const std::string arm = "Bearer " + Token(sim.port(), "https://management.azure.com/.default");
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    const std::string version = std::string("/subscriptions/") + kSub +
                                "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                                "studio/images/render/versions/1.4.0";
    if (replicas != 1) {
        auto patch =
            Send(sim.port(), "PATCH", version + "?api-version=2023-07-03",
                 Json({{"properties",
                        {{"publishingProfile",
                          {{"targetRegions",
                            {{{"name", "East US"}, {"regionalReplicaCount", replicas}}}}}}}}})
                     .dump(),
                 {{"Authorization", arm}});
        EXPECT_EQ(patch.status, 200);
        Send(sim.port(), "POST", "/_sim/advance?seconds=3600");
        auto v =
            Send(sim.port(), "GET", version + "?api-version=2023-07-03&$expand=ReplicationStatus",
                 {}, {{"Authorization", arm}})
                .json();
        EXPECT_EQ(v["properties"]["replicationStatus"]["aggregatedState"], "Completed");
    }
    Json pool = {{"id", "render-linux"},
                 {"vmSize", "Standard_D4s_v3"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"virtualMachineImageId", version}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                 {"targetDedicatedNodes", 2000},
                 {"targetLowPriorityNodes", 1000},
                 {"resizeTimeout", timeout}};
    auto add = Send(sim.port(), "POST", "/batch/renderbatch/pools?api-version=2024-07-01.20.0",
                    pool.dump(), {{"Authorization", batch}});
    EXPECT_EQ(add.status, 201) << add.body;
    Outcome out;
    for (int minute = 0; minute < 120; ++minute) {
        Send(sim.port(), "POST", "/_sim/advance?seconds=60");
        auto p = Send(sim.port(), "GET",
                      "/batch/renderbatch/pools/render-linux?api-version=2024-07-01.20.0", {},
                      {{"Authorization", batch}})
                     .json();
        out.allocation_state = p["allocationState"];
        out.current =
            p["currentDedicatedNodes"].get<int>() + p["currentLowPriorityNodes"].get<int>();
        if (p.contains("resizeErrors")) out.error = p["resizeErrors"][0]["code"];
        if (out.allocation_state == "steady") break;
    }
    return out;
}

TEST(AllocationModel, ThreeThousandVmsOnOneReplicaWithPT15MTimesOut) {
    const Outcome o = Run3000(1, "PT15M");
    EXPECT_EQ(o.allocation_state, "steady");
    EXPECT_EQ(o.error, "AllocationTimedout");
    EXPECT_LT(o.current, 3000);
    EXPECT_GT(o.current, 0);
}

TEST(AllocationModel, ThreeThousandVmsOnTenReplicasWithPT45MReachesTarget) {
    const Outcome o = Run3000(10, "PT45M");
    EXPECT_EQ(o.allocation_state, "steady");
    EXPECT_EQ(o.error, "");
    EXPECT_EQ(o.current, 3000);
}

TEST(AllocationModel, TenReplicasAloneAreNotEnoughWithPT15M) {
    const Outcome o = Run3000(10, "PT15M");
    EXPECT_EQ(o.error, "AllocationTimedout");
}

}  // namespace
}  // namespace pw::simtest

namespace pw::simtest {
namespace {

// Pre-flight's facts as the simulator serves them: the Batch-supported VM size list, and
// per-family core quotas that stop dedicated nodes at the family's quota when enforced.
TEST(AllocationModel, EnforcedFamilyQuotaStopsDedicatedNodesAtTheFamilyQuota) {
    SimProcess sim({"--state", ExampleWorld()});
    const std::string arm = "Bearer " + Token(sim.port(), "https://management.azure.com/.default");
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    auto skus = Send(sim.port(), "GET",
                     std::string("/subscriptions/") + kSub +
                         "/providers/Microsoft.Batch/locations/eastus/virtualMachineSkus"
                         "?api-version=2024-07-01",
                     {}, {{"Authorization", arm}});
    ASSERT_EQ(skus.status, 200) << skus.body;
    bool found = false;
    const Json list = skus.json();
    for (const auto& s : list["value"]) {
        if (s["name"] != "Standard_D4s_v3") continue;
        found = true;
        EXPECT_EQ(s["familyName"], "standardDSv3Family");
        EXPECT_EQ(s["capabilities"][0], Json({{"name", "vCPUs"}, {"value", "4"}}));
    }
    EXPECT_TRUE(found);

    Json world = Send(sim.port(), "GET", "/_sim/state").json();
    for (auto& a : world["batchAccounts"]) {
        a["dedicatedCoreQuotaPerVMFamilyEnforced"] = true;
        a["dedicatedCoreQuotaPerVMFamily"] =
            Json::array({{{"name", "standardDSv3Family"}, {"coreQuota", 40}}});
    }
    ASSERT_EQ(Send(sim.port(), "PUT", "/_sim/world", world.dump()).status, 200);
    auto account =
        Send(sim.port(), "GET",
             std::string("/subscriptions/") + kSub +
                 "/resourceGroups/rg-batch/providers/Microsoft.Batch/batchAccounts/renderbatch"
                 "?api-version=2024-07-01",
             {}, {{"Authorization", arm}});
    ASSERT_EQ(account.status, 200) << account.body;
    EXPECT_EQ(account.json()["properties"]["dedicatedCoreQuotaPerVMFamilyEnforced"], true);
    EXPECT_EQ(account.json()["properties"]["dedicatedCoreQuotaPerVMFamily"][0]["coreQuota"], 40);

    const std::string version = std::string("/subscriptions/") + kSub +
                                "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                                "studio/images/render/versions/1.4.0";
    Json pool = {{"id", "family"},
                 {"vmSize", "Standard_D4s_v3"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"virtualMachineImageId", version}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                 {"targetDedicatedNodes", 20},
                 {"resizeTimeout", "PT60M"}};
    auto add = Send(sim.port(), "POST", "/batch/renderbatch/pools?api-version=2024-07-01.20.0",
                    pool.dump(), {{"Authorization", batch}});
    ASSERT_EQ(add.status, 201) << add.body;
    Json p;
    for (int minute = 0; minute < 60; ++minute) {
        Send(sim.port(), "POST", "/_sim/advance?seconds=60");
        p = Send(sim.port(), "GET", "/batch/renderbatch/pools/family?api-version=2024-07-01.20.0",
                 {}, {{"Authorization", batch}})
                .json();
        if (p["allocationState"] == "steady") break;
    }
    EXPECT_EQ(p["allocationState"], "steady");
    EXPECT_EQ(p["currentDedicatedNodes"], 10) << "40 family cores: 10 nodes of 4 vCPUs";
    ASSERT_TRUE(p.contains("resizeErrors")) << p.dump();
    EXPECT_EQ(p["resizeErrors"][0]["code"], "AccountVMSeriesCoreQuotaReached");
}

}  // namespace
}  // namespace pw::simtest
