// The table-declared pool properties (model/pool_fields.hpp): the loader's checks and each
// cross-field rule (config/pool_rules.cpp) by a table of cases with their exact messages, the
// Pool-Add encoding with secrets read by file, and ReadSecretFile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "codec/encode.hpp"
#include "config/load.hpp"
#include "config/secret_file.hpp"
#include "config_fixture.hpp"

// A namespace of its own: config_test is compiled as one unit with config_load_test.cpp.
namespace pw::config::props_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using fixture::TempDir;

const char* kDaemon =
    "accounts:\n  - {name: a, subscriptionId: 11111111-1111-1111-1111-111111111111, "
    "resourceGroup: rg, accountName: abc}\npoolsDir: pools.d\n";

/// A valid pool whose line 8 onwards is `extra` (indented by 4 under the pool).
std::string Pool(const std::string& extra) {
    return "pools:\n  - id: p1\n    account: a\n    vmSize: S\n    image: "
           "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/"
           "versions/1.0.0\n    nodeAgentSkuId: n\n    scale: {targetDedicatedNodes: 1}\n" +
           extra;
}

std::vector<std::string> Load(const TempDir& dir, const std::string& pool_text,
                              std::vector<model::PoolSpec>* pools = nullptr) {
    dir.Write("poolwarden.yaml", kDaemon);
    dir.Write("pools.d/p.yaml", pool_text);
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    EXPECT_TRUE(loaded.ok());
    std::vector<std::string> out;
    if (!loaded.ok()) return out;
    const std::string prefix = "pools.d/p.yaml:";
    for (const auto& e : loaded->all_errors()) {
        std::string s = e.str();
        if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
        out.push_back(s);
    }
    if (pools) *pools = loaded->desired().pools;
    return out;
}

struct Case {
    std::string name;
    std::string extra;
    std::vector<std::string> errors;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PropRules : public ::testing::TestWithParam<Case> {};

TEST_P(PropRules, ReportsExactErrors) {
    TempDir dir;
    std::vector<model::PoolSpec> pools;
    EXPECT_EQ(Load(dir, Pool(GetParam().extra), &pools), GetParam().errors);
    EXPECT_EQ(pools.size(), GetParam().errors.empty() ? 1u : 0u);
}

const std::string kVm = "    virtualMachineConfiguration:\n";
const std::string kMount = "    mountConfiguration:\n      - ";
const std::string kNat =
    "    networkConfiguration:\n      endpointConfiguration:\n        inboundNATPools:\n";

INSTANTIATE_TEST_SUITE_P(
    Pool, PropRules,
    ::testing::Values(
        Case{"NestedTypoDidYouMean",
             kVm + "      dataDisk: []\n",
             {"9:7: pools[0].virtualMachineConfiguration.dataDisk: unknown key (did you mean "
              "'dataDisks'?)"}},
        Case{"LunOutOfRange",
             kVm + "      dataDisks: [{lun: 64, diskSizeGB: 10}]\n",
             {"9:25: pools[0].virtualMachineConfiguration.dataDisks[0].lun: must be <= 63"}},
        Case{"DiskSizeZero",
             kVm + "      dataDisks: [{lun: 1, diskSizeGB: 0}]\n",
             {"9:40: pools[0].virtualMachineConfiguration.dataDisks[0].diskSizeGB: must be >= 1"}},
        Case{"DiskSizeMissing",
             kVm + "      dataDisks: [{lun: 1}]\n",
             {"9:19: pools[0].virtualMachineConfiguration.dataDisks[0].diskSizeGB: required key "
              "is missing"}},
        Case{"EnumDidYouMean",
             kVm + "      osDisk: {caching: readOnly}\n",
             {"9:25: pools[0].virtualMachineConfiguration.osDisk.caching: expected one of none, "
              "readonly, readwrite, got 'readOnly' (did you mean 'readonly'?)"}},
        Case{"UniqueLun",
             kVm + "      dataDisks: [{lun: 1, diskSizeGB: 10}, {lun: 1, diskSizeGB: 20}]\n",
             {"9:51: pools[0].virtualMachineConfiguration.dataDisks[1].lun: lun '1' is used "
              "twice"}},
        Case{"LiteralSecret",
             kVm + "      containerConfiguration:\n        type: dockerCompatible\n"
                   "        containerRegistries: [{username: u, password: p}]\n",
             {"11:45: pools[0].virtualMachineConfiguration.containerConfiguration."
              "containerRegistries[0].password: secrets are never written in pool files; put "
              "the value in a file and name it with passwordFile"}},
        Case{"RegistryPasswordWithoutUser",
             kVm + "      containerConfiguration:\n        type: dockerCompatible\n"
                   "        containerRegistries: [{passwordFile: f}]\n",
             {"11:31: pools[0].virtualMachineConfiguration.containerConfiguration."
              "containerRegistries[0].username: required with passwordFile"}},
        Case{"UefiWithoutSecurityType",
             kVm + "      securityProfile: {uefiSettings: {secureBootEnabled: true}}\n",
             {"9:24: pools[0].virtualMachineConfiguration.securityProfile.securityType: "
              "required with uefiSettings"}},
        Case{"UnknownProvisionAfter",
             kVm + "      extensions: [{name: a, publisher: p, type: t, provisionAfterExtensions: "
                   "[b]}]\n",
             {"9:80: pools[0].virtualMachineConfiguration.extensions[0]."
              "provisionAfterExtensions[0]: no extension named 'b' in this pool"}},
        Case{"MountNeedsOneFileSystem",
             kMount + "{}\n",
             {"9:9: pools[0].mountConfiguration[0]: set one of azureBlobFileSystemConfiguration, "
              "nfsMountConfiguration, cifsMountConfiguration or azureFileShareConfiguration"}},
        Case{"BlobfuseNeedsOneCredential",
             kMount + "azureBlobFileSystemConfiguration: {accountName: a, containerName: c, "
                      "relativeMountPath: m, accountKeyFile: k, sasKeyFile: s}\n",
             {"9:43: pools[0].mountConfiguration[0].azureBlobFileSystemConfiguration: set only "
              "one of accountKeyFile, sasKeyFile or identityReference, not several"}},
        Case{"BlobfuseLiteralKey",
             kMount + "azureBlobFileSystemConfiguration: {accountName: a, containerName: c, "
                      "relativeMountPath: m, accountKey: k}\n",
             {"9:100: pools[0].mountConfiguration[0].azureBlobFileSystemConfiguration."
              "accountKey: secrets are never written in pool files; put the value in a file and "
              "name it with accountKeyFile"}},
        Case{"UniqueMountPath",
             kMount + "nfsMountConfiguration: {source: s, relativeMountPath: m}\n      - "
                      "nfsMountConfiguration: {source: t, relativeMountPath: m}\n",
             {"10:63: pools[0].mountConfiguration[1].nfsMountConfiguration.relativeMountPath: "
              "relativeMountPath 'm' is used twice"}},
        Case{"NsgPriorityRange",
             kNat +
                 "          - {name: ssh, protocol: tcp, backendPort: 22, frontendPortRangeStart: "
                 "1000, frontendPortRangeEnd: 1100, networkSecurityGroupRules: [{priority: "
                 "100, access: allow, sourceAddressPrefix: '*'}]}\n",
             {"11:154: pools[0].networkConfiguration.endpointConfiguration.inboundNATPools[0]."
              "networkSecurityGroupRules[0].priority: must be >= 150"}},
        Case{"FrontendRangeTooSmall",
             kNat +
                 "          - {name: ssh, protocol: tcp, backendPort: 22, frontendPortRangeStart: "
                 "1000, frontendPortRangeEnd: 1010}\n",
             {"11:13: pools[0].networkConfiguration.endpointConfiguration.inboundNATPools[0]: "
              "the frontend port range 1000-1010 has 11 ports; Batch needs at least 40"}},
        Case{"ReservedBackendPort",
             kNat + "          - {name: x, protocol: tcp, backendPort: 29876, "
                    "frontendPortRangeStart: 1000, frontendPortRangeEnd: 1100}\n",
             {"11:51: pools[0].networkConfiguration.endpointConfiguration.inboundNATPools[0]."
              "backendPort: ports 29876 and 29877 are reserved by Batch"}},
        Case{"IpIdsNeedUserManaged",
             "    networkConfiguration:\n      publicIPAddressConfiguration: {ipAddressIds: "
             "[x]}\n",
             {"9:52: pools[0].networkConfiguration.publicIPAddressConfiguration.ipAddressIds: "
              "only used with provision: usermanaged"}},
        Case{"TooManyPackages",
             "    applicationPackageReferences: [{applicationId: a}, {applicationId: b}, "
             "{applicationId: c}, {applicationId: d}, {applicationId: e}, {applicationId: f}, "
             "{applicationId: g}, {applicationId: h}, {applicationId: i}, {applicationId: j}, "
             "{applicationId: k}]\n",
             {"8:35: pools[0].applicationPackageReferences: has 11 items; the limit is 10"}},
        Case{"UidWithoutGid",
             "    userAccounts: [{name: u, passwordFile: f, linuxUserConfiguration: {uid: 1}}]\n",
             {"8:71: pools[0].userAccounts[0].linuxUserConfiguration: set uid and gid together "
              "or not at all"}},
        Case{"ElevatedAndUserIdentity",
             "    startTask: {commandLine: x, elevated: true, userIdentity: {autoUser: {scope: "
             "pool}}}\n",
             {"8:63: pools[0].startTask.userIdentity: set either elevated or userIdentity, not "
              "both (elevated: true is userIdentity autoUser {scope: pool, elevationLevel: "
              "admin})"}},
        Case{"UserIdentityNeedsOne",
             "    startTask: {commandLine: x, userIdentity: {}}\n",
             {"8:47: pools[0].startTask.userIdentity: set one of userName or autoUser"}},
        Case{"UserNameNotAnAccount",
             "    startTask: {commandLine: x, userIdentity: {userName: bob}}\n",
             {"8:58: pools[0].startTask.userIdentity.userName: no user account named 'bob' in "
              "this pool's userAccounts"}},
        Case{"ResourceFileSas",
             "    startTask: {commandLine: x, resourceFiles: [{httpUrl: "
             "'https://a.blob.core.windows.net/c/f?sv=1&sig=abc', filePath: f}]}\n",
             {"8:59: pools[0].startTask.resourceFiles[0].httpUrl: is a URL with a SAS token "
              "(sig=), a secret that must not be in a pool file; use autoStorageContainerName or "
              "identityReference instead"}},
        Case{"ResourceFileNeedsFilePath",
             "    startTask: {commandLine: x, resourceFiles: [{httpUrl: https://h/f}]}\n",
             {"8:49: pools[0].startTask.resourceFiles[0].filePath: required with httpUrl"}},
        Case{"ContainerSettingsWithoutContainers",
             "    startTask: {commandLine: x, containerSettings: {imageName: i}}\n",
             {"8:52: pools[0].startTask.containerSettings: needs "
              "virtualMachineConfiguration.containerConfiguration on the pool"}},
        Case{"Valid",
             kVm + "      dataDisks: [{lun: 0, diskSizeGB: 10}]\n"
                   "    mountConfiguration:\n      - nfsMountConfiguration: {source: s, "
                   "relativeMountPath: m}\n    targetNodeCommunicationMode: simplified\n",
             {}}),
    [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

const fs::path kSource = PW_SOURCE_DIR;

/// The production pool of the examples (config/examples/pools.d/sim-hpc.yaml), copied with
/// its daemon file into `dir` and loaded.
model::PoolSpec ProductionExample(const TempDir& dir) {
    fs::copy(kSource / "config/examples", dir.path() / "examples", fs::copy_options::recursive);
    auto loaded = LoadConfig(dir.path() / "examples/poolwarden.yaml");
    EXPECT_TRUE(loaded.ok());
    EXPECT_THAT(loaded->all_errors(), ::testing::IsEmpty());
    auto pools = loaded->desired().pools;
    auto it = std::find_if(pools.begin(), pools.end(),
                           [](const model::PoolSpec& p) { return p.id == "sim-hpc"; });
    EXPECT_NE(it, pools.end());
    return it == pools.end() ? model::PoolSpec{} : *it;
}

TEST(PoolAddBody, CarriesEveryDeclaredPropertyUnderItsRestNameWithSecretsFromFiles) {
    TempDir dir;
    auto spec = ProductionExample(dir);
    std::vector<std::string> read;
    auto reader = [&](const model::PropValue& f) -> Result<std::string, std::string> {
        read.push_back(f.text);
        return ReadSecretFile(f, [](const char*) { return std::string(); });
    };
    auto encoded = codec::EncodePoolAdd(spec, std::chrono::minutes(15), reader);
    ASSERT_TRUE(encoded.ok()) << encoded.error();
    auto body = json::parse(*encoded);
    EXPECT_THAT(read, ::testing::ElementsAre("demo-secrets/fake-registry-password",
                                             "demo-secrets/fake-storage-key"));
    const auto& vm = body["virtualMachineConfiguration"];
    EXPECT_EQ(vm["nodeAgentSKUId"], "batch.node.ubuntu 22.04");
    EXPECT_TRUE(vm["imageReference"].contains("virtualMachineImageId"));
    EXPECT_EQ(vm["osDisk"]["ephemeralOSDiskSettings"]["placement"], "cachedisk");
    EXPECT_EQ(vm["dataDisks"][0], json({{"lun", 0},
                                        {"caching", "readwrite"},
                                        {"diskSizeGB", 512},
                                        {"storageAccountType", "premium_lrs"}}));
    EXPECT_EQ(vm["securityProfile"]["securityType"], "trustedLaunch");
    const auto& registry = vm["containerConfiguration"]["containerRegistries"][0];
    EXPECT_EQ(registry["password"], "demo-registry-password-not-for-production");
    EXPECT_FALSE(registry.contains("passwordFile"));
    const auto& blob = body["mountConfiguration"][0]["azureBlobFileSystemConfiguration"];
    EXPECT_EQ(blob["accountKey"], "ZGVtby1zdG9yYWdlLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=");
    EXPECT_EQ(body["networkConfiguration"]["publicIPAddressConfiguration"]["provision"],
              "nopublicipaddresses");
    EXPECT_EQ(body["targetNodeCommunicationMode"], "simplified");
    EXPECT_EQ(body["taskSchedulingPolicy"]["nodeFillType"], "pack");
    const auto& task = body["startTask"];
    EXPECT_EQ(task["resourceFiles"].size(), 2u);
    EXPECT_EQ(task["resourceFiles"][1]["fileMode"], "0755");
    EXPECT_EQ(task["userIdentity"]["autoUser"]["elevationLevel"], "admin");
    EXPECT_EQ(task["containerSettings"]["imageName"], "studiocr.azurecr.io/sim/solver:2.3");
    EXPECT_EQ(body["displayName"], "Simulation (containers, private network)");
}

TEST(PoolAddBody, AnUnreadableSecretFailsTheWriteNamingTheFileOnly) {
    TempDir dir;
    auto spec = ProductionExample(dir);
    fs::remove(dir.path() / "examples/demo-secrets/fake-storage-key");
    auto encoded = codec::EncodePoolAdd(spec, std::nullopt, [](const model::PropValue& f) {
        return ReadSecretFile(f, [](const char*) { return std::string(); });
    });
    ASSERT_FALSE(encoded.ok());
    EXPECT_THAT(encoded.error(),
                ::testing::StartsWith("secret file demo-secrets/fake-storage-key: "));
    EXPECT_THAT(encoded.error(), ::testing::Not(::testing::HasSubstr("demo-registry")));
}

TEST(PoolAddBody, APoolWithoutSecretsNeverCallsTheReader) {
    TempDir dir;
    std::vector<model::PoolSpec> pools;
    ASSERT_THAT(Load(dir, Pool("    displayName: d\n"), &pools), ::testing::IsEmpty());
    ASSERT_EQ(pools.size(), 1u);
    int calls = 0;
    auto encoded = codec::EncodePoolAdd(pools[0], std::nullopt, [&](const model::PropValue&) {
        ++calls;
        return Result<std::string, std::string>(std::string("x"));
    });
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(json::parse(*encoded)["displayName"], "d");
}

TEST(ReadSecretFile, PrefersTheCredentialsDirectoryForRelativePaths) {
    TempDir dir;
    dir.Write("beside/key", "from-daemon-folder\n");
    dir.Write("creds/key", "from-credentials\r\n");
    model::PropValue f;
    f.kind = model::PropValue::Kind::SecretFile;
    f.text = "key";
    f.resolved = (dir.path() / "beside/key").string();
    auto none = [](const char*) { return std::string(); };
    EXPECT_EQ(*ReadSecretFile(f, none), "from-daemon-folder");
    const std::string creds = (dir.path() / "creds").string();
    auto with = [&](const char* name) {
        return std::string(name) == "CREDENTIALS_DIRECTORY" ? creds : std::string();
    };
    EXPECT_EQ(*ReadSecretFile(f, with), "from-credentials");
    dir.Write("beside/empty", "\n");
    f.text = (dir.path() / "beside/empty").string();
    f.resolved = f.text;
    EXPECT_EQ(ReadSecretFile(f, with).error(), "secret file " + f.text + ": empty");
}

}  // namespace
}  // namespace pw::config::props_test
