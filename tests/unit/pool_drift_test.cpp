// Drift of the table-declared pool properties: the table-driven decoder (codec) reads back what
// poolwarden sends, and model::DiffProperties classifies differences the way Azure's defaults
// read (absent is not drift, REST defaults, enum spelling, list order, secrets never compared).
#include "model/pool_drift.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "codec/decode.hpp"
#include "codec/encode.hpp"
#include "config/load.hpp"
#include "config/secret_file.hpp"

namespace pw::model {
namespace {

using nlohmann::json;

PropValue Props(const std::string& pool_json) {
    auto decoded = codec::DecodePoolProperties(pool_json);
    EXPECT_TRUE(decoded.ok()) << decoded.error();
    return decoded.ok() ? *decoded : PropValue{};
}

std::vector<std::string> Texts(const std::vector<PropertyDrift>& drift) {
    std::vector<std::string> out;
    for (const auto& d : drift) {
        const char* cls = d.update == UpdateClass::Patchable   ? "patchable"
                          : d.update == UpdateClass::EmptyOnly ? "empty-only"
                                                               : "fixed";
        out.push_back(d.path + " (" + cls + "): " + d.want + " -> " + d.have);
    }
    return out;
}

TEST(PoolDrift, WhatPoolwardenSendsReadsBackWithoutDrift) {
    auto loaded =
        config::LoadConfig(std::string(PW_SOURCE_DIR) + "/config/examples/poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    const auto pools = loaded->desired().pools;
    auto it = std::find_if(pools.begin(), pools.end(),
                           [](const PoolSpec& p) { return p.id == "sim-hpc"; });
    ASSERT_NE(it, pools.end());
    const PoolSpec spec = *it;
    auto body = codec::EncodePoolAdd(spec, std::nullopt,
                                     [](const PropValue& f) { return config::ReadSecretFile(f); });
    ASSERT_TRUE(body.ok()) << body.error();
    // Batch returns no secrets: drop them as its GET would.
    auto j = json::parse(*body);
    j["virtualMachineConfiguration"]["containerConfiguration"]["containerRegistries"][0].erase(
        "password");
    j["mountConfiguration"][0]["azureBlobFileSystemConfiguration"].erase("accountKey");
    EXPECT_THAT(DiffProperties(spec.properties, Props(j.dump()), PoolFields()),
                ::testing::IsEmpty());
    auto task = codec::DecodeStartTaskProperties(j.dump());
    ASSERT_TRUE(task.ok()) << task.error();
    EXPECT_THAT(DiffProperties(spec.start_task->properties, *task, StartTaskFields()),
                ::testing::IsEmpty());
    EXPECT_FALSE(task->members.empty());
}

// Microsoft's example (2025-06-01.21.0 examples/Pools_GetPool_SecurityProfile.json), trimmed.
const char* kSecurityProfilePool = R"({
  "id": "mypool001", "vmSize": "standard_dc2s_v2", "enableInterNodeCommunication": false,
  "taskSchedulingPolicy": {"nodeFillType": "spread"},
  "virtualMachineConfiguration": {
    "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                       "sku": "18_04-lts-gen2", "version": "latest"},
    "nodeAgentSKUId": "batch.node.ubuntu 18.04",
    "securityProfile": {"securityType": "trustedLaunch", "encryptionAtHost": true,
                        "uefiSettings": {"secureBootEnabled": false}}},
  "currentNodeCommunicationMode": "classic"})";

PropValue Want(const std::string& yaml_as_json) {
    // The pool file side, built through the decoder from REST-shaped JSON (the same keys here).
    return Props(yaml_as_json);
}

TEST(PoolDrift, ReportsTheDeepestDifferenceWithItsUpdateClass) {
    auto want = Want(R"({"virtualMachineConfiguration": {"securityProfile": {
        "securityType": "trustedLaunch", "uefiSettings": {"secureBootEnabled": true}}},
        "taskSchedulingPolicy": {"nodeFillType": "pack"}})");
    EXPECT_THAT(Texts(DiffProperties(want, Props(kSecurityProfilePool), PoolFields())),
                ::testing::ElementsAre(
                    "virtualMachineConfiguration.securityProfile.uefiSettings.secureBootEnabled "
                    "(empty-only): true -> false",
                    "taskSchedulingPolicy.nodeFillType (empty-only): \"pack\" -> \"spread\""));
}

TEST(PoolDrift, FollowsAzuresDefaults) {
    const auto have = Props(kSecurityProfilePool);
    // Absent from the pool file: never drift, whatever the live pool has.
    EXPECT_THAT(DiffProperties(PropValue{}, have, PoolFields()), ::testing::IsEmpty());
    // Equal to the REST default while Batch returns nothing: not drift.
    EXPECT_THAT(DiffProperties(Want(R"({"targetNodeCommunicationMode": "default",
                                       "networkConfiguration": {"enableAcceleratedNetworking": false}})"),
                               have, PoolFields()),
                ::testing::ElementsAre());
    // Not the default and absent live: drift, patchable for targetNodeCommunicationMode.
    EXPECT_THAT(Texts(DiffProperties(Want(R"({"targetNodeCommunicationMode": "simplified"})"), have,
                                     PoolFields())),
                ::testing::ElementsAre("targetNodeCommunicationMode (patchable): \"simplified\" -> "
                                       "(absent)"));
    // Enum spelling is not drift.
    EXPECT_THAT(DiffProperties(Want(R"({"virtualMachineConfiguration": {"securityProfile":
                                       {"securityType": "TrustedLaunch"}}})"),
                               have, PoolFields()),
                ::testing::IsEmpty());
}

TEST(PoolDrift, ListsCompareInAnyOrderAndSecretsNever) {
    // BatchService.json states no order for any of these lists: disks are told apart by lun.
    auto have = Props(R"({"virtualMachineConfiguration": {"dataDisks": [
        {"lun": 0, "diskSizeGB": 10}, {"lun": 1, "diskSizeGB": 20}],
        "containerConfiguration": {"type": "dockerCompatible",
          "containerImageNames": ["a", "b"],
          "containerRegistries": [{"registryServer": "cr", "username": "u"}]}}})");
    auto want = Props(R"({"virtualMachineConfiguration": {"dataDisks": [
        {"lun": 1, "diskSizeGB": 20}, {"lun": 0, "diskSizeGB": 10}],
        "containerConfiguration": {"type": "dockerCompatible",
          "containerImageNames": ["b", "a"],
          "containerRegistries": [{"registryServer": "cr", "username": "u"}]}}})");
    PropValue secret;
    secret.kind = PropValue::Kind::SecretFile;
    secret.text = "secrets/registry";
    auto& vm = want.members[0].value;
    auto& registry = vm.members[1].value.members[2].value.items[0];
    registry.members.push_back({"passwordFile", secret});
    EXPECT_THAT(DiffProperties(want, have, PoolFields()), ::testing::IsEmpty());
    EXPECT_THAT(SecretFilePaths(want),
                ::testing::ElementsAre("virtualMachineConfiguration.containerConfiguration."
                                       "containerRegistries[0].passwordFile"));
    // A changed item is reported at its deepest member, under its index in the pool file.
    vm.members[0].value.items[0].members[1].value.integer = 30;
    EXPECT_THAT(Texts(DiffProperties(want, have, PoolFields())),
                ::testing::ElementsAre(
                    "virtualMachineConfiguration.dataDisks[0].diskSizeGB (empty-only): 30 -> 20"));
    // An item more or less: the whole list, old and new.
    vm.members[1].value.members[1].value.items.push_back(
        vm.members[1].value.members[1].value.items[0]);
    EXPECT_THAT(Texts(DiffProperties(want, have, PoolFields())),
                ::testing::Contains(
                    "virtualMachineConfiguration.containerConfiguration.containerImageNames "
                    "(empty-only): [\"b\", \"a\", \"b\"] -> [\"a\", \"b\"]"));
}

TEST(PoolDrift, ExtensionSettingsCompareAsJsonObjects) {
    auto have = Props(R"({"virtualMachineConfiguration": {"extensions": [{"name": "e",
        "publisher": "p", "type": "t", "settings": {"b": 1, "a": {"y": true, "x": "s"}}}]}})");
    auto want = have;
    auto& settings = want.members[0].value.members[0].value.items[0].members[3].value;
    ASSERT_EQ(want.members[0].value.members[0].value.items[0].members[3].key, "settings");
    std::reverse(settings.members.begin(), settings.members.end());
    EXPECT_THAT(DiffProperties(want, have, PoolFields()), ::testing::IsEmpty());
    settings.members[1].value.members[1].value.boolean = false;  // a.y
    EXPECT_EQ(DiffProperties(want, have, PoolFields()).size(), 1u);
}

TEST(PoolDrift, DecoderNamesTheJsonPathOfAWrongType) {
    auto decoded = codec::DecodePoolProperties(
        R"({"virtualMachineConfiguration": {"dataDisks": [{"lun": "zero"}]}})");
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error(),
              "virtualMachineConfiguration.dataDisks[0].lun: unexpected JSON type");
    EXPECT_FALSE(codec::DecodePoolProperties("[1]").ok());
}

}  // namespace
}  // namespace pw::model
