#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "codec/decode.hpp"
#include "codec/encode.hpp"

namespace pw::codec {
namespace {

using nlohmann::json;

model::PoolSpec RenderPool() {
    model::PoolSpec spec;
    spec.id = "render-linux";
    spec.vm_size = "Standard_D4s_v3";
    spec.image = *model::ParseImageVersionId(
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
        "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0");
    spec.node_agent_sku_id = "batch.node.ubuntu 22.04";
    spec.fixed = model::FixedScale{2000, 1000};
    spec.task_slots_per_node = 4;
    model::StartTask task;
    task.command_line = "/bin/sh -c 'echo ready'";
    task.elevated = true;
    task.max_task_retry_count = 2;
    task.environment = {{"STUDIO", "vfx"}};
    spec.start_task = task;
    spec.metadata = {{"team", "vfx"}, {"poolwarden.io/managed-by", "poolwarden"}};
    return spec;
}

TEST(EncodeTest, PoolAddFixedScale) {
    auto body = json::parse(*EncodePoolAdd(RenderPool(), std::chrono::minutes(45)));
    EXPECT_EQ(body["id"], "render-linux");
    EXPECT_EQ(body["vmSize"], "Standard_D4s_v3");
    EXPECT_EQ(body["virtualMachineConfiguration"]["imageReference"]["virtualMachineImageId"],
              "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
              "providers/Microsoft.Compute/galleries/studio/images/render/versions/1.4.0");
    EXPECT_EQ(body["virtualMachineConfiguration"]["imageReference"].size(), 1u);
    EXPECT_EQ(body["virtualMachineConfiguration"]["nodeAgentSKUId"], "batch.node.ubuntu 22.04");
    EXPECT_EQ(body["resizeTimeout"], "PT45M");
    EXPECT_EQ(body["targetDedicatedNodes"], 2000);
    EXPECT_EQ(body["targetLowPriorityNodes"], 1000);
    EXPECT_EQ(body["enableAutoScale"], false);
    EXPECT_FALSE(body.contains("autoScaleFormula"));
    EXPECT_EQ(body["taskSlotsPerNode"], 4);
    EXPECT_EQ(body["startTask"]["commandLine"], "/bin/sh -c 'echo ready'");
    EXPECT_EQ(body["startTask"]["userIdentity"]["autoUser"]["scope"], "pool");
    EXPECT_EQ(body["startTask"]["userIdentity"]["autoUser"]["elevationLevel"], "admin");
    EXPECT_EQ(body["startTask"]["maxTaskRetryCount"], 2);
    EXPECT_EQ(body["startTask"]["waitForSuccess"], true);
    EXPECT_EQ(body["startTask"]["environmentSettings"],
              json::parse(R"([{"name":"STUDIO","value":"vfx"}])"));
    EXPECT_EQ(body["metadata"],
              json::parse(R"([{"name":"poolwarden.io/managed-by","value":"poolwarden"},
                                                {"name":"team","value":"vfx"}])"));
}

TEST(EncodeTest, PoolAddAutoscaleHasNoTargets) {
    auto spec = RenderPool();
    spec.fixed.reset();
    spec.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", std::chrono::minutes(8), 50};
    spec.start_task->elevated = false;
    auto body = json::parse(*EncodePoolAdd(spec, std::nullopt));
    EXPECT_EQ(body["enableAutoScale"], true);
    // The pool file's formula, then the cap at maxNodes (50).
    EXPECT_EQ(body["autoScaleFormula"],
              "$TargetDedicatedNodes=1;\n"
              "$TargetDedicatedNodes = min($TargetDedicatedNodes, 50);\n"
              "$TargetLowPriorityNodes = min($TargetLowPriorityNodes, max(0, 50 - "
              "$TargetDedicatedNodes));");
    EXPECT_EQ(body["autoScaleEvaluationInterval"], "PT8M");
    EXPECT_FALSE(body.contains("targetDedicatedNodes"));
    EXPECT_FALSE(body.contains("targetLowPriorityNodes"));
    EXPECT_FALSE(body.contains("resizeTimeout"));
    EXPECT_FALSE(body["startTask"].contains("userIdentity"));
}

TEST(EncodeTest, AutoscaleBodiesCarryTheCappedFormula) {
    const model::AutoScale a{"$TargetDedicatedNodes = 4  \n", std::chrono::minutes(5), 7};
    // A last statement without ';' gets one, so that the cap is a statement of its own.
    const std::string capped =
        "$TargetDedicatedNodes = 4;\n$TargetDedicatedNodes = min($TargetDedicatedNodes, 7);\n"
        "$TargetLowPriorityNodes = min($TargetLowPriorityNodes, max(0, 7 - "
        "$TargetDedicatedNodes));";
    EXPECT_EQ(model::CappedFormula(a), capped);
    EXPECT_EQ(json::parse(EncodeEnableAutoScale(a)),
              json({{"autoScaleFormula", capped}, {"autoScaleEvaluationInterval", "PT5M"}}));
    EXPECT_EQ(json::parse(EncodeEvaluateAutoScale(a)), json({{"autoScaleFormula", capped}}));
}

TEST(EncodeTest, Resize) {
    auto body = json::parse(EncodePoolResize(2000, 1000, std::chrono::minutes(45), "requeue"));
    EXPECT_EQ(body, json::parse(R"({"targetDedicatedNodes":2000,"targetLowPriorityNodes":1000,
                                   "resizeTimeout":"PT45M","nodeDeallocationOption":"requeue"})"));
    EXPECT_FALSE(json::parse(EncodePoolResize(1, 0, std::chrono::minutes(15), ""))
                     .contains("nodeDeallocationOption"));
}

TEST(EncodeTest, PatchOnlyWhatIsGiven) {
    EXPECT_EQ(*EncodePoolPatch(std::nullopt, std::nullopt), "{}");
    auto body = json::parse(*EncodePoolPatch(std::nullopt, std::map<std::string, std::string>{}));
    EXPECT_EQ(body, json::parse(R"({"metadata":[]})"));
    // Table-declared members under their REST names (BatchPoolUpdateOptions).
    model::PropValue mode;
    mode.kind = model::PropValue::Kind::String;
    mode.text = "simplified";
    model::PropValue props;
    props.members = {{"targetNodeCommunicationMode", mode}};
    body = json::parse(*EncodePoolPatch(std::nullopt, std::nullopt, {}, props));
    EXPECT_EQ(body, json::parse(R"({"targetNodeCommunicationMode":"simplified"})"));
}

TEST(EncodeTest, TargetRegionsKeepStorageTypeAndSendTheWholeList) {
    std::vector<model::TargetRegion> regions = {{"East US", 10, "Standard_LRS", ""},
                                                {"West Europe", 1, "Standard_ZRS", ""},
                                                {"Japan East", 2, "", ""}};
    auto body = json::parse(EncodeTargetRegionsPatch(regions));
    EXPECT_EQ(body, json::parse(R"({"properties":{"publishingProfile":{"targetRegions":[
        {"name":"East US","regionalReplicaCount":10,"storageAccountType":"Standard_LRS"},
        {"name":"West Europe","regionalReplicaCount":1,"storageAccountType":"Standard_ZRS"},
        {"name":"Japan East","regionalReplicaCount":2}]},"storageProfile":{}}})"));
}

TEST(EncodeTest, TargetRegionsSendBackTheMembersPoolwardenDoesNotManage) {
    auto version = DecodeImageVersion(R"({"id":"/v","location":"eastus","properties":{
        "publishingProfile":{"targetRegions":[
          {"name":"East US","regionalReplicaCount":1,"storageAccountType":"Standard_LRS",
           "excludeFromLatest":true,
           "encryption":{"osDiskImage":{"diskEncryptionSetId":"/des/1"}}}]}}})");
    ASSERT_TRUE(version.ok()) << version.error();
    auto regions = version->target_regions;
    ASSERT_EQ(regions.size(), 1u);
    regions[0].regional_replica_count = 10;
    auto body = json::parse(EncodeTargetRegionsPatch(regions));
    EXPECT_EQ(body["properties"]["publishingProfile"]["targetRegions"][0],
              json::parse(R"({"name":"East US","regionalReplicaCount":10,
                "storageAccountType":"Standard_LRS","excludeFromLatest":true,
                "encryption":{"osDiskImage":{"diskEncryptionSetId":"/des/1"}}})"));
}

}  // namespace
}  // namespace pw::codec
