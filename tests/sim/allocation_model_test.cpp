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
