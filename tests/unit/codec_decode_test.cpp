#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "codec/decode.hpp"
#include "codec_data.hpp"
#include "model/resource_id.hpp"

namespace pw::codec {
namespace {

using testing::ReadData;

TEST(CodecPool, DecodesMicrosoftPoolGetExample) {
    auto pool = DecodePool(ReadData("PoolGet_Basic.json"));
    ASSERT_TRUE(pool.ok()) << pool.error();
    EXPECT_EQ(pool->id, "pool");
    EXPECT_EQ(pool->e_tag, "0x8D413091E739A56");
    EXPECT_EQ(pool->state, "active");
    EXPECT_EQ(pool->allocation_state, "steady");
    EXPECT_EQ(pool->vm_size, "standard_a1");
    EXPECT_EQ(pool->node_agent_sku_id, "batch.node.ubuntu 20.04");
    EXPECT_EQ(pool->virtual_machine_image_id, "");  // a marketplace image
    ASSERT_TRUE(pool->resize_timeout.has_value());
    EXPECT_EQ(*pool->resize_timeout, std::chrono::minutes(15));
    EXPECT_EQ(pool->task_slots_per_node, 1);
    ASSERT_TRUE(pool->start_task.has_value());
    EXPECT_EQ(pool->start_task->command_line, "/bin/bash -c 'echo start task'");
    EXPECT_FALSE(pool->start_task->elevated);
    EXPECT_FALSE(pool->start_task->wait_for_success);
    EXPECT_FALSE(pool->enable_auto_scale);
    EXPECT_TRUE(pool->metadata.empty());
}

TEST(CodecPool, DecodesEveryFieldOfAGalleryPool) {
    auto pool = DecodePool(ReadData("gallery-pool.json"));
    ASSERT_TRUE(pool.ok()) << pool.error();
    EXPECT_EQ(pool->id, "render-linux");
    EXPECT_EQ(pool->e_tag, "0x8DC0FFEE");
    EXPECT_EQ(pool->vm_size, "STANDARD_D4S_V3");
    EXPECT_EQ(pool->virtual_machine_image_id,
              "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
              "providers/Microsoft.Compute/galleries/studio/images/render/versions/1.4.0");
    EXPECT_EQ(pool->target_dedicated_nodes, 2000);
    EXPECT_EQ(pool->target_low_priority_nodes, 1000);
    EXPECT_EQ(pool->current_dedicated_nodes, 1990);
    EXPECT_EQ(pool->current_low_priority_nodes, 1000);
    EXPECT_EQ(*pool->resize_timeout, std::chrono::minutes(45));
    EXPECT_EQ(*pool->auto_scale_evaluation_interval, std::chrono::minutes(15));
    ASSERT_EQ(pool->resize_errors.size(), 1u);
    EXPECT_EQ(pool->resize_errors[0].code, "AllocationTimedout");
    EXPECT_EQ(pool->task_slots_per_node, 4);
    ASSERT_TRUE(pool->start_task.has_value());
    EXPECT_TRUE(pool->start_task->elevated);
    EXPECT_TRUE(pool->start_task->wait_for_success);
    EXPECT_EQ(pool->start_task->max_task_retry_count, 2);
    EXPECT_EQ(pool->start_task->environment,
              (std::map<std::string, std::string>{{"EMPTY", ""}, {"STAGE", "prod"}}));
    EXPECT_EQ(pool->metadata, (std::map<std::string, std::string>{
                                  {"poolwarden.io/managed-by", "poolwarden"}, {"team", "vfx"}}));
}

TEST(CodecPool, DecodesMicrosoftPoolListExample) {
    auto page = DecodePoolList(ReadData("PoolList_Basic.json"));
    ASSERT_TRUE(page.ok()) << page.error();
    ASSERT_EQ(page->pools.size(), 1u);
    EXPECT_EQ(page->pools[0].id, "testPool");
    EXPECT_EQ(page->pools[0].target_dedicated_nodes, 3);
    EXPECT_EQ(page->pools[0].node_agent_sku_id, "batch.node.windows amd64");
    EXPECT_FALSE(page->next_link.has_value());
}

TEST(CodecPool, ReturnsTheNextLink) {
    auto page = DecodePoolList(
        R"({"value":[{"id":"a"},{"id":"b"}],"odata.nextLink":"https://x/pools?skip=2"})");
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->pools.size(), 2u);
    EXPECT_EQ(page->next_link, "https://x/pools?skip=2");
}

TEST(CodecPool, NamesTheJsonPathOfAWrongType) {
    auto page = DecodePoolList(
        R"({"value":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d","targetDedicatedNodes":"10"}]})");
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error(), "value[3].targetDedicatedNodes: expected integer, got string");
}

TEST(CodecPool, MalformedInputsGiveErrorsNotCrashes) {
    struct Case {
        std::string body;
        std::string expected_prefix;
    };
    const std::vector<Case> cases = {
        {"", "empty body"},
        {R"({"value":[{"id":"a")", "invalid JSON: "},
        {"<html><body>502 Bad Gateway</body></html>", "body is not JSON"},
        {R"({"values":[]})", "value: required member missing"},
        {R"({"value":{}})", "value: expected array, got object"},
        {R"({"value":[42]})", "value[0]: expected object, got integer"},
        {R"({"value":[{"vmSize":"x"}]})", "value[0].id: required member missing"},
        {R"({"value":[{"id":"a","targetDedicatedNodes":3.5}]})",
         "value[0].targetDedicatedNodes: expected integer, got number"},
        {R"({"value":[{"id":"a","targetDedicatedNodes":99999999999}]})",
         "value[0].targetDedicatedNodes: integer out of 32-bit range"},
        {R"({"value":[{"id":"a","resizeTimeout":"soon"}]})",
         "value[0].resizeTimeout: expected ISO-8601 duration"},
        {R"({"value":[{"id":"a","metadata":[{"value":"x"}]}]})",
         "value[0].metadata[0].name: required member missing"},
        {R"({"value":[{"id":"a","startTask":{"commandLine":1}}]})",
         "value[0].startTask.commandLine: expected string"},
        {R"({"value":[{"id":"a","enableAutoScale":"true"}]})",
         "value[0].enableAutoScale: expected boolean"},
        {R"([1,2,3])", "expected object, got array"},
        {R"({"value":[],"odata.nextLink":5})", "[\"odata.nextLink\"]: expected string"},
    };
    for (const auto& c : cases) {
        auto page = DecodePoolList(c.body);
        ASSERT_FALSE(page.ok()) << c.body;
        EXPECT_EQ(page.error().rfind(c.expected_prefix, 0), 0u)
            << "body: " << c.body << "\nerror: " << page.error();
    }
}

TEST(CodecPool, NullMembersReadAsAbsent) {
    auto pool = DecodePool(R"({"id":"a","startTask":null,"resizeTimeout":null,"metadata":null})");
    ASSERT_TRUE(pool.ok()) << pool.error();
    EXPECT_FALSE(pool->start_task.has_value());
    EXPECT_FALSE(pool->resize_timeout.has_value());
}

TEST(CodecGallery, DecodesMicrosoftImageVersionExample) {
    auto v = DecodeImageVersion(ReadData("GalleryImageVersion_Get_WithReplicationStatus.json"));
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->location, "West US");
    EXPECT_EQ(v->provisioning_state, "Succeeded");
    EXPECT_EQ(v->replica_count, 1);
    EXPECT_EQ(v->storage_account_type, "Standard_LRS");
    ASSERT_EQ(v->target_regions.size(), 2u);
    EXPECT_EQ(v->target_regions[1].name, "East US");
    EXPECT_EQ(v->target_regions[1].regional_replica_count, 2);
    EXPECT_EQ(v->target_regions[1].storage_account_type, "Standard_LRS");
    EXPECT_EQ(v->aggregated_state, "Completed");
    ASSERT_EQ(v->summary.size(), 2u);
    EXPECT_EQ(v->summary[1].progress, 100);
    // Region names stay as Azure wrote them; lookups normalize.
    ASSERT_NE(v->find_region("eastus"), nullptr);
    EXPECT_EQ(v->find_region("eastus")->regional_replica_count, 2);
    ASSERT_NE(v->find_replication("EASTUS"), nullptr);
    EXPECT_EQ(v->find_replication("EASTUS")->state, "Completed");
}

TEST(CodecGallery, RegionWithoutCountTakesTheVersionDefault) {
    auto v = DecodeImageVersion(
        R"({"location":"eastus","properties":{"publishingProfile":{"replicaCount":3,
            "targetRegions":[{"name":"eastus"},{"name":"westus","regionalReplicaCount":5}]}}})");
    ASSERT_TRUE(v.ok()) << v.error();
    EXPECT_EQ(v->target_regions[0].regional_replica_count, 3);
    EXPECT_EQ(v->target_regions[1].regional_replica_count, 5);
}

TEST(CodecGallery, ImageVersionErrors) {
    auto v = DecodeImageVersion(R"({"properties":{}})");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error(), "location: required member missing");
    v = DecodeImageVersion(
        R"({"location":"x","properties":{"publishingProfile":{"targetRegions":[{"name":"a","regionalReplicaCount":"2"}]}}})");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error(),
              "properties.publishingProfile.targetRegions[0].regionalReplicaCount: expected "
              "integer, got string");
}

std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string VersionWithRegionMember(const std::string& member) {
    return R"({"location":"eastus","properties":{"publishingProfile":{"targetRegions":[)"
           R"({"name":"eastus","regionalReplicaCount":2,)" +
           member + "}]}}}";
}

TEST(CodecGallery, UnknownTargetRegionMembersAreKeptUpToABoundedDepth) {
    auto kept = DecodeImageVersion(VersionWithRegionMember(
        R"("excludeFromLatest":true,"encryption":{"osDiskImage":{"securityProfile":)"
        R"({"confidentialVMEncryptionType":"EncryptedVMGuestStateOnlyWithPmk"}}},"deep":)" +
        Nested(32)));
    ASSERT_TRUE(kept.ok()) << kept.error();
    ASSERT_EQ(kept->target_regions.size(), 1U);
    const std::string& others = kept->target_regions[0].other_members;
    EXPECT_NE(others.find(R"("excludeFromLatest":true)"), std::string::npos) << others;
    EXPECT_NE(others.find("EncryptedVMGuestStateOnlyWithPmk"), std::string::npos) << others;
    EXPECT_EQ(others.find("eastus"), std::string::npos) << "known members are not repeated";

    auto one_more = DecodeImageVersion(VersionWithRegionMember(R"("deep":)" + Nested(33)));
    ASSERT_FALSE(one_more.ok());
    EXPECT_EQ(one_more.error(),
              "properties.publishingProfile.targetRegions[0].deep: nested deeper than 32 levels");
    // Deep enough to overflow the stack if it were copied or printed recursively.
    auto hostile =
        DecodeImageVersion(VersionWithRegionMember(R"("x":{"y":)" + Nested(300000) + "}"));
    ASSERT_FALSE(hostile.ok());
    EXPECT_EQ(hostile.error(),
              "properties.publishingProfile.targetRegions[0].x: nested deeper than 32 levels");
}

TEST(CodecGallery, DecodesMicrosoftImageExample) {
    auto img = DecodeImage(ReadData("GalleryImage_Get.json"));
    ASSERT_TRUE(img.ok()) << img.error();
    EXPECT_EQ(img->os_type, "Windows");
    EXPECT_EQ(img->os_state, "Generalized");
    EXPECT_EQ(img->hyper_v_generation, "V1");
    auto bad = DecodeImage(R"({"properties":{"osType":"Linux"}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "properties.osState: required member missing");
}

TEST(CodecAccount, DecodesMicrosoftBatchAccountExample) {
    auto a = DecodeBatchAccount(ReadData("BatchAccountGet.json"));
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->location, "japaneast");
    EXPECT_EQ(a->account_endpoint, "sampleacct.japaneast.batch.azure.com");
    EXPECT_EQ(a->pool_allocation_mode, "BatchService");
    EXPECT_EQ(a->dedicated_core_quota, 20);
    EXPECT_EQ(a->low_priority_core_quota, 20);
}

TEST(CodecAccount, DecodesPoolAndFamilyQuotas) {
    auto example = DecodeBatchAccount(ReadData("BatchAccountGet.json"));
    ASSERT_TRUE(example.ok()) << example.error();
    EXPECT_EQ(example->pool_quota, 20);
    EXPECT_FALSE(example->family_quota_enforced);
    auto a = DecodeBatchAccount(
        R"({"location":"eastus","properties":{"accountEndpoint":"a.eastus.batch.azure.com",
            "dedicatedCoreQuota":500,"dedicatedCoreQuotaPerVMFamilyEnforced":true,
            "dedicatedCoreQuotaPerVMFamily":[{"name":"standardDSv3Family","coreQuota":96},
                                             {"name":"standardA0_A7Family","coreQuota":0}]}})");
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_TRUE(a->family_quota_enforced);
    EXPECT_EQ(a->family_core_quota,
              (std::map<std::string, int>{{"standarda0_a7family", 0}, {"standarddsv3family", 96}}));
    auto bad = DecodeBatchAccount(
        R"({"location":"eastus","properties":{"accountEndpoint":"a",
            "dedicatedCoreQuotaPerVMFamily":[{"coreQuota":1}]}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(),
              "properties.dedicatedCoreQuotaPerVMFamily[0].name: required member missing");
}

TEST(CodecSkus, DecodesTheSpecExample) {
    auto page = DecodeSupportedSkuPage(ReadData("LocationListVirtualMachineSkus.json"));
    ASSERT_TRUE(page.ok()) << page.error();
    ASSERT_EQ(page->skus.size(), 2u);
    const auto& d1 = page->skus[0];
    EXPECT_EQ(d1.name, "Standard_D1_v2");
    EXPECT_EQ(d1.family, "standardDFamily");
    EXPECT_EQ(d1.vcpus, 1);
    EXPECT_EQ(d1.hyper_v_generations, std::vector<std::string>{"V1"});
    EXPECT_FALSE(d1.low_priority_capable);
    EXPECT_FALSE(d1.ephemeral_os_disk_supported);
    EXPECT_EQ(page->skus[1].family, "standardA0_A7Family");
    EXPECT_FALSE(page->next_link.has_value());
}

TEST(CodecSkus, CapabilitiesAreStrings) {
    auto page = DecodeSupportedSkuPage(
        R"({"value":[{"name":"Standard_D4s_v3","familyName":"standardDSv3Family","capabilities":[
            {"name":"vCPUs","value":"4"},{"name":"HyperVGenerations","value":"V1,V2"},
            {"name":"TrustedLaunchDisabled","value":"True"}]}],"nextLink":"https://x/next"})");
    ASSERT_TRUE(page.ok()) << page.error();
    EXPECT_EQ(page->skus[0].hyper_v_generations, (std::vector<std::string>{"V1", "V2"}));
    EXPECT_TRUE(page->skus[0].trusted_launch_disabled);
    EXPECT_TRUE(page->skus[0].low_priority_capable) << "absent: not known to be refused";
    EXPECT_EQ(page->next_link, "https://x/next");
    auto bad = DecodeSupportedSkuPage(
        R"({"value":[{"name":"a","capabilities":[{"name":"vCPUs","value":4}]}]})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "value[0].capabilities[0].value: expected string, got integer");
}

TEST(CodecImage, ReadsTheSecurityTypeFeature) {
    auto img = DecodeImage(
        R"({"id":"/x","properties":{"osType":"Linux","osState":"Generalized","hyperVGeneration":"V2",
            "features":[{"name":"IsAcceleratedNetworkSupported","value":"True"},
                        {"name":"SecurityType","value":"TrustedLaunch"}],
            "identifier":{"publisher":"p","offer":"o","sku":"s"}}})");
    ASSERT_TRUE(img.ok()) << img.error();
    EXPECT_EQ(img->security_type, "TrustedLaunch");
}

TEST(CodecAccount, UserSubscriptionAccountHasNoQuotas) {
    auto a = DecodeBatchAccount(
        R"({"location":"eastus","properties":{"accountEndpoint":"a.eastus.batch.azure.com",
            "poolAllocationMode":"UserSubscription"}})");
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_FALSE(a->dedicated_core_quota.has_value());
    auto bad = DecodeBatchAccount(R"({"location":"eastus","properties":{}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "properties.accountEndpoint: required member missing");
}

TEST(CodecErrors, DecodesBatchError) {
    auto e = DecodeBatchError(
        R"({"odata.metadata":"https://x/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
            "code":"PoolExists","message":{"lang":"en-US","value":"The specified pool already exists."},
            "values":[{"key":"RequestId","value":"abc"}]})");
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(e->code, "PoolExists");
    EXPECT_EQ(e->message, "The specified pool already exists.");
    ASSERT_EQ(e->values.size(), 1u);
    EXPECT_EQ(e->values[0].first, "RequestId");
    EXPECT_FALSE(DecodeBatchError("<html>Service Unavailable</html>").ok());
    EXPECT_FALSE(DecodeBatchError(R"({"message":"x"})").ok());
}

TEST(CodecErrors, DecodesArmError) {
    auto e = DecodeArmError(
        R"({"error":{"code":"AuthorizationFailed","message":"no access","target":"x",
            "details":[{"code":"Inner","message":"m"}]}})");
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(e->code, "AuthorizationFailed");
    EXPECT_EQ(e->message, "no access");
    ASSERT_EQ(e->details.size(), 1u);
    EXPECT_EQ(e->details[0].code, "Inner");
    auto bad = DecodeArmError(R"({"error":"invalid_client"})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "error: expected object, got string");
}

TEST(CodecErrors, DecodesOperationStatus) {
    auto failed =
        DecodeOperationStatus(R"({"id":"x","status":"Failed","startTime":"2024-01-01T00:00:00Z",)"
                              R"("error":{"code":"ReplicationFailed","message":"region busy"}})");
    ASSERT_TRUE(failed.ok()) << failed.error();
    EXPECT_EQ(failed->status, "Failed");
    ASSERT_TRUE(failed->error);
    EXPECT_EQ(failed->error->code, "ReplicationFailed");
    EXPECT_EQ(failed->error->message, "region busy");
    auto running = DecodeOperationStatus(R"({"status":"InProgress"})");
    ASSERT_TRUE(running.ok());
    EXPECT_FALSE(running->error);
    // Wrong types are errors with their path, never exceptions.
    auto numeric = DecodeOperationStatus(R"({"status":"Failed","error":{"code":409}})");
    ASSERT_FALSE(numeric.ok());
    EXPECT_EQ(numeric.error(), "error.code: expected string, got integer");
    auto message = DecodeOperationStatus(R"({"status":"Failed","error":{"message":["x"]}})");
    ASSERT_FALSE(message.ok());
    EXPECT_EQ(message.error(), "error.message: expected string, got array");
    EXPECT_EQ(DecodeOperationStatus(R"({"status":1})").error(),
              "status: expected string, got integer");
    EXPECT_EQ(DecodeOperationStatus(R"({})").error(), "status: required member missing");
}

TEST(CodecErrors, DecodesAadError) {
    auto e = DecodeAadError(
        R"({"error":"invalid_scope","error_description":"AADSTS70011: bad scope",
            "error_codes":[70011],"timestamp":"t","trace_id":"x","correlation_id":"y"})");
    ASSERT_TRUE(e.ok()) << e.error();
    EXPECT_EQ(e->error, "invalid_scope");
    EXPECT_EQ(e->error_description, "AADSTS70011: bad scope");
    EXPECT_EQ(e->error_codes, std::vector<long long>{70011});
    EXPECT_FALSE(DecodeAadError(R"({"error_description":"x"})").ok());
}

TEST(CodecSnapshot, DecodesAccountsVersionsAndImages) {
    auto s = DecodeSnapshot(R"({
      "accounts": {"render-eus": {"location": "eastus", "pools": [{"id": "p1"}]},
                   "empty": {"location": "westus"}},
      "imageVersions": {"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0":
          {"location": "eastus", "properties": {"provisioningState": "Succeeded"}}},
      "images": {"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/galleries/g/images/i":
          {"properties": {"osType": "Linux", "osState": "Generalized"}}},
      "comment": "unknown members are ignored"
    })");
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_EQ(s->accounts.size(), 2u);
    EXPECT_EQ(s->accounts.at("render-eus").location, "eastus");
    ASSERT_EQ(s->accounts.at("render-eus").pools.size(), 1u);
    EXPECT_TRUE(s->accounts.at("empty").pools.empty());
    const std::string vid =
        "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/galleries/g/images/i/"
        "versions/1.0.0";
    ASSERT_EQ(s->image_versions.count(model::ResourceKey(vid)), 1u);
    EXPECT_EQ(s->image_versions.at(model::ResourceKey(vid)).id, vid);
    ASSERT_EQ(s->images.size(), 1u);
    EXPECT_EQ(
        s->images.begin()->first,
        model::ResourceKey(
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/galleries/g/images/i"));
}

TEST(CodecSnapshot, DecodesSupportedImagesAndSubscriptionFacts) {
    auto s = DecodeSnapshot(R"({
      "accounts": {"eus": {"location": "eastus", "supportedImages": [
          {"nodeAgentSKUId": "batch.node.ubuntu 22.04", "osType": "linux"},
          {"nodeAgentSKUId": "Batch.Node.Windows amd64", "osType": "windows"}]},
                   "wus": {"location": "westus"}},
      "subscriptions": {"AAAA": {"tenantId": "t1",
                                 "providers": {"Microsoft.Batch": {"registrationState": "NotRegistered"}}},
                        "bbbb": {"tenantId": "t2"}}
    })");
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_TRUE(s->accounts.at("eus").node_agent_skus);
    EXPECT_EQ(*s->accounts.at("eus").node_agent_skus,
              (model::NodeAgentSkuTable{{"batch.node.ubuntu 22.04", "linux"},
                                        {"batch.node.windows amd64", "windows"}}));
    EXPECT_FALSE(s->accounts.at("wus").node_agent_skus) << "absent: not known";
    EXPECT_EQ(s->subscriptions.at("aaaa").tenant_id, "t1");
    EXPECT_EQ(s->subscriptions.at("aaaa").batch_registration_state, "NotRegistered");
    EXPECT_EQ(s->subscriptions.at("bbbb").batch_registration_state, "");
    auto bad = DecodeSnapshot(
        R"({"accounts":{"a":{"location":"x","supportedImages":[{"osType":"linux"}]}}})");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "accounts.a.supportedImages[0].nodeAgentSKUId: required member missing");
}

TEST(CodecSnapshot, ErrorsNameTheSnapshotPath) {
    auto s = DecodeSnapshot(
        R"({"accounts":{"render-eus":{"location":"eastus","pools":[{"id":"p","vmSize":7}]}}})");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error(), "accounts.render-eus.pools[0].vmSize: expected string, got integer");
    s = DecodeSnapshot(R"({"imageVersions":{"/subscriptions/x":{"properties":{}}}})");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error(), R"(imageVersions["/subscriptions/x"].location: required member missing)");
    s = DecodeSnapshot(R"({"accounts":{"a":{}}})");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error(), "accounts.a.location: required member missing");
}

}  // namespace
}  // namespace pw::codec

namespace pw::codec {
namespace {

TEST(CodecImageVersionList, DecodesNamesStatesExclusionAndTheNextLink) {
    auto page = DecodeImageVersionListPage(R"({"value": [
        {"name": "1.4.0", "properties": {"provisioningState": "Succeeded",
          "publishingProfile": {"excludeFromLatest": false, "targetRegions": [{"name": "East US"}]}}},
        {"name": "1.5.0", "properties": {"provisioningState": "Creating",
          "publishingProfile": {"excludeFromLatest": true}}},
        {"name": "1.6.0", "properties": {"provisioningState": "Succeeded"}}],
        "nextLink": "https://management.azure.com/next?$skiptoken=3"})");
    ASSERT_TRUE(page.ok()) << page.error();
    ASSERT_EQ(page->versions.size(), 3u);
    EXPECT_EQ(page->versions[0], (model::ImageVersionListing{"1.4.0", "Succeeded", false}));
    EXPECT_EQ(page->versions[1], (model::ImageVersionListing{"1.5.0", "Creating", true}));
    EXPECT_EQ(page->versions[2], (model::ImageVersionListing{"1.6.0", "Succeeded", false}))
        << "excludeFromLatest defaults to false";
    EXPECT_EQ(page->next_link, "https://management.azure.com/next?$skiptoken=3");

    // targetRegions[].excludeFromLatest (gallery.json 2023-07-03 TargetRegion): the regions
    // where "latest" skips the version, normalized.
    auto regional = DecodeImageVersionListPage(R"({"value": [
        {"name": "2.0.0", "properties": {"provisioningState": "Succeeded",
          "publishingProfile": {"targetRegions": [
            {"name": "East US", "excludeFromLatest": true},
            {"name": "West Europe", "excludeFromLatest": false},
            {"name": "Japan East"}]}}}]})");
    ASSERT_TRUE(regional.ok()) << regional.error();
    EXPECT_EQ(regional->versions[0].regions_excluded_from_latest,
              std::vector<std::string>{"eastus"});
    EXPECT_FALSE(regional->versions[0].exclude_from_latest);

    auto last = DecodeImageVersionListPage(R"({"value": []})");
    ASSERT_TRUE(last.ok());
    EXPECT_FALSE(last->next_link);
    auto bad = DecodeImageVersionListPage(R"({"value": [{"name": "1.0.0",
        "properties": {"publishingProfile": {"excludeFromLatest": "yes"}}}]})");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("value[0].properties.publishingProfile.excludeFromLatest"),
              std::string::npos)
        << bad.error();
}

}  // namespace
}  // namespace pw::codec
