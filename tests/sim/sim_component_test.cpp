#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>

#include "sim_fixture.hpp"

namespace pw::simtest {
namespace {

const std::string kVersionPath = std::string("/subscriptions/") + kSub +
                                 "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                                 "studio/images/render/versions/1.4.0";
const std::string kImageId = kVersionPath;

class SimTest : public ::testing::Test {
  protected:
    SimTest() : sim_({"--state", ExampleWorld(), "--seed", "7"}) {}
    void SetUp() override {
        arm_ = "Bearer " + Token(sim_.port(), "https://management.azure.com/.default");
        batch_ = "Bearer " + Token(sim_.port(), "https://batch.core.windows.net//.default");
    }
    HttpResult Arm(const std::string& method, const std::string& target,
                   const std::string& body = {}) {
        return Send(sim_.port(), method, target, body, {{"Authorization", arm_}});
    }
    HttpResult Batch(const std::string& method, const std::string& target,
                     const std::string& body = {}, std::map<std::string, std::string> h = {}) {
        h.emplace("Authorization", batch_);
        if (!body.empty()) h.emplace("Content-Type", "application/json; odata=minimalmetadata");
        return Send(sim_.port(), method, kBatch + target, body, h);
    }
    HttpResult AddPool(const std::string& id, int dedicated, const std::string& timeout = "PT15M",
                       const std::string& image = kImageId) {
        Json body = {{"id", id},
                     {"vmSize", "Standard_D4s_v3"},
                     {"virtualMachineConfiguration",
                      {{"imageReference", {{"virtualMachineImageId", image}}},
                       {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                     {"targetDedicatedNodes", dedicated},
                     {"resizeTimeout", timeout}};
        return Batch("POST", "/pools?" + kApi, body.dump());
    }
    void Advance(int seconds) {
        ASSERT_EQ(
            Send(sim_.port(), "POST", "/_sim/advance?seconds=" + std::to_string(seconds)).status,
            200);
    }
    SimProcess sim_;
    std::string arm_;
    std::string batch_;
};

TEST_F(SimTest, TokensCarryAudienceTenantAndExpiry) {
    auto r = Send(sim_.port(), "POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                  std::string("grant_type=client_credentials&client_id=") + kClient +
                      "&client_secret=" + kSecret +
                      "&scope=https%3A%2F%2Fbatch.core.windows.net%2F%2F.default",
                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(r.status, 200);
    auto j = r.json();
    EXPECT_EQ(j["token_type"], "Bearer");
    EXPECT_TRUE(j["expires_in"].is_number());
    const std::string tok = j["access_token"];
    const auto d1 = tok.find('.');
    const auto d2 = tok.find('.', d1 + 1);
    ASSERT_NE(d2, std::string::npos);
    EXPECT_NE(tok.find('.', d2 + 1), 0U);
}

TEST_F(SimTest, WrongSecretGetsAadInvalidClient) {
    auto r = Send(sim_.port(), "POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                  std::string("grant_type=client_credentials&client_id=") + kClient +
                      "&client_secret=wrong&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["error"], "invalid_client");
    EXPECT_NE(r.json()["error_description"].get<std::string>().find("AADSTS7000215"),
              std::string::npos);
    EXPECT_EQ(r.body.find("wrong"), std::string::npos) << "the secret must not be echoed";
}

TEST_F(SimTest, ImdsRequiresMetadataHeaderAndReturnsStrings) {
    const std::string t =
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://"
        "management.azure.com/";
    EXPECT_EQ(Send(sim_.port(), "GET", t).status, 400);
    auto r = Send(sim_.port(), "GET", t, {}, {{"Metadata", "true"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.json()["expires_in"].is_string());
    EXPECT_TRUE(r.json()["expires_on"].is_string());
    EXPECT_EQ(r.json()["resource"], "https://management.azure.com/");
}

TEST_F(SimTest, ArmRejectsBatchAudienceAndMissingToken) {
    const std::string t = std::string("/subscriptions/") + kSub +
                          "/resourceGroups/rg-batch/providers/Microsoft.Batch/batchAccounts/"
                          "renderbatch?api-version=2025-06-01";
    auto wrong = Send(sim_.port(), "GET", t, {}, {{"Authorization", batch_}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.json()["error"]["code"], "InvalidAuthenticationTokenAudience");
    EXPECT_FALSE(wrong.header("www-authenticate").empty());
    EXPECT_EQ(Send(sim_.port(), "GET", t).status, 401);
    auto ok = Arm("GET", t);
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(ok.json()["properties"]["accountEndpoint"],
              "127.0.0.1:" + std::to_string(sim_.port()) + "/batch/renderbatch");
    EXPECT_EQ(ok.json()["properties"]["dedicatedCoreQuota"], 20000);
    EXPECT_FALSE(ok.header("x-ms-ratelimit-remaining-subscription-reads").empty());
}

TEST(SimTokens, ExpiredTokenIsRejectedByArmAndBatch) {
    SimProcess sim({"--state", ExampleWorld(), "--token-lifetime", "1"});
    const std::string arm = Token(sim.port(), "https://management.azure.com/.default");
    const std::string batch = Token(sim.port(), "https://batch.core.windows.net//.default");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    auto r = Send(sim.port(), "GET",
                  std::string("/subscriptions/") + kSub +
                      "/resourceGroups/rg-batch/providers/Microsoft.Batch/batchAccounts/"
                      "renderbatch?api-version=2025-06-01",
                  {}, {{"Authorization", "Bearer " + arm}});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["error"]["code"], "ExpiredAuthenticationToken");
    auto b = Send(sim.port(), "GET", "/batch/renderbatch/pools?" + kApi, {},
                  {{"Authorization", "Bearer " + batch}});
    EXPECT_EQ(b.status, 401);
    EXPECT_EQ(b.json()["code"], "AuthenticationFailed");
}

TEST_F(SimTest, ImageVersionReplicationStatusOnlyWithExpand) {
    auto plain = Arm("GET", kVersionPath + "?api-version=2023-07-03");
    ASSERT_EQ(plain.status, 200);
    EXPECT_FALSE(plain.json()["properties"].contains("replicationStatus"));
    auto expanded = Arm("GET", kVersionPath + "?api-version=2023-07-03&$expand=ReplicationStatus");
    EXPECT_EQ(expanded.json()["properties"]["replicationStatus"]["aggregatedState"], "Completed");
    auto def = Arm("GET", std::string("/subscriptions/") + kSub +
                              "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                              "studio/images/legacy-win?api-version=2023-07-03");
    EXPECT_EQ(def.json()["properties"]["osState"], "Specialized");
    auto missing = Arm("GET", std::string("/subscriptions/") + kSub +
                                  "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                                  "nope/images/x/versions/1.0.0?api-version=2023-07-03");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.json()["error"]["code"], "ParentResourceNotFound");
}

// Each api-version gets the members it defines and no others (the versioned models of
// python3-azure's azure.mgmt.compute, gallery.json 2023-07-03, and the 2024-03-03 example that
// first shows safetyProfile.blockDeletionBeforeEndOfLife).
TEST_F(SimTest, GalleryAnswersEachApiVersionWithTheMembersItDefines) {
    ASSERT_EQ(Arm("PATCH", kVersionPath + "?api-version=2023-07-03",
                  R"({"properties": {"publishingProfile": {"targetRegions": [{"name": "East US",
                      "regionalReplicaCount": 1, "excludeFromLatest": false}]},
                      "storageProfile": {}}})")
                  .status,
              200);
    struct Case {
        std::string api;
        std::string pointer;  ///< into the GET body
        bool present;
    };
    const std::string safety = "/properties/safetyProfile";
    const std::string region0 = "/properties/publishingProfile/targetRegions/0";
    const std::vector<Case> cases = {
        {"2022-03-03", safety + "/allowDeletionOfReplicatedLocations", true},
        {"2022-03-03", safety + "/blockDeletionBeforeEndOfLife", false},
        {"2022-03-03", region0 + "/excludeFromLatest", true},
        {"2022-01-03", safety, false},
        {"2022-01-03", region0 + "/excludeFromLatest", false},
        {"2022-01-03", "/properties/publishingProfile/replicationMode", true},
        {"2021-03-01", "/properties/publishingProfile/replicationMode", false},
        {"2023-07-03", safety + "/blockDeletionBeforeEndOfLife", false},
        {"2023-07-03", safety + "/reportedForPolicyViolation", true},
        {"2024-03-03", safety + "/blockDeletionBeforeEndOfLife", true},
        {"2025-03-03", safety + "/blockDeletionBeforeEndOfLife", true},
        {"2019-03-01", "/properties/storageProfile/source", false},
        {"2019-07-01", "/properties/storageProfile/source", true},
    };
    for (const auto& c : cases) {
        auto r = Arm("GET", kVersionPath + "?api-version=" + c.api);
        ASSERT_EQ(r.status, 200) << c.api;
        EXPECT_EQ(r.json().contains(Json::json_pointer(c.pointer)), c.present)
            << c.api << " " << c.pointer << ": " << r.body;
    }
    const std::string hpc = std::string("/subscriptions/") + kSub +
                            "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                            "studio/images/hpc?api-version=";
    EXPECT_TRUE(Arm("GET", hpc + "2023-07-03").json()["properties"].contains("features"));
    auto old = Arm("GET", hpc + "2020-06-30").json()["properties"];
    EXPECT_FALSE(old.contains("features")) << old;
    EXPECT_FALSE(old.contains("architecture")) << old;
    EXPECT_EQ(old["osState"], "Generalized");
}

TEST_F(SimTest, BatchPoolAtAnOlderApiVersionLeavesOutNewerMembers) {
    Json body = {{"id", "p"},
                 {"vmSize", "Standard_D4s_v3"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"virtualMachineImageId", kImageId}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"},
                   {"osDisk", {{"caching", "readonly"}}},
                   {"securityProfile", {{"securityType", "trustedLaunch"}}}}},
                 {"networkConfiguration", {{"dynamicVNetAssignmentScope", "none"}}},
                 {"resourceTags", {{"team", "vfx"}}},
                 {"targetDedicatedNodes", 0}};
    ASSERT_EQ(Batch("POST", "/pools?" + kApi, body.dump()).status, 201);
    auto now = Batch("GET", "/pools/p?" + kApi).json();
    EXPECT_EQ(now["resourceTags"]["team"], "vfx");
    EXPECT_EQ(now["virtualMachineConfiguration"]["securityProfile"]["securityType"],
              "trustedLaunch");
    EXPECT_EQ(now["networkConfiguration"]["enableAcceleratedNetworking"], false);  // default
    auto old = Batch("GET", "/pools/p?api-version=2022-10-01.16.0").json();
    EXPECT_FALSE(old.contains("resourceTags")) << old;
    EXPECT_FALSE(old["virtualMachineConfiguration"].contains("securityProfile")) << old;
    EXPECT_FALSE(old["virtualMachineConfiguration"]["osDisk"].contains("caching")) << old;
    EXPECT_FALSE(old["networkConfiguration"].contains("enableAcceleratedNetworking")) << old;
    EXPECT_EQ(old["networkConfiguration"]["dynamicVNetAssignmentScope"], "none");
}

TEST_F(SimTest, PatchReplicasIsAnLroAndReplicationAdvancesWithTime) {
    auto r = Arm(
        "PATCH", kVersionPath + "?api-version=2023-07-03",
        R"({"properties":{"publishingProfile":{"targetRegions":[{"name":"East US","regionalReplicaCount":4}]},"storageProfile":{}}})");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["properties"]["provisioningState"], "Updating");
    const std::string op = r.header("azure-asyncoperation");
    ASSERT_FALSE(op.empty());
    EXPECT_FALSE(r.header("location").empty());
    EXPECT_FALSE(r.header("retry-after").empty());
    const std::string op_path = op.substr(op.find("/subscriptions/"));
    EXPECT_EQ(Arm("GET", op_path).json()["status"], "InProgress");
    const std::string loc = r.header("location");
    EXPECT_EQ(Arm("GET", loc.substr(loc.find("/subscriptions/"))).status, 202);
    Advance(60);
    EXPECT_EQ(Arm("GET", op_path).json()["status"], "Succeeded");
    EXPECT_EQ(Arm("GET", loc.substr(loc.find("/subscriptions/"))).status, 200);
    auto mid =
        Arm("GET", kVersionPath + "?api-version=2023-07-03&$expand=ReplicationStatus").json();
    EXPECT_EQ(mid["properties"]["provisioningState"], "Succeeded");
    EXPECT_EQ(mid["properties"]["replicationStatus"]["aggregatedState"], "InProgress");
    EXPECT_EQ(mid["properties"]["replicationStatus"]["summary"][0]["state"], "Replicating");
    Advance(600);
    auto done =
        Arm("GET", kVersionPath + "?api-version=2023-07-03&$expand=ReplicationStatus").json();
    EXPECT_EQ(done["properties"]["replicationStatus"]["aggregatedState"], "Completed");
    EXPECT_EQ(done["properties"]["replicationStatus"]["summary"][0]["progress"], 100);
    EXPECT_EQ(done["properties"]["publishingProfile"]["targetRegions"][0]["regionalReplicaCount"],
              4);
}

TEST_F(SimTest, PatchRefusesImmutableChangesAndTooManyReplicas) {
    auto sat = Arm(
        "PATCH", kVersionPath + "?api-version=2023-07-03",
        R"({"properties":{"publishingProfile":{"targetRegions":[{"name":"East US","regionalReplicaCount":2,"storageAccountType":"Premium_LRS"}]}}})");
    EXPECT_EQ(sat.status, 400);
    EXPECT_EQ(sat.json()["error"]["code"], "PropertyChangeNotAllowed");
    auto mode = Arm("PATCH", kVersionPath + "?api-version=2023-07-03",
                    R"({"properties":{"publishingProfile":{"replicationMode":"Shallow"}}})");
    EXPECT_EQ(mode.json()["error"]["code"], "PropertyChangeNotAllowed");
    auto many = Arm(
        "PATCH", kVersionPath + "?api-version=2023-07-03",
        R"({"properties":{"publishingProfile":{"targetRegions":[{"name":"East US","regionalReplicaCount":101}]}}})");
    EXPECT_EQ(many.status, 400);
    auto hundred = Arm(
        "PATCH", kVersionPath + "?api-version=2023-07-03",
        R"({"properties":{"publishingProfile":{"targetRegions":[{"name":"East US","regionalReplicaCount":100}]}}})");
    EXPECT_EQ(hundred.status, 200);
}

TEST_F(SimTest, PoolLifecycleWithEtagsAndConflicts) {
    auto add = AddPool("render-linux", 10);
    ASSERT_EQ(add.status, 201) << add.body;
    EXPECT_FALSE(add.header("etag").empty());
    EXPECT_FALSE(add.header("request-id").empty());
    EXPECT_EQ(AddPool("RENDER-linux", 1).json()["code"], "PoolExists");
    auto get = Batch("GET", "/pools/render-linux?" + kApi);
    ASSERT_EQ(get.status, 200);
    const std::string etag = get.json()["eTag"];
    EXPECT_EQ(get.json()["allocationState"], "resizing");
    auto busy =
        Batch("POST", "/pools/render-linux/resize?" + kApi, R"({"targetDedicatedNodes":20})");
    EXPECT_EQ(busy.status, 409);
    EXPECT_EQ(busy.json()["code"], "PoolBeingResized");
    Advance(1800);
    auto steady = Batch("GET", "/pools/render-linux?" + kApi).json();
    EXPECT_EQ(steady["allocationState"], "steady");
    EXPECT_EQ(steady["currentDedicatedNodes"], 10);
    EXPECT_EQ(Batch("POST", "/pools/render-linux/stopresize?" + kApi).status, 409);
    EXPECT_EQ(steady["eTag"], etag) << "node-level changes do not change the ETag";
    ASSERT_EQ(
        Batch("PATCH", "/pools/render-linux?" + kApi, R"({"metadata":[{"name":"a","value":"b"}]})")
            .status,
        200);
    auto stale = Batch("POST", "/pools/render-linux/resize?" + kApi,
                       R"({"targetDedicatedNodes":20})", {{"If-Match", etag}});
    EXPECT_EQ(stale.status, 412);
    EXPECT_EQ(stale.json()["code"], "ConditionNotMet");
    auto short_timeout = Batch("POST", "/pools/render-linux/resize?" + kApi,
                               R"({"targetDedicatedNodes":20,"resizeTimeout":"PT4M"})");
    EXPECT_EQ(short_timeout.status, 400);
    EXPECT_EQ(short_timeout.json()["code"], "InvalidPropertyValue");
    const std::string fresh = Batch("GET", "/pools/render-linux?" + kApi).json()["eTag"];
    auto resize =
        Batch("POST", "/pools/render-linux/resize?" + kApi,
              R"({"targetDedicatedNodes":20,"resizeTimeout":"PT10M"})", {{"If-Match", fresh}});
    EXPECT_EQ(resize.status, 202);
    EXPECT_EQ(Batch("POST", "/pools/render-linux/stopresize?" + kApi).status, 202);
    EXPECT_EQ(Batch("GET", "/pools/render-linux?" + kApi).json()["allocationState"], "stopping");
    EXPECT_EQ(Batch("PATCH", "/pools/render-linux?" + kApi,
                    R"({"metadata":[{"name":"team","value":"vfx"}]})")
                  .status,
              200);
    EXPECT_EQ(Batch("POST", "/pools/render-linux/updateproperties?" + kApi,
                    R"({"metadata":[],"applicationPackageReferences":[]})")
                  .status,
              204);
    EXPECT_EQ(Batch("HEAD", "/pools/render-linux?" + kApi).status, 200);
    EXPECT_EQ(Batch("DELETE", "/pools/render-linux?" + kApi).status, 202);
    auto deleting = Batch("GET", "/pools/render-linux?" + kApi);
    EXPECT_EQ(deleting.json()["state"], "deleting");
    EXPECT_EQ(Batch("POST", "/pools/render-linux/resize?" + kApi, R"({"targetDedicatedNodes":1})")
                  .json()["code"],
              "PoolBeingDeleted");
    Advance(300);
    EXPECT_EQ(Batch("GET", "/pools/render-linux?" + kApi).json()["code"], "PoolNotFound");
    EXPECT_EQ(Batch("HEAD", "/pools/render-linux?" + kApi).status, 404);
}

TEST_F(SimTest, ListPagesWithNextLinkSelectAndFilter) {
    for (int i = 0; i < 5; ++i) {
        Json body = {{"id", "pool-" + std::to_string(i)},
                     {"vmSize", "standard_a1"},
                     {"virtualMachineConfiguration",
                      {{"imageReference",
                        {{"publisher", "canonical"},
                         {"offer", "0001-com-ubuntu-server-jammy"},
                         {"sku", "22_04-lts"}}},
                       {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                     {"targetDedicatedNodes", 0}};
        ASSERT_EQ(Batch("POST", "/pools?" + kApi, body.dump()).status, 201);
    }
    auto page = Batch("GET", "/pools?" + kApi + "&maxresults=2&$select=id,state").json();
    ASSERT_EQ(page["value"].size(), 2U);
    EXPECT_FALSE(page["value"][0].contains("vmSize"));
    std::string next = page["odata.nextLink"];
    EXPECT_EQ(next.rfind("http://", 0), 0U) << "nextLink must be absolute";
    int pages = 1;
    std::size_t total = 2;
    while (!next.empty()) {
        auto p = Send(sim_.port(), "GET", next.substr(next.find("/batch/")), {},
                      {{"Authorization", batch_}})
                     .json();
        total += p["value"].size();
        ++pages;
        next = p.value("odata.nextLink", "");
    }
    EXPECT_EQ(total, 5U);
    EXPECT_EQ(pages, 3);
    auto filtered = Batch("GET", "/pools?" + kApi + "&$filter=startswith(id,'pool-1')").json();
    ASSERT_EQ(filtered["value"].size(), 1U);
    EXPECT_EQ(filtered["value"][0]["id"], "pool-1");
    EXPECT_EQ(Batch("GET", "/pools?" + kApi + "&$filter=id%20eq%20'pool-3'").json()["value"].size(),
              1U);
    EXPECT_EQ(Batch("GET", "/pools?" + kApi + "&maxresults=0").status, 400);
}

TEST_F(SimTest, SharedKeyCannotCreateGalleryPoolsAndSpecializedImagesAreRefused) {
    Json body = {{"id", "sk"},
                 {"vmSize", "Standard_D4s_v3"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"virtualMachineImageId", kImageId}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                 {"targetDedicatedNodes", 1}};
    // A wrongly signed SharedKey request is refused with 403 AuthenticationFailed.
    auto bad = Send(sim_.port(), "POST", kBatch + "/pools?" + kApi, body.dump(),
                    {{"Authorization", "SharedKey renderbatch:AAAA"},
                     {"ocp-date", "Sat, 28 Nov 2026 10:00:00 GMT"}});
    EXPECT_EQ(bad.status, 403);
    EXPECT_EQ(bad.json()["code"], "AuthenticationFailed");
    auto spec = AddPool("legacy", 1, "PT15M",
                        std::string("/subscriptions/") + kSub +
                            "/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/"
                            "studio/images/legacy-win/versions/2.0.0");
    EXPECT_EQ(spec.status, 400);
    EXPECT_EQ(spec.json()["code"], "InvalidPropertyValue");
}

TEST_F(SimTest, AutoscaleEvaluatesTheDocumentedSubset) {
    ASSERT_EQ(AddPool("auto", 0).status, 201);
    auto ev = Batch("POST", "/pools/auto/evaluateautoscale?" + kApi,
                    R"({"autoScaleFormula":"$TargetDedicatedNodes=1"})");
    EXPECT_EQ(ev.status, 409) << "autoscale not enabled yet";
    auto en = Batch(
        "POST", "/pools/auto/enableautoscale?" + kApi,
        R"j({"autoScaleFormula":"x = 2 * 3; $TargetDedicatedNodes = min(x, 4); $TargetLowPriorityNodes = max(0, x - 5)","autoScaleEvaluationInterval":"PT5M"})j");
    ASSERT_EQ(en.status, 200) << en.body;
    auto pool = Batch("GET", "/pools/auto?" + kApi).json();
    EXPECT_EQ(pool["enableAutoScale"], true);
    EXPECT_EQ(pool["targetDedicatedNodes"], 4);
    EXPECT_EQ(pool["targetLowPriorityNodes"], 1);
    EXPECT_EQ(Batch("POST", "/pools/auto/resize?" + kApi, R"({"targetDedicatedNodes":1})").status,
              409);
    auto run = Batch("POST", "/pools/auto/evaluateautoscale?" + kApi,
                     R"({"autoScaleFormula":"$TargetDedicated=1"})")
                   .json();
    EXPECT_EQ(run["results"], "$TargetDedicated=1;$NodeDeallocationOption=requeue");
    auto broken = Batch("POST", "/pools/auto/evaluateautoscale?" + kApi,
                        R"({"autoScaleFormula":"$TargetDedicatedNodes=$PendingTasks"})")
                      .json();
    EXPECT_TRUE(broken.contains("error"));
    EXPECT_EQ(Batch("POST", "/pools/auto/disableautoscale?" + kApi).status, 200);
}

TEST_F(SimTest, QuotaStopsAllocationWithAccountCoreQuotaReached) {
    // 20000 dedicated cores / 4 cores per Standard_D4s_v3 = 5000 nodes at most.
    auto r = Arm(
        "PATCH", kVersionPath + "?api-version=2023-07-03",
        R"({"properties":{"publishingProfile":{"targetRegions":[{"name":"East US","regionalReplicaCount":30}]}}})");
    ASSERT_EQ(r.status, 200);
    Advance(4000);
    ASSERT_EQ(AddPool("huge", 6000, "PT3H").status, 201);
    Advance(6000);
    auto pool = Batch("GET", "/pools/huge?" + kApi).json();
    EXPECT_EQ(pool["allocationState"], "steady");
    EXPECT_EQ(pool["currentDedicatedNodes"], 5000);
    EXPECT_EQ(pool["resizeErrors"][0]["code"], "AccountCoreQuotaReached");
}

TEST_F(SimTest, FaultsAndRequestLog) {
    auto set = Send(
        sim_.port(), "PUT", "/_sim/faults",
        R"({"rules":[{"method":"GET","path":"^/batch/renderbatch/pools$","probability":1.0,"status":429,"retryAfter":7}]})");
    ASSERT_EQ(set.status, 200);
    auto throttled = Batch("GET", "/pools?" + kApi);
    EXPECT_EQ(throttled.status, 429);
    EXPECT_EQ(throttled.header("retry-after"), "7");
    ASSERT_EQ(Send(sim_.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"/pools$","action":"reset"}]})")
                  .status,
              200);
    EXPECT_ANY_THROW(Batch("GET", "/pools?" + kApi));
    EXPECT_EQ(Send(sim_.port(), "DELETE", "/_sim/faults").status, 204);
    EXPECT_EQ(Batch("GET", "/pools?" + kApi, {}, {{"client-request-id", "abc"}}).status, 200);
    auto log = Send(sim_.port(), "GET", "/_sim/requests").json()["requests"];
    ASSERT_GE(log.size(), 3U);
    const auto& last = log.back();
    EXPECT_EQ(last["method"], "GET");
    EXPECT_EQ(last["status"], 200);
    EXPECT_EQ(last["auth"], "bearer-batch");
    EXPECT_EQ(last["clientRequestId"], "abc");
    for (const auto& e : log) {
        EXPECT_EQ(e.dump().find(kSecret), std::string::npos) << "secrets must not reach the log";
    }
    EXPECT_EQ(Send(sim_.port(), "DELETE", "/_sim/requests").status, 204);
    EXPECT_TRUE(Send(sim_.port(), "GET", "/_sim/requests").json()["requests"].empty());
}

TEST_F(SimTest, FaultsTurnedOffWhileARequestWaitsInALatencyRule) {
    // A request waiting in a rule's latency goes on with the rules it started with when the
    // rules are turned off meanwhile (the chaos soak turns them off under load: the simulator
    // used to read the freed rules then, and died).
    ASSERT_EQ(Send(sim_.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"/pools$","probability":1.0,"latencyMs":600},)"
                   R"({"path":"/pools$","probability":1.0,"status":503}]})")
                  .status,
              200);
    auto waiting = std::async(std::launch::async, [&] { return Batch("GET", "/pools?" + kApi); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(Send(sim_.port(), "DELETE", "/_sim/faults").status, 204);
    // New rules take the freed memory's place while the request still waits.
    ASSERT_EQ(Send(sim_.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"^/nothing-matches$","probability":1.0,"status":500}]})")
                  .status,
              200);
    EXPECT_EQ(waiting.get().status, 503);
    EXPECT_EQ(Batch("GET", "/pools?" + kApi).status, 200);
}

TEST(SimProcessTest, SavesStateOnSigterm) {
    const std::string path = std::string(PW_BINARY_DIR) + "/sim-save-test.json";
    {
        std::ifstream in(ExampleWorld());
        std::ofstream out(path);
        out << in.rdbuf();
    }
    SimProcess sim({"--state", path, "--save-state"});
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    Json body = {{"id", "kept"},
                 {"vmSize", "standard_a1"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"publisher", "canonical"}, {"offer", "x"}, {"sku", "y"}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                 {"targetDedicatedNodes", 0}};
    ASSERT_EQ(Send(sim.port(), "POST", "/batch/renderbatch/pools?" + kApi, body.dump(),
                   {{"Authorization", batch}})
                  .status,
              201);
    EXPECT_EQ(sim.Stop(), 0);
    std::ifstream in(path);
    const Json saved = Json::parse(in);
    EXPECT_EQ(saved["batchAccounts"][0]["pools"][0]["id"], "kept");
    SimProcess again({"--state", path});
    const std::string b2 =
        "Bearer " + Token(again.port(), "https://batch.core.windows.net//.default");
    EXPECT_EQ(Send(again.port(), "GET", "/batch/renderbatch/pools/kept?" + kApi, {},
                   {{"Authorization", b2}})
                  .status,
              200);
}

}  // namespace
}  // namespace pw::simtest

namespace pw::simtest {
namespace {

std::vector<int> StatusSequence(const std::string& faults_file) {
    SimProcess sim({"--state", ExampleWorld(), "--seed", "42", "--faults", faults_file});
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    std::vector<int> out;
    for (int i = 0; i < 24; ++i) {
        out.push_back(Send(sim.port(), "GET",
                           "/batch/renderbatch/pools?api-version=2024-07-01.20.0", {},
                           {{"Authorization", batch}})
                          .status);
    }
    return out;
}

TEST(SimFaults, FaultFileIsDeterministicForASeed) {
    const std::string path = std::string(PW_BINARY_DIR) + "/sim-faults-test.json";
    {
        std::ofstream out(path);
        out << R"({"rules":[{"method":"GET","path":"/pools$","probability":0.5,"status":503,"retryAfter":2}]})";
    }
    const auto a = StatusSequence(path);
    const auto b = StatusSequence(path);
    EXPECT_EQ(a, b);
    const auto failures = std::count(a.begin(), a.end(), 503);
    EXPECT_GT(failures, 3);
    EXPECT_LT(failures, 21);
    EXPECT_EQ(std::count(a.begin(), a.end(), 200) + failures, 24);
}

TEST(SimFaults, LatencyDelaysTheAnswer) {
    SimProcess sim({"--state", ExampleWorld()});
    ASSERT_EQ(Send(sim.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"^/subscriptions","latencyMs":300}]})")
                  .status,
              200);
    const auto start = std::chrono::steady_clock::now();
    auto r =
        Send(sim.port(), "GET", std::string("/subscriptions/") + kSub + "?api-version=2022-12-01");
    EXPECT_EQ(r.status, 401);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
    EXPECT_EQ(
        Send(sim.port(), "PUT", "/_sim/faults", R"({"rules":[{"path":"(","status":500}]})").status,
        400);
}

TEST(SimFaults, StallAnswersNothingThenDropsTheConnection) {
    SimProcess sim({"--state", ExampleWorld()});
    ASSERT_EQ(Send(sim.port(), "PUT", "/_sim/faults",
                   R"({"rules":[{"path":"/oauth2/","action":"stall","stallMs":300}]})")
                  .status,
              200);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_ANY_THROW(Token(sim.port(), "https://management.azure.com/.default"));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
    auto log = Send(sim.port(), "GET", "/_sim/requests").json()["requests"];
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log.back()["fault"], "stall");
    EXPECT_EQ(log.back()["body"], "<redacted: token request>");
}

TEST(SimTime, TimeScaleRunsTheWorldFaster) {
    SimProcess sim({"--state", ExampleWorld(), "--time-scale", "1200"});
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    Json body = {{"id", "fast"},
                 {"vmSize", "standard_a1"},
                 {"virtualMachineConfiguration",
                  {{"imageReference", {{"publisher", "canonical"}, {"offer", "x"}, {"sku", "y"}}},
                   {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
                 {"targetDedicatedNodes", 5}};
    ASSERT_EQ(Send(sim.port(), "POST", "/batch/renderbatch/pools?api-version=2024-07-01.20.0",
                   body.dump(), {{"Authorization", batch}})
                  .status,
              201);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    auto p = Send(sim.port(), "GET", "/batch/renderbatch/pools/fast?api-version=2024-07-01.20.0",
                  {}, {{"Authorization", batch}})
                 .json();
    EXPECT_EQ(p["allocationState"], "steady");
    EXPECT_EQ(p["currentDedicatedNodes"], 5);
}

TEST(SimRouting, BatchHostHeaderAndSubscriptionListing) {
    SimProcess sim({"--state", ExampleWorld()});
    const std::string batch =
        "Bearer " + Token(sim.port(), "https://batch.core.windows.net//.default");
    auto r = Send(sim.port(), "GET", "/pools?api-version=2025-06-01", {},
                  {{"Authorization", batch}, {"Host", "renderbatch.eastus.batch.azure.com"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.json()["value"].is_array());
    const std::string arm =
        "Bearer " + Token(sim.port(), "https://management.core.windows.net//.default");
    auto subs = Send(sim.port(), "GET", "/subscriptions?api-version=2022-12-01", {},
                     {{"Authorization", arm}});
    ASSERT_EQ(subs.status, 200);
    EXPECT_EQ(subs.json()["value"][0]["subscriptionId"], kSub);
    auto unknown = Send(sim.port(), "GET",
                        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x/"
                        "providers/Microsoft.Batch/batchAccounts/y?api-version=2025-06-01",
                        {}, {{"Authorization", arm}});
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.json()["error"]["code"], "SubscriptionNotFound");
    auto no_api =
        Send(sim.port(), "GET", "/batch/renderbatch/pools", {}, {{"Authorization", batch}});
    EXPECT_EQ(no_api.json()["code"], "MissingRequiredQueryParameter");
}

}  // namespace
}  // namespace pw::simtest
