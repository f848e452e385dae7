// poolwarden-sim's compute nodes (issue 14, simulator part): node states over simulated time
// consistent with the pool's counts, the node list's $select/$filter/paging, shrinking by
// nodeDeallocationOption with busy nodes, PATCH of empty-only fields, and the start-task fault.
#include <gtest/gtest.h>

#include <set>

#include "sim_fixture.hpp"

namespace pw::simtest {
namespace {

const std::string kGallery = std::string("/subscriptions/") + kSub +
                             "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                             "studio/images/";
const std::string kRender = kGallery + "render/versions/1.4.0";
const std::string kHpc = kGallery + "hpc/versions/2.0.0";
const std::string kApi21 = "api-version=2025-06-01.21.0";

class SimNodes : public ::testing::Test {
  protected:
    SimNodes() : sim_({"--state", ExampleWorld(), "--seed", "7"}) {}
    void SetUp() override {
        batch_ = "Bearer " + Token(sim_.port(), "https://batch.core.windows.net//.default");
    }
    HttpResult Batch(const std::string& method, const std::string& target,
                     const std::string& body = {}) {
        std::map<std::string, std::string> h = {{"Authorization", batch_}};
        if (!body.empty()) h.emplace("Content-Type", "application/json; odata=minimalmetadata");
        return Send(sim_.port(), method, kBatch + target, body, h);
    }
    void AddPool(const std::string& id, int dedicated, int low, Json extra = Json::object()) {
        Json body = {{"id", id},
                     {"vmSize", "Standard_D4s_v3"},
                     {"virtualMachineConfiguration",
                      {{"imageReference", {{"virtualMachineImageId", kRender}}},
                       {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                     {"targetDedicatedNodes", dedicated},
                     {"targetLowPriorityNodes", low},
                     {"resizeTimeout", "PT30M"}};
        body.update(extra);
        auto r = Batch("POST", "/pools?" + kApi, body.dump());
        ASSERT_EQ(r.status, 201) << r.body;
    }
    void Advance(int seconds) {
        ASSERT_EQ(
            Send(sim_.port(), "POST", "/_sim/advance?seconds=" + std::to_string(seconds)).status,
            200);
    }
    Json Pool(const std::string& id) { return Batch("GET", "/pools/" + id + "?" + kApi).json(); }
    /// Every node of the pool, following odata.nextLink.
    std::vector<Json> Nodes(const std::string& id, const std::string& query = "") {
        std::vector<Json> out;
        std::string target = kBatch + "/pools/" + id + "/nodes?" + kApi + query;
        for (int page = 0; page < 100 && !target.empty(); ++page) {
            auto r = Send(sim_.port(), "GET", target, {}, {{"Authorization", batch_}});
            EXPECT_EQ(r.status, 200) << r.body;
            if (r.status != 200) break;
            auto j = r.json();
            for (const auto& n : j["value"]) out.push_back(n);
            target.clear();
            if (j.contains("odata.nextLink")) {
                const std::string link = j["odata.nextLink"];
                target = link.substr(link.find(kBatch));
            }
        }
        return out;
    }
    std::map<std::string, int> States(const std::string& id) {
        std::map<std::string, int> out;
        for (const auto& n : Nodes(id, "&$select=id,state")) ++out[n["state"].get<std::string>()];
        return out;
    }
    void Resize(const std::string& id, int dedicated, const std::string& option) {
        Json body = {{"targetDedicatedNodes", dedicated},
                     {"targetLowPriorityNodes", 0},
                     {"resizeTimeout", "PT30M"},
                     {"nodeDeallocationOption", option}};
        ASSERT_EQ(Batch("POST", "/pools/" + id + "/resize?" + kApi, body.dump()).status, 202);
    }
    int MarkBusy(const std::string& id, double share, int seconds) {
        auto r = Send(sim_.port(), "POST", "/_sim/accounts/renderbatch/pools/" + id + "/busy",
                      Json({{"share", share}, {"seconds", seconds}}).dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? r.json()["busy"].get<int>() : -1;
    }

    SimProcess sim_;
    std::string batch_;
};

TEST_F(SimNodes, NodesAreCreatedThenStartThenIdleOnThePoolsImageAndSize) {
    AddPool("p", 6, 2);
    EXPECT_TRUE(Nodes("p").empty());
    Advance(200);  // boot 180 s, then 30 nodes/min on one replica: all 8 exist, all creating
    auto pool = Pool("p");
    EXPECT_EQ(pool["currentDedicatedNodes"], 6);
    EXPECT_EQ(pool["currentLowPriorityNodes"], 2);
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"creating", 8}}));
    Advance(70);
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"starting", 8}}));
    Advance(130);
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"idle", 8}}));
    const auto nodes = Nodes("p");
    ASSERT_EQ(nodes.size(), 8U);
    std::set<std::string> ids;
    int dedicated = 0;
    for (const auto& n : nodes) {
        ids.insert(n["id"].get<std::string>());
        dedicated += n["isDedicated"].get<bool>() ? 1 : 0;
        EXPECT_EQ(n["vmSize"], "Standard_D4s_v3");
        EXPECT_EQ(n["virtualMachineInfo"]["imageReference"]["virtualMachineImageId"], kRender);
        EXPECT_EQ(n["virtualMachineInfo"]["imageReference"]["exactVersion"], "1.4.0");
    }
    EXPECT_EQ(ids.size(), 8U);
    EXPECT_EQ(dedicated, 6);
    EXPECT_EQ(Nodes("p"), nodes) << "ids and states are deterministic";
    auto missing = Batch("GET", "/pools/nope/nodes?" + kApi);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.json()["code"], "PoolNotFound");
}

TEST_F(SimNodes, ListHonoursSelectFilterAndPages) {
    AddPool("p", 25, 0);
    Advance(600);
    auto first = Batch("GET", "/pools/p/nodes?" + kApi + "&$select=id,state&maxresults=10");
    ASSERT_EQ(first.status, 200) << first.body;
    const auto page = first.json();
    ASSERT_EQ(page["value"].size(), 10U);
    for (const auto& n : page["value"]) {
        EXPECT_EQ(n.size(), 2U) << n.dump();
        EXPECT_EQ(n["state"], "idle");
    }
    EXPECT_TRUE(page.contains("odata.nextLink"));
    const auto all = Nodes("p", "&$select=id,state&maxresults=10");
    EXPECT_EQ(all.size(), 25U);
    std::set<std::string> ids;
    for (const auto& n : all) ids.insert(n["id"].get<std::string>());
    EXPECT_EQ(ids.size(), 25U) << "pages neither repeat nor skip nodes";
    EXPECT_EQ(MarkBusy("p", 0.2, 600), 5);
    EXPECT_EQ(Nodes("p", "&$filter=state%20eq%20'running'&maxresults=2").size(), 5U);
    EXPECT_EQ(Batch("GET", "/pools/p/nodes?" + kApi + "&maxresults=0").status, 400);
}

TEST_F(SimNodes, TaskCompletionWaitsForBusyNodesRequeueRemovesThemAtOnce) {
    AddPool("drain", 10, 0);
    AddPool("requeue", 10, 0);
    Advance(600);
    EXPECT_EQ(MarkBusy("drain", 0.5, 1200), 5);
    EXPECT_EQ(MarkBusy("requeue", 0.5, 1200), 5);
    Resize("drain", 0, "taskcompletion");
    Resize("requeue", 0, "requeue");
    Advance(10);
    auto drain = Pool("drain");
    EXPECT_EQ(drain["allocationState"], "resizing");
    EXPECT_EQ(drain["currentDedicatedNodes"], 5);
    EXPECT_EQ(States("drain"), (std::map<std::string, int>{{"running", 5}}));
    EXPECT_EQ(States("requeue"), (std::map<std::string, int>{{"leavingpool", 5}}));
    EXPECT_EQ(Pool("requeue")["currentDedicatedNodes"], 5) << "leaving nodes still count";
    Advance(30);
    auto requeue = Pool("requeue");
    EXPECT_EQ(requeue["allocationState"], "steady");
    EXPECT_EQ(requeue["currentDedicatedNodes"], 0);
    EXPECT_FALSE(requeue.contains("resizeErrors"));
    EXPECT_TRUE(Nodes("requeue").empty());
    EXPECT_EQ(Pool("drain")["allocationState"], "resizing");
    Advance(1200);
    drain = Pool("drain");
    EXPECT_EQ(drain["allocationState"], "steady");
    EXPECT_EQ(drain["currentDedicatedNodes"], 0);
    EXPECT_FALSE(drain.contains("resizeErrors")) << drain.dump();
    EXPECT_TRUE(Nodes("drain").empty());
}

TEST_F(SimNodes, AStuckDrainIsStoppedAndRequeuedOrEndsAtTheResizeTimeout) {
    AddPool("p", 4, 0);
    AddPool("q", 4, 0);
    Advance(600);
    EXPECT_EQ(MarkBusy("p", 1.0, 7200), 4);
    EXPECT_EQ(MarkBusy("q", 1.0, 7200), 4);
    Resize("p", 0, "taskcompletion");
    Resize("q", 0, "taskcompletion");
    Advance(60);
    // The daemon's drain timeout: stop the resize, then shrink again with requeue.
    ASSERT_EQ(Batch("POST", "/pools/p/stopresize?" + kApi).status, 202);
    Advance(20);
    EXPECT_EQ(Pool("p")["allocationState"], "steady");
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"running", 4}}));
    Resize("p", 0, "requeue");
    Advance(30);
    EXPECT_EQ(Pool("p")["currentDedicatedNodes"], 0);
    EXPECT_EQ(Pool("p")["allocationState"], "steady");
    // Left alone, the shrink ends at its resizeTimeout (PT30M) with the busy nodes kept.
    Advance(1800);
    auto q = Pool("q");
    EXPECT_EQ(q["allocationState"], "steady");
    EXPECT_EQ(q["currentDedicatedNodes"], 4);
    EXPECT_EQ(q["resizeErrors"][0]["code"], "AllocationTimedout");
}

TEST_F(SimNodes, EmptyOnlyPatchIsRefusedWithNodesAndAppliedWhenEmpty) {
    AddPool("p", 4, 0);
    Advance(600);
    const Json change = {{"vmSize", "Standard_D8s_v3"},
                         {"virtualMachineConfiguration",
                          {{"imageReference", {{"virtualMachineImageId", kHpc}}},
                           {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}}};
    auto refused = Batch("PATCH", "/pools/p?" + kApi21, change.dump());
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(refused.json()["code"], "OperationInvalidForCurrentState");
    auto upgrade = Batch("PATCH", "/pools/p?" + kApi21, R"({"upgradePolicy":{"mode":"manual"}})");
    EXPECT_EQ(upgrade.status, 409) << upgrade.body;
    EXPECT_EQ(
        Batch("PATCH", "/pools/p?" + kApi21, R"({"metadata":[{"name":"a","value":"b"}]})").status,
        200)
        << "metadata is not an empty-only field";
    Resize("p", 0, "taskcompletion");
    auto resizing = Batch("PATCH", "/pools/p?" + kApi21, change.dump());
    EXPECT_EQ(resizing.status, 409) << "not steady";
    Advance(60);
    ASSERT_EQ(Pool("p")["currentDedicatedNodes"], 0);
    // The empty-only members are not in PoolPatchParameter before 2025-06-01.
    auto old_version = Batch("PATCH", "/pools/p?" + kApi, change.dump());
    EXPECT_EQ(old_version.status, 400) << old_version.body;
    auto applied = Batch("PATCH", "/pools/p?" + kApi21, change.dump());
    ASSERT_EQ(applied.status, 200) << applied.body;
    Resize("p", 3, "requeue");
    Advance(600);
    const auto nodes = Nodes("p");
    ASSERT_EQ(nodes.size(), 3U);
    for (const auto& n : nodes) {
        EXPECT_EQ(n["state"], "idle");
        EXPECT_EQ(n["vmSize"], "Standard_D8s_v3");
        EXPECT_EQ(n["virtualMachineInfo"]["imageReference"]["virtualMachineImageId"], kHpc);
    }
}

TEST_F(SimNodes, StartTaskFaultFailsItsShareOfTheImagesNodes) {
    auto put = Send(sim_.port(), "PUT", "/_sim/startTaskFailures",
                    R"({"rules":[{"image":"1.4.0","share":0.25}]})");
    ASSERT_EQ(put.status, 200) << put.body;
    const Json start = {{"startTask", {{"commandLine", "/bin/true"}, {"waitForSuccess", true}}}};
    AddPool("p", 8, 0, start);
    Advance(330);  // created (185-200 s), starting (245-260 s), waiting (305-320 s)
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"waitingforstarttask", 8}}));
    Advance(60);
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"idle", 6}, {"starttaskfailed", 2}}));
    for (const auto& n : Nodes("p")) {
        if (n["state"] == "starttaskfailed") {
            EXPECT_EQ(n["startTaskInfo"]["result"], "failure");
        }
    }
    ASSERT_EQ(Send(sim_.port(), "DELETE", "/_sim/startTaskFailures").status, 204);
    Resize("p", 12, "requeue");
    Advance(600);
    EXPECT_EQ(States("p"), (std::map<std::string, int>{{"idle", 10}, {"starttaskfailed", 2}}))
        << "only nodes started while the fault was set fail";
    auto summary = Send(sim_.port(), "GET", "/_sim/accounts/renderbatch/pools/p/nodes");
    ASSERT_EQ(summary.status, 200) << summary.body;
    EXPECT_EQ(summary.json()["counts"], Json({{"idle", 10}, {"starttaskfailed", 2}}));
}

}  // namespace
}  // namespace pw::simtest
