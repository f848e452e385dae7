// poolwarden-sim and the whole pool model: the production example, encoded by poolwarden with
// its secrets read from files, is accepted, stored and returned with Batch's defaults and
// without any secret; bodies that break the spec get Batch's 400 with the property's path.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "codec/encode.hpp"
#include "config/load.hpp"
#include "config/secret_file.hpp"
#include "sim_fixture.hpp"

namespace pw::simtest {
namespace {

namespace fs = std::filesystem;

class SimPoolModel : public ::testing::Test {
  protected:
    SimPoolModel() : sim_({"--state", ExampleWorld(), "--seed", "7"}) {}
    void SetUp() override {
        token_ = "Bearer " + Token(sim_.port(), "https://batch.core.windows.net//.default");
        auto loaded =
            config::LoadConfig(fs::path(PW_SOURCE_DIR) / "config/examples/poolwarden.yaml");
        ASSERT_TRUE(loaded.ok());
        ASSERT_TRUE(loaded->all_errors().empty()) << loaded->all_errors()[0].str();
        auto pools = loaded->desired().pools;
        auto it = std::find_if(pools.begin(), pools.end(),
                               [](const model::PoolSpec& p) { return p.id == "sim-hpc"; });
        ASSERT_NE(it, pools.end());
        auto body = codec::EncodePoolAdd(
            *it, std::chrono::minutes(15),
            [](const model::PropValue& f) { return config::ReadSecretFile(f); });
        ASSERT_TRUE(body.ok()) << body.error();
        body_ = Json::parse(*body);
    }
    HttpResult Batch(const std::string& method, const std::string& target,
                     const std::string& body = {}) {
        std::map<std::string, std::string> h = {{"Authorization", token_}};
        if (!body.empty()) h.emplace("Content-Type", "application/json; odata=minimalmetadata");
        return Send(sim_.port(), method, kBatch + target, body, h);
    }
    static std::string Value(const Json& error, const std::string& key) {
        for (const auto& kv : error.value("values", Json::array()))
            if (kv.value("key", "") == key) return kv.value("value", "");
        return "";
    }

    SimProcess sim_;
    std::string token_;
    Json body_;
};

TEST_F(SimPoolModel, StoresAndReturnsEveryPropertyWithDefaultsAndNoSecrets) {
    auto add = Batch("POST", "/pools?" + kApi, body_.dump());
    ASSERT_EQ(add.status, 201) << add.body;
    auto get = Batch("GET", "/pools/sim-hpc?" + kApi);
    ASSERT_EQ(get.status, 200) << get.body;
    EXPECT_EQ(get.body.find("demo-registry-password"), std::string::npos) << get.body;
    EXPECT_EQ(get.body.find("ZGVtby1zdG9yYWdlLWtleS"), std::string::npos) << get.body;
    auto pool = get.json();
    const auto& vm = pool["virtualMachineConfiguration"];
    EXPECT_EQ(vm["osDisk"], body_["virtualMachineConfiguration"]["osDisk"]);
    EXPECT_EQ(vm["dataDisks"], body_["virtualMachineConfiguration"]["dataDisks"]);
    EXPECT_EQ(vm["securityProfile"], body_["virtualMachineConfiguration"]["securityProfile"]);
    const auto& registry = vm["containerConfiguration"]["containerRegistries"][0];
    EXPECT_EQ(registry["username"], "studio-pull");
    EXPECT_FALSE(registry.contains("password"));
    const auto& blob = pool["mountConfiguration"][0]["azureBlobFileSystemConfiguration"];
    EXPECT_EQ(blob["accountName"], "studioassets");
    EXPECT_FALSE(blob.contains("accountKey"));
    EXPECT_EQ(pool["networkConfiguration"]["subnetId"], body_["networkConfiguration"]["subnetId"]);
    // Server defaults the body left out (BatchService.json descriptions).
    EXPECT_EQ(pool["networkConfiguration"]["dynamicVNetAssignmentScope"], "none");
    EXPECT_EQ(pool["startTask"]["resourceFiles"], body_["startTask"]["resourceFiles"]);
    EXPECT_EQ(pool["startTask"]["containerSettings"]["workingDirectory"], "taskWorkingDirectory");
    EXPECT_EQ(pool["targetNodeCommunicationMode"], "simplified");
    EXPECT_EQ(pool["displayName"], "Simulation (containers, private network)");
    auto list = Batch("GET", "/pools?" + kApi);
    EXPECT_EQ(list.body.find("demo-registry-password"), std::string::npos);
}

TEST_F(SimPoolModel, PatchesAreCheckedAndTheirSecretsNotReturned) {
    ASSERT_EQ(Batch("POST", "/pools?" + kApi, body_.dump()).status, 201);
    auto bad = Batch("PATCH", "/pools/sim-hpc?" + kApi,
                     R"({"startTask": {"commandLine": "x", "resourceFiles": [{"filePath": 1}]}})");
    ASSERT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(bad.json()["code"], "InvalidPropertyValue");
    EXPECT_EQ(Value(bad.json(), "PropertyName"), "startTask.resourceFiles[0].filePath");
    auto missing =
        Batch("PATCH", "/pools/sim-hpc?" + kApi, R"({"startTask": {"waitForSuccess": true}})");
    ASSERT_EQ(missing.status, 400) << missing.body;
    EXPECT_EQ(missing.json()["code"], "MissingRequiredProperty");
    EXPECT_EQ(Value(missing.json(), "PropertyName"), "startTask.commandLine");
    Json task = body_["startTask"];
    task["containerSettings"]["registry"] = {
        {"registryServer", "cr.example"}, {"username", "u"}, {"password", "patched-secret-77"}};
    auto ok = Batch("PATCH", "/pools/sim-hpc?" + kApi, Json{{"startTask", task}}.dump());
    ASSERT_EQ(ok.status, 200) << ok.body;
    auto get = Batch("GET", "/pools/sim-hpc?" + kApi);
    EXPECT_EQ(get.json()["startTask"]["containerSettings"]["registry"]["username"], "u");
    EXPECT_EQ(get.body.find("patched-secret-77"), std::string::npos);
}

struct BadBody {
    std::string name;
    std::string pointer;  ///< JSON pointer into the production body.
    Json value;           ///< Set there; null erases it.
    std::string code;
    std::string property;
};
void PrintTo(const BadBody& b, std::ostream* os) { *os << b.name; }

class SimPoolModelBad : public SimPoolModel, public ::testing::WithParamInterface<BadBody> {};

TEST_P(SimPoolModelBad, AnswersBatchs400WithThePropertyPath) {
    const auto& b = GetParam();
    auto ptr = Json::json_pointer(b.pointer);
    if (b.value.is_null())
        body_[ptr.parent_pointer()].erase(ptr.back());
    else
        body_[ptr] = b.value;
    auto add = Batch("POST", "/pools?" + kApi, body_.dump());
    ASSERT_EQ(add.status, 400) << add.body;
    auto error = add.json();
    EXPECT_EQ(error["code"], b.code);
    EXPECT_EQ(Value(error, "PropertyName"), b.property) << add.body;
    EXPECT_EQ(Batch("GET", "/pools/sim-hpc?" + kApi).status, 404);
}

INSTANTIATE_TEST_SUITE_P(
    Sim, SimPoolModelBad,
    ::testing::Values(
        BadBody{"LunOutOfRange", "/virtualMachineConfiguration/dataDisks/0/lun", 64,
                "InvalidPropertyValue", "virtualMachineConfiguration.dataDisks[0].lun"},
        BadBody{"DiskSizeMissing", "/virtualMachineConfiguration/dataDisks/0/diskSizeGB", nullptr,
                "MissingRequiredProperty", "virtualMachineConfiguration.dataDisks[0].diskSizeGB"},
        BadBody{"UnknownEnum", "/virtualMachineConfiguration/securityProfile/securityType",
                "secureLaunch", "InvalidPropertyValue",
                "virtualMachineConfiguration.securityProfile.securityType"},
        BadBody{"ContainerTypeMissing", "/virtualMachineConfiguration/containerConfiguration/type",
                nullptr, "MissingRequiredProperty",
                "virtualMachineConfiguration.containerConfiguration.type"},
        BadBody{"MountPathMissing",
                "/mountConfiguration/0/azureBlobFileSystemConfiguration/relativeMountPath", nullptr,
                "MissingRequiredProperty",
                "mountConfiguration[0].azureBlobFileSystemConfiguration.relativeMountPath"},
        BadBody{"WrongType", "/enableInterNodeCommunication", "yes", "InvalidPropertyValue",
                "enableInterNodeCommunication"},
        BadBody{"NsgPriority", "/networkConfiguration/endpointConfiguration",
                Json::parse(R"({"inboundNATPools": [{"name": "ssh", "protocol": "tcp",
                    "backendPort": 22, "frontendPortRangeStart": 1000,
                    "frontendPortRangeEnd": 1100, "networkSecurityGroupRules": [{"priority": 100,
                    "access": "allow", "sourceAddressPrefix": "*"}]}]})"),
                "InvalidPropertyValue",
                "networkConfiguration.endpointConfiguration.inboundNATPools[0]."
                "networkSecurityGroupRules[0].priority"},
        BadBody{"ResourceFileUserIdentity", "/startTask/userIdentity/autoUser/scope", "node",
                "InvalidPropertyValue", "startTask.userIdentity.autoUser.scope"},
        // NetworkConfiguration.subnetId: the form, subscription and region Batch states, and a
        // subnet that exists (the example world holds vnet-batch/nodes in eastus).
        BadBody{"SubnetNotAnArmId", "/networkConfiguration/subnetId", "vnet-batch/nodes",
                "InvalidPropertyValue", "networkConfiguration.subnetId"},
        BadBody{"SubnetClassicVnet", "/networkConfiguration/subnetId",
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-batch/"
                "providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-batch/subnets/nodes",
                "InvalidPropertyValue", "networkConfiguration.subnetId"},
        BadBody{"SubnetOtherSubscription", "/networkConfiguration/subnetId",
                "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-batch/"
                "providers/Microsoft.Network/virtualNetworks/vnet-batch/subnets/nodes",
                "InvalidPropertyValue", "networkConfiguration.subnetId"},
        BadBody{"SubnetMissing", "/networkConfiguration/subnetId",
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-batch/"
                "providers/Microsoft.Network/virtualNetworks/vnet-batch/subnets/nope",
                "InvalidPropertyValue", "networkConfiguration.subnetId"}),
    [](const ::testing::TestParamInfo<BadBody>& p) { return p.param.name; });

}  // namespace
}  // namespace pw::simtest
