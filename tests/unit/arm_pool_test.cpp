// Issue 15, pools through ARM: `poolApi` and `identity` in the config files, and the ARM pool
// codec (codec/arm_pool.hpp) against BatchManagement.json 2025-06-01 and its examples.
#include "codec/arm_pool.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/load.hpp"
#include "config_fixture.hpp"

// A namespace of its own: config_test is compiled as one unit.
namespace pw::config::arm_test {
namespace {

namespace fs = std::filesystem;
using fixture::TempDir;
using nlohmann::json;

const std::string kId1 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/render-nodes";
const std::string kId2 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/other";

std::string Daemon(const std::string& pool_api_line) {
    return "accounts:\n  - name: a\n    subscriptionId: 11111111-1111-1111-1111-111111111111\n"
           "    resourceGroup: rg\n    accountName: abc\n" +
           pool_api_line + "poolsDir: pools.d\n";
}

/// A valid pool whose line 8 onwards is `extra`.
std::string Pool(const std::string& extra) {
    return "pools:\n  - id: p1\n    account: a\n    vmSize: Standard_D4s_v3\n    image: "
           "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
           "Microsoft.Compute/galleries/g/images/i/versions/1.0.0\n    nodeAgentSkuId: "
           "batch.node.ubuntu 22.04\n    scale: {targetDedicatedNodes: 3}\n" +
           extra;
}

struct Loaded {
    std::vector<std::string> errors;
    std::vector<model::PoolSpec> pools;
    std::vector<model::AccountSpec> accounts;
};

Loaded Load(const std::string& daemon, const std::string& pool) {
    TempDir dir;
    dir.Write("poolwarden.yaml", daemon);
    dir.Write("pools.d/p.yaml", pool);
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    Loaded out;
    if (!loaded.ok()) {
        for (const auto& e : loaded.error()) out.errors.push_back(e.str());
        return out;
    }
    const std::string prefix = (dir.path() / "").string();
    for (const auto& e : loaded->all_errors()) {
        std::string s = e.str();
        if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
        out.errors.push_back(s);
    }
    out.pools = loaded->desired().pools;
    out.accounts = loaded->daemon.accounts;
    return out;
}

const std::string kIdentity =
    "    identity:\n      type: UserAssigned\n"
    "      userAssignedIdentities:\n        - " +
    kId1 + "\n";
const std::string kBlobMount =
    "    mountConfiguration:\n      - azureBlobFileSystemConfiguration:\n"
    "          accountName: renderassets\n          containerName: scenes\n"
    "          relativeMountPath: scenes\n"
    "          identityReference: {resourceId: ";

TEST(ArmConfig, PoolApiDefaultsToBatchAndReadsArm) {
    auto batch = Load(Daemon(""), Pool(""));
    ASSERT_THAT(batch.errors, ::testing::IsEmpty());
    EXPECT_EQ(batch.accounts.at(0).pool_api, model::AccountSpec::PoolApi::Batch);
    auto arm = Load(Daemon("    poolApi: arm\n"), Pool(""));
    ASSERT_THAT(arm.errors, ::testing::IsEmpty());
    EXPECT_EQ(arm.accounts.at(0).pool_api, model::AccountSpec::PoolApi::Arm);
    auto bad = Load(Daemon("    poolApi: rest\n"), Pool(""));
    ASSERT_EQ(bad.errors.size(), 1u);
    EXPECT_THAT(bad.errors[0], ::testing::HasSubstr("poolwarden.yaml:6:14: accounts[0].poolApi:"));
    EXPECT_THAT(bad.errors[0], ::testing::HasSubstr("arm"));
}

TEST(ArmConfig, IdentityWithTheBatchApiSaysToUseArm) {
    auto out = Load(Daemon(""), Pool(kIdentity));
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_EQ(out.errors[0],
              "pools.d/p.yaml:9:7: pools[0].identity: a pool identity can only be set through "
              "Azure Resource Manager: set poolApi: arm on account 'a' in the daemon file");
    EXPECT_THAT(out.pools, ::testing::IsEmpty());
}

TEST(ArmConfig, IdentityWithArmIsRead) {
    auto out = Load(Daemon("    poolApi: arm\n"), Pool(kIdentity + kBlobMount + kId1 + "}\n"));
    ASSERT_THAT(out.errors, ::testing::IsEmpty());
    ASSERT_EQ(out.pools.size(), 1u);
    EXPECT_THAT(out.pools[0].identities, ::testing::ElementsAre(kId1));
}

TEST(ArmConfig, IdentityReferenceMustNameAPoolIdentity) {
    auto other = Load(Daemon("    poolApi: arm\n"), Pool(kIdentity + kBlobMount + kId2 + "}\n"));
    ASSERT_EQ(other.errors.size(), 1u);
    EXPECT_EQ(other.errors[0],
              "pools.d/p.yaml:17:43: pools[0].mountConfiguration[0]."
              "azureBlobFileSystemConfiguration.identityReference.resourceId: names no identity "
              "of this pool: add it to identity.userAssignedIdentities");
    // No identity at all (the batch API cannot set one).
    auto none = Load(Daemon(""), Pool(kBlobMount + kId1 + "}\n"));
    ASSERT_EQ(none.errors.size(), 1u);
    EXPECT_THAT(none.errors[0], ::testing::HasSubstr("13:43: pools[0].mountConfiguration[0]."
                                                     "azureBlobFileSystemConfiguration."
                                                     "identityReference.resourceId: names no "
                                                     "identity of this pool: declare it under "
                                                     "identity:"));
    // Start task resource files and container registries are checked too; ARM ids compare
    // without case.
    std::string upper = kId1;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto task = Load(Daemon("    poolApi: arm\n"),
                     Pool(kIdentity +
                          "    startTask:\n      commandLine: x\n"
                          "      resourceFiles:\n        - autoStorageContainerName: c\n"
                          "          identityReference: {resourceId: " +
                          upper +
                          "}\n        - autoStorageContainerName: d\n"
                          "          identityReference: {resourceId: " +
                          kId2 + "}\n"));
    ASSERT_EQ(task.errors.size(), 1u);
    EXPECT_THAT(task.errors[0], ::testing::HasSubstr("pools[0].startTask.resourceFiles[1]."
                                                     "identityReference.resourceId: names no "
                                                     "identity"));
}

TEST(ArmConfig, MembersArmDoesNotHaveAreErrorsWithArmOnly) {
    auto arm = Load(Daemon("    poolApi: arm\n"), Pool("    resourceTags: {a: b}\n"));
    ASSERT_EQ(arm.errors.size(), 1u);
    EXPECT_EQ(arm.errors[0],
              "pools.d/p.yaml:8:19: pools[0].resourceTags: ARM's pool model (Microsoft.Batch "
              "2025-06-01) has no resourceTags: remove it or use poolApi: batch on the account");
    EXPECT_THAT(Load(Daemon(""), Pool("    resourceTags: {a: b}\n")).errors, ::testing::IsEmpty());
}

TEST(ArmConfig, IdentityShapeErrors) {
    auto bad_id = Load(Daemon("    poolApi: arm\n"),
                       Pool("    identity: {type: UserAssigned, userAssignedIdentities: [x]}\n"));
    ASSERT_EQ(bad_id.errors.size(), 1u);
    EXPECT_THAT(bad_id.errors[0],
                ::testing::HasSubstr("pools[0].identity.userAssignedIdentities[0]: expected "
                                     "/subscriptions/SUB/resourceGroups/RG/providers/"
                                     "Microsoft.ManagedIdentity/userAssignedIdentities/NAME"));
    auto bad_type = Load(
        Daemon("    poolApi: arm\n"),
        Pool("    identity: {type: SystemAssigned, userAssignedIdentities: [" + kId1 + "]}\n"));
    ASSERT_EQ(bad_type.errors.size(), 1u);
    EXPECT_THAT(bad_type.errors[0], ::testing::HasSubstr("pools[0].identity.type:"));
    auto twice = Load(Daemon("    poolApi: arm\n"),
                      Pool("    identity: {type: UserAssigned, userAssignedIdentities: [" + kId1 +
                           ", " + kId1 + "]}\n"));
    ASSERT_EQ(twice.errors.size(), 1u);
    EXPECT_THAT(twice.errors[0], ::testing::HasSubstr("is listed twice"));
}

// --- codec ---------------------------------------------------------------------------------

fs::path Examples() {
    const char* dir = std::getenv("PW_AZURE_SPECS");
    return fs::path(dir ? dir : std::string(PW_SOURCE_DIR) + "/../shared/azure-specs") /
           "batch-management/resource-manager/Microsoft.Batch/stable/2025-06-01/examples";
}

json Example(const std::string& name) {
    std::ifstream in(Examples() / name);
    std::stringstream s;
    s << in.rdbuf();
    return json::parse(s.str());
}

/// A pool with identity, a blob mount by identity, NAT pools, inter-node communication, a data
/// disk and an elevated start task.
model::PoolSpec IdentityPool() {
    auto out = Load(Daemon("    poolApi: arm\n"),
                    Pool(kIdentity + kBlobMount + kId1 + "}\n" +
                         "    enableInterNodeCommunication: true\n"
                         "    virtualMachineConfiguration:\n"
                         "      dataDisks: [{lun: 0, diskSizeGB: 64, caching: readonly, "
                         "storageAccountType: premium_lrs}]\n"
                         "    networkConfiguration:\n"
                         "      dynamicVNetAssignmentScope: job\n"
                         "      endpointConfiguration:\n"
                         "        inboundNATPools: [{name: ssh, protocol: tcp, backendPort: 22, "
                         "frontendPortRangeStart: 15000, frontendPortRangeEnd: 15100, "
                         "networkSecurityGroupRules: [{priority: 150, access: allow, "
                         "sourceAddressPrefix: '*'}]}]\n"
                         "    startTask: {commandLine: setup.sh, elevated: true}\n"
                         "    metadata: {team: render}\n"));
    EXPECT_THAT(out.errors, ::testing::IsEmpty());
    EXPECT_EQ(out.pools.size(), 1u);
    return out.pools.empty() ? model::PoolSpec{} : out.pools[0];
}

TEST(ArmCodec, CreateBodyHasArmsShape) {
    auto spec = IdentityPool();
    auto body = codec::EncodeArmPoolCreate(spec, std::chrono::minutes(15));
    ASSERT_TRUE(body.ok()) << body.error();
    json j = json::parse(*body);
    const json& p = j.at("properties");
    EXPECT_FALSE(j.contains("id"));
    EXPECT_EQ(p.at("vmSize"), "Standard_D4s_v3");
    const json& vm = p.at("deploymentConfiguration").at("virtualMachineConfiguration");
    EXPECT_EQ(vm.at("imageReference").at("id"), spec.image_reference());
    EXPECT_FALSE(vm.at("imageReference").contains("virtualMachineImageId"));
    EXPECT_EQ(vm.at("nodeAgentSkuId"), "batch.node.ubuntu 22.04");
    EXPECT_EQ(vm.at("dataDisks"), json::parse(R"([{"lun":0,"caching":"ReadOnly",
        "diskSizeGB":64,"storageAccountType":"Premium_LRS"}])"));
    EXPECT_FALSE(p.contains("virtualMachineConfiguration"));
    EXPECT_EQ(p.at("scaleSettings"), json::parse(R"({"fixedScale":{"resizeTimeout":"PT15M",
        "targetDedicatedNodes":3,"targetLowPriorityNodes":0}})"));
    EXPECT_FALSE(p.contains("enableAutoScale"));
    EXPECT_FALSE(p.contains("targetDedicatedNodes"));
    EXPECT_EQ(p.at("interNodeCommunication"), "Enabled");
    EXPECT_FALSE(p.contains("enableInterNodeCommunication"));
    EXPECT_EQ(p.at("taskSlotsPerNode"), 1);
    EXPECT_EQ(p.at("metadata"), json::parse(R"([{"name":"team","value":"render"}])"));
    const json& net = p.at("networkConfiguration");
    EXPECT_EQ(net.at("dynamicVnetAssignmentScope"), "job");
    const json& nat = net.at("endpointConfiguration").at("inboundNatPools").at(0);
    EXPECT_EQ(nat.at("protocol"), "TCP");
    EXPECT_EQ(nat.at("networkSecurityGroupRules").at(0).at("access"), "Allow");
    EXPECT_EQ(p.at("mountConfiguration")
                  .at(0)
                  .at("azureBlobFileSystemConfiguration")
                  .at("identityReference")
                  .at("resourceId"),
              kId1);
    EXPECT_EQ(p.at("startTask").at("userIdentity"),
              json::parse(R"({"autoUser":{"scope":"Pool","elevationLevel":"Admin"}})"));
    EXPECT_EQ(p.at("startTask").at("commandLine"), "setup.sh");
    EXPECT_EQ(j.at("identity"), json({{"type", "UserAssigned"},
                                      {"userAssignedIdentities", {{kId1, json::object()}}}}));
}

TEST(ArmCodec, AutoScaleAndResizeBodiesMatchTheExamples) {
    model::AutoScale a;
    a.formula = "$TargetDedicatedNodes=34";
    a.evaluation_interval = std::chrono::minutes(5);
    a.max_nodes = 34;
    auto body = json::parse(codec::EncodeArmAutoScale(a));
    EXPECT_EQ(body.at("properties").at("scaleSettings").at("autoScale").at("evaluationInterval"),
              "PT5M");
    EXPECT_THAT(
        body.at("properties").at("scaleSettings").at("autoScale").at("formula").get<std::string>(),
        ::testing::StartsWith("$TargetDedicatedNodes=34"));
    // PoolUpdate_ResizePool.json: fixedScale with both targets, resizeTimeout PT8M and
    // nodeDeallocationOption TaskCompletion.
    auto resize =
        json::parse(codec::EncodeArmFixedScale(5, 0, std::chrono::minutes(8), "taskcompletion"));
    auto example = Example("PoolUpdate_ResizePool.json").at("parameters").at("parameters");
    EXPECT_EQ(resize, example);
}

TEST(ArmCodec, ARoundTripThroughArmGivesBackTheSpec) {
    auto spec = IdentityPool();
    spec.metadata["poolwarden.io/managed-by"] = "poolwarden";
    auto body = codec::EncodeArmPoolCreate(spec, std::chrono::minutes(15));
    ASSERT_TRUE(body.ok());
    // What ARM answers: the request's properties plus the read-only members.
    json pool = json::parse(*body);
    pool["name"] = "p1";
    pool["etag"] = "W/\"0x8D4EDFEBFADF4AB\"";
    pool["properties"]["provisioningState"] = "Succeeded";
    pool["properties"]["allocationState"] = "Resizing";
    pool["properties"]["currentDedicatedNodes"] = 1;
    pool["identity"]["userAssignedIdentities"][kId1] = {{"principalId", "p"}, {"clientId", "c"}};
    auto observed = codec::DecodeArmPool(pool.dump());
    ASSERT_TRUE(observed.ok()) << observed.error();
    EXPECT_EQ(observed->id, "p1");
    EXPECT_EQ(observed->e_tag, "W/\"0x8D4EDFEBFADF4AB\"");
    EXPECT_EQ(observed->state, "active");
    EXPECT_EQ(observed->allocation_state, "resizing");
    EXPECT_EQ(observed->virtual_machine_image_id, spec.image_reference());
    EXPECT_EQ(observed->node_agent_sku_id, spec.node_agent_sku_id);
    EXPECT_EQ(observed->target_dedicated_nodes, 3);
    EXPECT_EQ(observed->current_dedicated_nodes, 1);
    EXPECT_FALSE(observed->enable_auto_scale);
    EXPECT_EQ(observed->resize_timeout, model::Seconds(std::chrono::minutes(15)));
    EXPECT_EQ(observed->metadata, spec.metadata);
    EXPECT_THAT(observed->identities, ::testing::ElementsAre(kId1));
    ASSERT_TRUE(observed->start_task);
    EXPECT_EQ(observed->start_task->command_line, "setup.sh");
    EXPECT_TRUE(observed->start_task->elevated);
    // The table-declared properties come back as the pool file declared them.
    auto props = codec::DecodeArmPoolProperties(pool.dump());
    ASSERT_TRUE(props.ok()) << props.error();
    EXPECT_EQ(*props, spec.properties);
}

TEST(ArmCodec, DecodesTheSpecsGetAndListExamples) {
    auto get = Example("PoolGet.json").at("responses").at("200").at("body");
    auto pool = codec::DecodeArmPool(get.dump());
    ASSERT_TRUE(pool.ok()) << pool.error();
    EXPECT_EQ(pool->id, get.at("name"));
    EXPECT_EQ(pool->e_tag, get.at("etag"));
    EXPECT_EQ(pool->allocation_state,
              model::Lower(get.at("properties").at("allocationState").get<std::string>()));
    EXPECT_EQ(pool->current_dedicated_nodes,
              get.at("properties").value("currentDedicatedNodes", 0));
    auto list = Example("PoolList.json").at("responses").at("200").at("body");
    list["nextLink"] = "https://management.azure.com/next";
    auto page = codec::DecodeArmPoolList(list.dump());
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->pools.size(), list.at("value").size());
    EXPECT_EQ(page->next_link, "https://management.azure.com/next");
    // resizeOperationStatus.errors become the pool's resize errors.
    get["properties"]["resizeOperationStatus"]["errors"] =
        json::parse(R"([{"code":"AllocationFailed","message":"no capacity"}])");
    pool = codec::DecodeArmPool(get.dump());
    ASSERT_TRUE(pool.ok()) << pool.error();
    ASSERT_EQ(pool->resize_errors.size(), 1u);
    EXPECT_EQ(pool->resize_errors[0].code, "AllocationFailed");
    // An autoscale pool; a pool being deleted.
    get["properties"]["scaleSettings"] =
        json::parse(R"({"autoScale":{"formula":"$TargetDedicatedNodes=1"}})");
    get["properties"]["provisioningState"] = "Deleting";
    pool = codec::DecodeArmPool(get.dump());
    ASSERT_TRUE(pool.ok()) << pool.error();
    EXPECT_TRUE(pool->enable_auto_scale);
    EXPECT_EQ(pool->auto_scale_formula, "$TargetDedicatedNodes=1");
    EXPECT_EQ(pool->auto_scale_evaluation_interval, model::Seconds(std::chrono::minutes(15)));
    EXPECT_EQ(pool->state, "deleting");
}

}  // namespace
}  // namespace pw::config::arm_test
