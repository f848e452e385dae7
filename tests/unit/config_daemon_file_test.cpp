// Daemon file rules: each error with its file, line and field; paths, listen, secrets,
// limits, clouds, size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "config_load_fixture.hpp"

namespace pw::config::load_test {
namespace {

struct DaemonCase {
    std::string name;
    std::string text;
    std::vector<std::string> errors;
};

void PrintTo(const DaemonCase& c, std::ostream* os) { *os << c.name; }

class DaemonRules : public ::testing::TestWithParam<DaemonCase> {};

TEST_P(DaemonRules, ReportsExactError) {
    TempDir dir;
    auto file = dir.Write("poolwarden.yaml", GetParam().text);
    auto loaded = LoadDaemonFile(file);
    std::vector<std::string> got;
    if (!loaded.ok()) got = Texts(loaded.error(), dir.path());
    EXPECT_EQ(got, GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(
    Config, DaemonRules,
    ::testing::Values(
        DaemonCase{"Valid", kDaemon, {}},
        DaemonCase{"UnknownKeyDidYouMean",
                   std::string(kDaemon) + "poolDir: x\n",
                   {D + "7:1: poolDir: unknown key (did you mean 'poolsDir'?)"}},
        DaemonCase{"EmptyFile",
                   "",
                   {"poolwarden.yaml: the file is empty; expected a map of daemon settings"}},
        DaemonCase{"NotAMap",
                   "just text\n",
                   {D + "1:1: expected a map of daemon settings, got 'just text'"}},
        DaemonCase{"CloudName", "cloud: AzureChinaCloud\npoolsDir: pools.d\n", {}},
        DaemonCase{
            "CloudNameTypo",
            "cloud: AzurePublicClod\npoolsDir: pools.d\n",
            {D + "1:8: cloud: expected one of AzurePublicCloud, AzureUSGovernment, "
                 "AzureChinaCloud, got 'AzurePublicClod' (did you mean 'AzurePublicCloud'?)"}},
        DaemonCase{"CloudMapMissingKey",
                   "cloud:\n  resourceManager: https://rm.example/\n  authorityHost: "
                   "https://login.example/\n  batchResource: https://batch.example/\npoolsDir: "
                   "pools.d\n",
                   {D + "2:3: cloud.managementResource: required key is missing"}},
        DaemonCase{"CloudHttpOnlyToLoopback",
                   "cloud:\n  resourceManager: http://rm.example/\n  authorityHost: "
                   "http://localhost:8080/\n  batchResource: http://127.1.2.3/\n  "
                   "managementResource: http://[::1]:9/\n  imdsEndpoint: "
                   "http://169.254.169.254/metadata/identity/oauth2/token\npoolsDir: pools.d\n",
                   {D + "2:20: cloud.resourceManager: plain http is allowed only to loopback "
                        "hosts (127.0.0.0/8, ::1, localhost); use https"}},
        DaemonCase{"CloudNotAUrl",
                   "cloud:\n  resourceManager: rm.example\n  authorityHost: ftp://x/\n  "
                   "batchResource: https://b/\n  managementResource: https://m/\npoolsDir: "
                   "pools.d\n",
                   {D + "2:20: cloud.resourceManager: expected an https:// URL, got 'rm.example'",
                    D + "3:18: cloud.authorityHost: expected an https:// URL, got 'ftp://x/'"}},
        DaemonCase{"AuthMethodEnum",
                   "auth: {method: password}\npoolsDir: pools.d\n",
                   {D + "1:16: auth.method: expected one of managedIdentity, clientSecret, "
                        "workloadIdentity, got 'password'"}},
        DaemonCase{"ClientSecretNeedsFields",
                   "auth:\n  method: clientSecret\npoolsDir: pools.d\n",
                   {D + "2:3: auth.tenantId: required when method is clientSecret",
                    D + "2:3: auth.clientId: required when method is clientSecret"}},
        // Without clientSecretFile the secret is systemd's credential or AZURE_CLIENT_SECRET.
        DaemonCase{"ClientSecretFileOptional",
                   "auth:\n  method: clientSecret\n  tenantId: contoso.onmicrosoft.com\n  "
                   "clientId: 33333333-3333-3333-3333-333333333333\npoolsDir: pools.d\n",
                   {}},
        DaemonCase{"WorkloadIdentityTokenFileOptional",
                   "auth:\n  method: workloadIdentity\n  tenantId: contoso.onmicrosoft.com\n  "
                   "clientId: 33333333-3333-3333-3333-333333333333\npoolsDir: pools.d\n",
                   {}},
        DaemonCase{"WorkloadIdentityNeedsClientId",
                   "auth:\n  method: workloadIdentity\n  tenantId: "
                   "22222222-2222-2222-2222-222222222222\npoolsDir: pools.d\n",
                   {D + "2:3: auth.clientId: required when method is workloadIdentity"}},
        DaemonCase{"ManagedIdentityRejectsSecretFile",
                   "auth:\n  method: managedIdentity\n  clientSecretFile: s\npoolsDir: pools.d\n",
                   {D + "3:21: auth.clientSecretFile: only used with method clientSecret"}},
        DaemonCase{"ClientIdNotGuid",
                   "auth: {clientId: my-app}\npoolsDir: pools.d\n",
                   {D + "1:18: auth.clientId: expected a GUID like "
                        "00000000-0000-0000-0000-000000000000, got 'my-app'"}},
        DaemonCase{"AccountRules",
                   "accounts:\n  - name: a\n    subscriptionId: 1111\n    resourceGroup: rg\n    "
                   "accountName: Render_Batch\n    endpoint: http://a.example/\n  - name: A\n    "
                   "subscriptionId: 11111111-1111-1111-1111-111111111111\n    resourceGroup: "
                   "rg.\n    accountName: ok1\npoolsDir: pools.d\n",
                   {D + "3:21: accounts[0].subscriptionId: expected a GUID like "
                        "00000000-0000-0000-0000-000000000000, got '1111'",
                    D + "5:18: accounts[0].accountName: a Batch account name is 3-24 lowercase "
                        "letters and digits",
                    D + "6:15: accounts[0].endpoint: plain http is allowed only to loopback "
                        "hosts (127.0.0.0/8, ::1, localhost); use https",
                    D + "7:11: accounts[1].name: account name 'A' is already declared at line 2",
                    D + "9:20: accounts[1].resourceGroup: must be 1-90 letters, digits, '-', "
                        "'_', '.', '(' or ')', not ending in '.'"}},
        DaemonCase{"AccountsNotAList",
                   "accounts: {name: a}\npoolsDir: pools.d\n",
                   {D + "1:11: accounts: expected a list of accounts, got a map"}},
        DaemonCase{"PolicyBounds",
                   "policy:\n  vmsPerReplica: 0\n  maxReplicasPerRegion: 101\n  extraReplicas: "
                   "-1\n  resizeTimeoutPer1000Vms: 30s\n  lowerReplicas: 1\npoolsDir: pools.d\n",
                   {D + "2:18: policy.vmsPerReplica: must be >= 1",
                    D + "3:25: policy.maxReplicasPerRegion: must be <= 100",
                    D + "4:18: policy.extraReplicas: must be >= 0",
                    D + "5:28: policy.resizeTimeoutPer1000Vms: must be >= 1m",
                    D + "6:18: policy.lowerReplicas: expected true or false, got '1'"}},
        DaemonCase{"QuotaTypes",
                   "quota:\n  partialGrowth: sometimes\n  partialGrow: true\npoolsDir: pools.d\n",
                   {D + "2:18: quota.partialGrowth: expected true or false, got 'sometimes'",
                    D + "3:3: quota.partialGrow: unknown key (did you mean 'partialGrowth'?)"}},
        DaemonCase{"QuotaNotAMap",
                   "quota: true\npoolsDir: pools.d\n",
                   {D + "1:8: quota: expected a map, got 'true'"}},
        DaemonCase{"ReconcileBounds",
                   "reconcile: {interval: 0s, concurrency: 65}\npoolsDir: pools.d\n",
                   {D + "1:23: reconcile.interval: must be >= 1s",
                    D + "1:40: reconcile.concurrency: must be <= 64"}},
        DaemonCase{"LimitsTypoAndBounds",
                   "limits:\n  armRead: {burst: 10}\n  armWrites: {burst: 0, perSecond: 0.001}\n"
                   "  batch: {burst: many, perSec: 5}\npoolsDir: pools.d\n",
                   {D + "2:3: limits.armRead: unknown key (did you mean 'armReads'?)",
                    D + "3:22: limits.armWrites.burst: must be >= 1",
                    D + "3:36: limits.armWrites.perSecond: must be >= 0.01",
                    D + "4:18: limits.batch.burst: expected a number like 25 or 0.5, got "
                        "'many'",
                    D + "4:24: limits.batch.perSec: unknown key (did you mean 'perSecond'?)"}},
        DaemonCase{"ListenNotHostPort",
                   "listen: 9464\npoolsDir: pools.d\n",
                   {D + "1:9: listen: expected host:port (e.g. 127.0.0.1:9464 or [::1]:9464), "
                        "got '9464'"}},
        DaemonCase{"ListenPortRange",
                   "listen: \"[::1]:70000\"\npoolsDir: pools.d\n",
                   {D + "1:9: listen: port 70000 is out of range (0-65535)"}},
        DaemonCase{"ListenMapRules",
                   "listen:\n  address: 9464\n  maxConnections: 0\npoolsDir: pools.d\n",
                   {D + "2:12: listen.address: expected host:port (e.g. 127.0.0.1:9464 or "
                        "[::1]:9464), got '9464'",
                    D + "3:19: listen.maxConnections: must be >= 1"}},
        DaemonCase{"ListenMaxConnectionsBound",
                   "listen: {maxConnections: 5000}\npoolsDir: pools.d\n",
                   {D + "1:26: listen.maxConnections: must be <= 1024"}}),
    [](const ::testing::TestParamInfo<DaemonCase>& param_info) { return param_info.param.name; });

TEST(DaemonFile, MissingPoolsDirNamesTheResolvedFolder) {
    TempDir dir;
    auto loaded = LoadDaemonFile(dir.Write("poolwarden.yaml", "poolsDir: nowhere\n"));
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(Texts(loaded.error(), dir.path()),
                ElementsAre(D + "1:11: poolsDir: directory does not exist: " +
                            (dir.path() / "nowhere").string()));
}

TEST(DaemonFile, RelativePathsResolveAgainstItsFolder) {
    TempDir dir;
    dir.Write("secret", "s");
    fs::permissions(dir.path() / "secret", fs::perms::owner_read | fs::perms::owner_write);
    auto loaded = LoadDaemonFile(
        dir.Write("poolwarden.yaml",
                  "auth: {method: clientSecret, tenantId: 22222222-2222-2222-2222-222222222222, "
                  "clientId: 33333333-3333-3333-3333-333333333333, clientSecretFile: secret}\n"
                  "accounts: []\npoolsDir: pools.d\n"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->pools_dir, dir.path() / "pools.d");
    EXPECT_EQ(loaded->auth.client_secret_file, (dir.path() / "secret").string());
    EXPECT_EQ(loaded->cloud.resource_manager, "https://management.azure.com/");
    EXPECT_THAT(Texts(loaded->warnings, dir.path()),
                ElementsAre("poolwarden.yaml: accounts: no accounts declared: pool files cannot "
                            "refer to any"));
}

TEST(DaemonFile, ListenAsAMapSetsTheConnectionCap) {
    TempDir dir;
    auto plain = LoadDaemonFile(dir.Write("poolwarden.yaml", "poolsDir: pools.d\n"));
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->listen, "127.0.0.1:9464");
    EXPECT_EQ(plain->listen_max_connections, 64);
    auto mapped = LoadDaemonFile(
        dir.Write("poolwarden.yaml",
                  "poolsDir: pools.d\nlisten:\n  address: \"[::1]:9000\"\n  maxConnections: 16\n"));
    ASSERT_TRUE(mapped.ok());
    EXPECT_EQ(mapped->listen, "[::1]:9000");
    EXPECT_EQ(mapped->listen_max_connections, 16);
    auto cap_only = LoadDaemonFile(
        dir.Write("poolwarden.yaml", "poolsDir: pools.d\nlisten: {maxConnections: 8}\n"));
    ASSERT_TRUE(cap_only.ok());
    EXPECT_EQ(cap_only->listen, "127.0.0.1:9464");
    EXPECT_EQ(cap_only->listen_max_connections, 8);
}

TEST(DaemonFile, ASecretFileThatIsNoFileIsNotEchoed) {
    // A secret pasted where its file name belongs must not reach warnings (and so logs).
    TempDir dir;
    fs::create_directories(dir.path() / "a-directory");
    for (const std::string value : {"Xy9~pasted.secret-VALUE_not.a.file", "a-directory"}) {
        SCOPED_TRACE(value);
        auto loaded = LoadDaemonFile(dir.Write(
            "poolwarden.yaml",
            std::string(kDaemon) +
                "auth:\n  method: clientSecret\n  tenantId: 22222222-2222-2222-2222-222222222222\n"
                "  clientId: 33333333-3333-3333-3333-333333333333\n  clientSecretFile: " +
                value + "\n"));
        ASSERT_TRUE(loaded.ok());
        const auto texts = Texts(loaded->warnings, dir.path());
        ASSERT_EQ(texts.size(), 1U);
        EXPECT_EQ(texts[0].find(value), std::string::npos) << texts[0];
        EXPECT_THAT(texts[0], ::testing::StartsWith(D + "11:21: auth.clientSecretFile: "));
        EXPECT_THAT(texts[0], ::testing::HasSubstr("not a readable file"));
    }
}

TEST(DaemonFile, SecretReadableByOthersIsAWarning) {
    TempDir dir;
    dir.Write("secret", "s");
    fs::permissions(dir.path() / "secret", fs::perms::owner_read | fs::perms::owner_write |
                                               fs::perms::group_read | fs::perms::others_read);
    auto loaded = LoadDaemonFile(dir.Write(
        "poolwarden.yaml",
        std::string(kDaemon) +
            "auth:\n  method: clientSecret\n  tenantId: 22222222-2222-2222-2222-222222222222\n"
            "  clientId: 33333333-3333-3333-3333-333333333333\n  clientSecretFile: secret\n"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_THAT(Texts(loaded->warnings, dir.path()),
                ElementsAre(D + "11:21: auth.clientSecretFile: the secret file is accessible by "
                                "group or others (mode 0644); run chmod 600 on it"));
}

TEST(DaemonFile, LimitsDefaultToArmsTokenBucketsAndCanBeSet) {
    TempDir dir;
    auto defaults = LoadDaemonFile(dir.Write("poolwarden.yaml", "poolsDir: pools.d\n"));
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults->limits.arm_reads, (BucketLimit{250, 25}));
    EXPECT_EQ(defaults->limits.arm_writes, (BucketLimit{200, 10}));
    auto set = LoadDaemonFile(
        dir.Write("poolwarden.yaml",
                  "limits:\n  armReads: {burst: 100, perSecond: 2.5}\n  batch: {perSecond: 50}\n"
                  "poolsDir: pools.d\n"));
    ASSERT_TRUE(set.ok()) << Texts(set.error(), dir.path())[0];
    EXPECT_EQ(set->limits.arm_reads, (BucketLimit{100, 2.5}));
    EXPECT_EQ(set->limits.arm_writes, (BucketLimit{200, 10}));
    EXPECT_EQ(set->limits.batch, (BucketLimit{40, 50}));
}

TEST(DaemonFile, SovereignCloudEndpoints) {
    TempDir dir;
    auto loaded = LoadDaemonFile(
        dir.Write("poolwarden.yaml", "cloud: AzureUSGovernment\npoolsDir: pools.d\n"));
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->cloud.resource_manager, "https://management.usgovcloudapi.net/");
    EXPECT_EQ(loaded->cloud.authority_host, "https://login.microsoftonline.us/");
    EXPECT_EQ(loaded->cloud.batch_resource, "https://batch.core.usgovcloudapi.net/");
    EXPECT_EQ(loaded->cloud.management_resource, "https://management.core.usgovcloudapi.net/");
}

TEST(DaemonFile, OversizedFileRejectedBeforeParsing) {
    TempDir dir;
    auto file = dir.Write("poolwarden.yaml", "# " + std::string(10 * 1024 * 1024, 'x') + "\n");
    auto loaded = LoadDaemonFile(file);
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(Texts(loaded.error(), dir.path()),
                ElementsAre("poolwarden.yaml: the file is 10485763 bytes; config files are "
                            "limited to 1 MiB (1048576 bytes)"));
}

TEST(DaemonFile, MissingFile) {
    auto loaded = LoadDaemonFile("/nonexistent/poolwarden.yaml");
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(Texts(loaded.error(), {}),
                ElementsAre("/nonexistent/poolwarden.yaml: cannot read the file: No such file or "
                            "directory"));
}

// ---- several files --------------------------------------------------------------------------

}  // namespace
}  // namespace pw::config::load_test
