#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "config_fixture.hpp"

namespace pw::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using fixture::TempDir;

/// Error texts with the temp folder stripped, so expectations read as relative file names.
std::vector<std::string> Texts(const std::vector<ConfigError>& errors, const fs::path& dir) {
    std::vector<std::string> out;
    std::string prefix = dir.string() + "/";
    for (const auto& e : errors) {
        std::string s = e.str();
        if (!dir.empty() && s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
        out.push_back(s);
    }
    return out;
}

const char* kImage =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

const char* kDaemon = R"(accounts:
  - name: render-eus
    subscriptionId: 11111111-1111-1111-1111-111111111111
    resourceGroup: rg-batch
    accountName: renderbatch
poolsDir: pools.d
)";

/// A valid pool (lines 1-7); `extra` lines start at line 8. `replace` swaps a base line.
std::string Pool(const std::string& extra = "", const std::string& from = "",
                 const std::string& to = "") {
    std::string text =
        "pools:\n"
        "  - id: p1\n"
        "    account: render-eus\n"
        "    vmSize: Standard_D4s_v3\n"
        "    image: " +
        std::string(kImage) +
        "\n"
        "    nodeAgentSkuId: batch.node.ubuntu 22.04\n"
        "    scale: {targetDedicatedNodes: 1}\n" +
        extra;
    if (!from.empty()) {
        auto pos = text.find(from);
        EXPECT_NE(pos, std::string::npos) << from;
        if (pos != std::string::npos) text.replace(pos, from.size(), to);
    }
    return text;
}

struct PoolCase {
    std::string name;
    std::string text;
    std::vector<std::string> errors;
};

void PrintTo(const PoolCase& c, std::ostream* os) { *os << c.name; }

class PoolRules : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolRules, ReportsExactError) {
    TempDir dir;
    dir.Write("poolwarden.yaml", kDaemon);
    dir.Write("pools.d/render.yaml", GetParam().text);
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    ASSERT_TRUE(loaded.ok()) << Texts(loaded.error(), dir.path())[0];
    EXPECT_EQ(Texts(loaded->all_errors(), dir.path()), GetParam().errors);
    ASSERT_EQ(loaded->pool_files.size(), 1u);
    if (!GetParam().errors.empty()) {
        EXPECT_THAT(loaded->desired().pools, IsEmpty());
    }
}

const std::string F = "pools.d/render.yaml:";

INSTANTIATE_TEST_SUITE_P(
    Config, PoolRules,
    ::testing::Values(
        PoolCase{"Valid", Pool(), {}},
        PoolCase{"UnknownKeyDidYouMean",
                 Pool("    taskSlotPerNode: 4\n"),
                 {F + "8:5: pools[0].taskSlotPerNode: unknown key (did you mean "
                      "'taskSlotsPerNode'?)"}},
        PoolCase{
            "UnknownKeyNoSuggestion",
            Pool("    colour: blue\n"),
            {F +
             "8:5: pools[0].colour: unknown key; expected one of: id, account, vmSize, "
             "image, nodeAgentSkuId, scale, resizeTimeout, nodeDeallocationOption, "
             "taskSlotsPerNode, startTask, metadata, adopt, updatePolicy, identity, displayName, "
             "virtualMachineConfiguration, networkConfiguration, mountConfiguration, "
             "userAccounts, applicationPackageReferences, taskSchedulingPolicy, "
             "enableInterNodeCommunication, targetNodeCommunicationMode, resourceTags, "
             "upgradePolicy"}},
        PoolCase{"UpdatePolicyErrors",
                 Pool("    updatePolicy:\n"
                      "      strategy: drainAndSwapp\n"
                      "      drain: {timeout: 1m, onTimeout: taskcompletion}\n"
                      "      maintenanceWindows:\n"
                      "        - {days: [Sat, Sunday], start: \"25:00\", duration: 6h}\n"
                      "        - {start: \"01:00\"}\n"),
                 {F + "9:17: pools[0].updatePolicy.strategy: expected one of manual, drainAndSwap, "
                      "got 'drainAndSwapp' (did you mean 'drainAndSwap'?)",
                  F + "10:24: pools[0].updatePolicy.drain.timeout: must be >= 5m (Batch's minimum "
                      "resizeTimeout)",
                  F + "10:39: pools[0].updatePolicy.drain.onTimeout: expected one of requeue, "
                      "terminate, got 'taskcompletion'",
                  F + "12:24: pools[0].updatePolicy.maintenanceWindows[0].days[1]: expected a day: "
                      "Mon, Tue, Wed, Thu, Fri, Sat or Sun",
                  F + "12:40: pools[0].updatePolicy.maintenanceWindows[0].start: expected a UTC "
                      "time HH:MM (00:00 .. 23:59)",
                  F + "13:11: pools[0].updatePolicy.maintenanceWindows[1].duration: required key "
                      "is missing"}},
        PoolCase{"UnknownTopLevelKey",
                 "pool:\n  - id: x\n",
                 {F + "1:1: pool: unknown key (did you mean 'pools'?)",
                  F + "1:1: pools: required key is missing"}},
        PoolCase{"WrongTypeInteger",
                 Pool("    taskSlotsPerNode: four\n"),
                 {F + "8:23: pools[0].taskSlotsPerNode: expected an integer, got 'four'"}},
        PoolCase{"QuotedIntegerIsAString",
                 Pool("    taskSlotsPerNode: \"4\"\n"),
                 {F + "8:23: pools[0].taskSlotsPerNode: expected an integer, got \"4\" (quoted, "
                      "so a string)"}},
        PoolCase{"WrongTypeMap",
                 Pool("    metadata: [team]\n"),
                 {F + "8:15: pools[0].metadata: expected a map, got a list"}},
        PoolCase{"WrongTypeString",
                 Pool("", "vmSize: Standard_D4s_v3", "vmSize: {a: 1}"),
                 {F + "4:13: pools[0].vmSize: expected a string, got a map"}},
        PoolCase{"WrongTypeBool",
                 Pool("    adopt: yes\n"),
                 {F + "8:12: pools[0].adopt: expected true or false, got 'yes'"}},
        PoolCase{"RequiredField",
                 Pool("", "    vmSize: Standard_D4s_v3\n", ""),
                 {F + "2:5: pools[0].vmSize: required key is missing"}},
        PoolCase{"EmptyValue",
                 Pool("", "vmSize: Standard_D4s_v3", "vmSize:"),
                 {F + "4:5: pools[0].vmSize: must not be empty"}},
        PoolCase{"PoolIdTooLong",
                 Pool("", "id: p1", "id: " + std::string(65, 'a')),
                 {F + "2:9: pools[0].id: is 65 characters long; the limit is 64"}},
        PoolCase{"PoolId64IsFine", Pool("", "id: p1", "id: " + std::string(64, 'a')), {}},
        PoolCase{"PoolIdBadCharacter",
                 Pool("", "id: p1", "id: render.linux"),
                 {F + "2:9: pools[0].id: may contain only letters, digits, '-' and '_'"}},
        PoolCase{"PoolIdDuplicateInFileCaseInsensitive",
                 Pool() + Pool().substr(7, std::string::npos).replace(8, 2, "P1"),
                 {F + "8:9: pools[1].id: pool id 'P1' is already declared at line 2 (ids are "
                      "case-insensitive)"}},
        PoolCase{"MalformedImageVersion",
                 Pool("", "versions/1.4.0", "versions/1.4"),
                 {F + "5:12: pools[0].image: invalid gallery image version id: version '1.4' is "
                      "not <major>.<minor>.<patch> with int32 parts"}},
        PoolCase{
            "ImageNotAGalleryVersion",
            Pool("", "providers/Microsoft.Compute/galleries", "providers/Microsoft.Foo/galleries"),
            {F + "5:12: pools[0].image: invalid gallery image version id: not a gallery "
                 "image version id; expected /subscriptions/{sub}/resourceGroups/{rg}/"
                 "providers/Microsoft.Compute/galleries/{gallery}/images/{image}/versions/"
                 "{major.minor.patch}"}},
        PoolCase{"UnknownAccountDidYouMean",
                 Pool("", "account: render-eus", "account: render-eu"),
                 {F + "3:14: pools[0].account: unknown account 'render-eu' (did you mean "
                      "'render-eus'?)"}},
        PoolCase{"UnknownAccountListsKnown",
                 Pool("", "account: render-eus", "account: elsewhere"),
                 {F + "3:14: pools[0].account: unknown account 'elsewhere'; the daemon file "
                      "declares: render-eus"}},
        PoolCase{"BothScaleModes",
                 Pool("", "scale: {targetDedicatedNodes: 1}",
                      "scale: {targetDedicatedNodes: 1, autoScale: {formula: x, maxNodes: 5}}"),
                 {F + "7:12: pools[0].scale: set either targetDedicatedNodes/"
                      "targetLowPriorityNodes or autoScale, not both"}},
        PoolCase{"NeitherScaleMode",
                 Pool("", "scale: {targetDedicatedNodes: 1}", "scale: {}"),
                 {F + "7:12: pools[0].scale: set targetDedicatedNodes and/or "
                      "targetLowPriorityNodes, or autoScale"}},
        PoolCase{"AutoscaleWithoutMaxNodes",
                 Pool("", "scale: {targetDedicatedNodes: 1}", "scale: {autoScale: {formula: x}}"),
                 {F + "7:24: pools[0].scale.autoScale.maxNodes: required: poolwarden sizes image "
                      "replicas for maxNodes"}},
        PoolCase{"AutoscaleIntervalUnderMinimum",
                 Pool("", "scale: {targetDedicatedNodes: 1}",
                      "scale: {autoScale: {formula: x, maxNodes: 5, evaluationInterval: 4m59s}}"),
                 {F + "7:70: pools[0].scale.autoScale.evaluationInterval: must be >= 5m (Batch's "
                      "minimum)"}},
        PoolCase{"AutoscaleIntervalOverMaximum",
                 Pool("", "scale: {targetDedicatedNodes: 1}",
                      "scale: {autoScale: {formula: x, maxNodes: 5, evaluationInterval: 169h}}"),
                 {F + "7:70: pools[0].scale.autoScale.evaluationInterval: must be <= 7d"}},
        PoolCase{"AutoscaleIntervalIsoAtMaximum",
                 Pool("", "scale: {targetDedicatedNodes: 1}",
                      "scale: {autoScale: {formula: x, maxNodes: 5, evaluationInterval: P7D}}"),
                 {}},
        PoolCase{"ResizeTimeoutUnderMinimum",
                 Pool("    resizeTimeout: 4m\n"),
                 {F + "8:20: pools[0].resizeTimeout: must be >= 5m (Batch's minimum)"}},
        PoolCase{"ResizeTimeoutMalformed",
                 Pool("    resizeTimeout: soon\n"),
                 {F + "8:20: pools[0].resizeTimeout: expected a duration like 90s, 45m, 1h30m or "
                      "PT45M, got 'soon'"}},
        PoolCase{
            "NegativeNodeCount",
            Pool("", "scale: {targetDedicatedNodes: 1}", "scale:\n      targetDedicatedNodes: -1"),
            {F + "8:29: pools[0].scale.targetDedicatedNodes: must be >= 0"}},
        PoolCase{"HugeNumberOverflowsInt32",
                 Pool("", "targetDedicatedNodes: 1", "targetLowPriorityNodes: 99999999999"),
                 {F + "7:37: pools[0].scale.targetLowPriorityNodes: '99999999999' is out of range "
                      "for a 32-bit integer"}},
        PoolCase{"NodeCountOverLimit",
                 Pool("", "targetDedicatedNodes: 1", "targetDedicatedNodes: 1000001"),
                 {F + "7:35: pools[0].scale.targetDedicatedNodes: must be <= 1000000"}},
        PoolCase{"DuplicateYamlKey",
                 Pool("    vmSize: Standard_D8s_v3\n"),
                 {F + "8:5: pools[0].vmSize: duplicate key (first at line 4, column 5)"}},
        PoolCase{"TabIndentation",
                 "pools:\n  - id: p1\n\t  account: x\n",
                 {F + "3:1: tab character in indentation (YAML indents with spaces only)"}},
        PoolCase{"SyntaxError",
                 "pools: [\n",
                 {F + "2:1: YAML syntax error: end of sequence flow not found"}},
        PoolCase{"EmptyFile",
                 "# nothing here\n",
                 {"pools.d/render.yaml: the file is empty; expected a map with a 'pools' list"}},
        PoolCase{
            "NotAMap", "- id: p1\n", {F + "1:1: expected a map with a 'pools' list, got a list"}},
        PoolCase{"PoolsNotAList",
                 "pools: {id: p1}\n",
                 {F + "1:8: pools: expected a list of pools, got a map"}},
        PoolCase{"PoolsNullIsEmpty", "pools:\n", {}},
        PoolCase{
            "PoolNotAMap", "pools:\n  - p1\n", {F + "2:5: pools[0]: expected a map, got 'p1'"}},
        PoolCase{"ReservedMetadataPrefix",
                 Pool("    metadata:\n      team: vfx\n      poolwarden.io/managed-by: me\n"),
                 {F + "10:7: pools[0].metadata[\"poolwarden.io/managed-by\"]: the poolwarden.io/ "
                      "prefix is reserved for poolwarden's own metadata"}},
        PoolCase{"NodeDeallocationOptionEnum",
                 Pool("    nodeDeallocationOption: requeu\n"),
                 {F + "8:29: pools[0].nodeDeallocationOption: expected one of requeue, terminate, "
                      "taskcompletion, retaineddata, got 'requeu' (did you mean 'requeue'?)"}},
        PoolCase{"TaskSlotsZero",
                 Pool("    taskSlotsPerNode: 0\n"),
                 {F + "8:23: pools[0].taskSlotsPerNode: must be >= 1"}},
        PoolCase{"TaskSlotsOverMaximum",
                 Pool("    taskSlotsPerNode: 257\n"),
                 {F + "8:23: pools[0].taskSlotsPerNode: must be <= 256"}},
        PoolCase{"TaskSlotsAtMaximum", Pool("    taskSlotsPerNode: 256\n"), {}},
        PoolCase{"StartTaskRules",
                 Pool("    startTask: {maxTaskRetryCount: -2, elevated: true}\n"),
                 {F + "8:16: pools[0].startTask.commandLine: required key is missing",
                  F + "8:36: pools[0].startTask.maxTaskRetryCount: must be >= -1"}},
        PoolCase{"AliasRejected",
                 Pool("    metadata: &m {team: vfx}\n  - id: p2\n    metadata: *m\n"),
                 {F + "9:5: pools[1].account: required key is missing",
                  F + "9:5: pools[1].vmSize: required key is missing",
                  F + "9:5: pools[1].image: required key is missing",
                  F + "9:5: pools[1].nodeAgentSkuId: required key is missing",
                  F + "9:5: pools[1].scale: required key is missing",
                  F + "10:15: pools[1].metadata: YAML aliases (*name) are not supported; write "
                      "the value out in full"}},
        PoolCase{"MergeKeyRejected",
                 Pool("    metadata:\n      <<: {team: vfx}\n"),
                 {F + "9:7: pools[0].metadata[\"<<\"]: YAML merge keys (<<) are not supported; "
                      "write the keys out in full"}},
        PoolCase{"SeveralDocuments",
                 Pool("---\npools: []\n"),
                 {F + "9:1: only one YAML document per file is allowed (found '---')"}},
        PoolCase{"EveryErrorAtOnce",
                 Pool("    taskSlotsPerNode: 0\n    adopt: maybe\n", "id: p1", "id: a.b"),
                 {F + "2:9: pools[0].id: may contain only letters, digits, '-' and '_'",
                  F + "8:23: pools[0].taskSlotsPerNode: must be >= 1",
                  F + "9:12: pools[0].adopt: expected true or false, got 'maybe'"}}),
    [](const ::testing::TestParamInfo<PoolCase>& param_info) { return param_info.param.name; });

TEST(PoolRules, ValidPoolBecomesSpec) {
    TempDir dir;
    dir.Write("poolwarden.yaml", kDaemon);
    dir.Write("pools.d/render.yaml",
              Pool("    resizeTimeout: PT20M\n    nodeDeallocationOption: taskcompletion\n"
                   "    startTask: {commandLine: run, environment: {A: b}}\n"
                   "    metadata: {team: vfx, cost-center: 42}\n    adopt: true\n",
                   "scale: {targetDedicatedNodes: 1}",
                   "scale: {targetDedicatedNodes: 2000, targetLowPriorityNodes: 1000}"));
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    auto desired = loaded->desired();
    ASSERT_EQ(desired.pools.size(), 1u);
    const auto& p = desired.pools[0];
    EXPECT_EQ(p.id, "p1");
    EXPECT_EQ(p.image.str(), kImage);
    ASSERT_TRUE(p.fixed.has_value());
    EXPECT_EQ(p.sized_nodes(), 3000);
    EXPECT_EQ(p.resize_timeout, std::chrono::minutes(20));
    EXPECT_EQ(p.node_deallocation_option, "taskcompletion");
    ASSERT_TRUE(p.start_task.has_value());
    EXPECT_EQ(p.start_task->command_line, "run");
    EXPECT_TRUE(p.start_task->wait_for_success);
    EXPECT_EQ(p.start_task->environment.at("A"), "b");
    EXPECT_EQ(p.metadata.at("cost-center"), "42");
    EXPECT_TRUE(p.adopt);
    EXPECT_EQ(p.source_file, "pools.d/render.yaml");
    EXPECT_EQ(p.source_line, 2);
}

// ---- daemon file ----------------------------------------------------------------------------

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

const std::string D = "poolwarden.yaml:";

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

TEST(LoadConfig, BrokenFileDoesNotBlockTheOthers) {
    fs::path daemon = fs::path(PW_SOURCE_DIR) / "tests/data/config/mixed/poolwarden.yaml";
    auto loaded = LoadConfig(daemon);
    ASSERT_TRUE(loaded.ok());
    ASSERT_EQ(loaded->pool_files.size(), 3u);  // README.txt and the dot-file are skipped
    EXPECT_EQ(loaded->pool_files[0].file, "pools.d/a-broken.yaml");
    EXPECT_EQ(loaded->pool_files[1].file, "pools.d/b-good.yaml");
    EXPECT_EQ(loaded->pool_files[2].file, "pools.d/c-dup.yml");
    EXPECT_THAT(Texts(loaded->all_errors(), {}),
                ElementsAre("pools.d/a-broken.yaml:8:29: pools[0].scale.targetDedicatedNodes: "
                            "must be >= 0",
                            "pools.d/c-dup.yml:8:9: pools[1].id: pool id 'Render-Linux' is "
                            "already declared in pools.d/b-good.yaml:2:9 (ids are "
                            "case-insensitive)"));
    auto desired = loaded->desired();
    std::vector<std::string> ids;
    for (const auto& p : desired.pools) ids.push_back(p.id);
    EXPECT_THAT(ids, ElementsAre("render-linux", "render-small"));
    ASSERT_TRUE(desired.pools[0].autoscale.has_value());
    EXPECT_EQ(desired.pools[0].autoscale->max_nodes, 600);
    EXPECT_EQ(desired.pools[0].autoscale->evaluation_interval, std::chrono::minutes(15));
    EXPECT_EQ(desired.accounts.size(), 1u);
}

TEST(LoadConfig, DaemonFileErrorsAreReturnedAsTheError) {
    TempDir dir;
    auto loaded = LoadConfig(dir.Write("poolwarden.yaml", "poolsDir: pools.d\nlisten: x\n"));
    ASSERT_FALSE(loaded.ok());
    EXPECT_THAT(Texts(loaded.error(), dir.path()),
                ElementsAre(D + "2:9: listen: expected host:port (e.g. 127.0.0.1:9464 or "
                                "[::1]:9464), got 'x'"));
}

TEST(LoadConfig, ExamplesLoadClean) {
    fs::path daemon = fs::path(PW_SOURCE_DIR) / "config/examples/poolwarden.yaml";
    auto loaded = LoadConfig(daemon);
    ASSERT_TRUE(loaded.ok()) << Texts(loaded.error(), {})[0];
    EXPECT_THAT(Texts(loaded->all_errors(), {}), IsEmpty());
    // A fresh git clone leaves the secret 0644; only that warning is tolerated.
    for (const auto& w : loaded->daemon.warnings) EXPECT_EQ(w.path, "auth.clientSecretFile");
    auto desired = loaded->desired();
    ASSERT_EQ(desired.pools.size(), 3u);  // in file name order
    EXPECT_EQ(desired.pools[0].id, "render-linux");
    EXPECT_EQ(desired.pools[0].sized_nodes(), 3000);
    EXPECT_EQ(desired.pools[1].id, "sim-hpc");
    EXPECT_EQ(desired.pools[2].id, "tools-latest");
    EXPECT_TRUE(desired.pools[2].image_follows_latest);
    EXPECT_EQ(loaded->daemon.auth.method, "clientSecret");
    EXPECT_EQ(loaded->daemon.cloud.resource_manager, "http://127.0.0.1:18080/");
    EXPECT_EQ(loaded->daemon.reconcile.interval, std::chrono::seconds(10));
    EXPECT_EQ(loaded->daemon.pools_dir, daemon.parent_path() / "pools.d");
}

TEST(LoadConfig, ProductionDefaultIsValidApartFromItsFolder) {
    // /etc/poolwarden/pools.d does not exist on a build machine; that is the only error.
    auto loaded = LoadDaemonFile(fs::path(PW_SOURCE_DIR) / "config/poolwarden.yaml");
    if (fs::is_directory("/etc/poolwarden/pools.d")) {
        EXPECT_TRUE(loaded.ok());
        return;
    }
    ASSERT_FALSE(loaded.ok());
    ASSERT_EQ(loaded.error().size(), 1u);
    EXPECT_EQ(loaded.error()[0].path, "poolsDir");
}

}  // namespace
}  // namespace pw::config

namespace pw::config {
namespace {

TEST(PoolFileLimits, ErrorsAreCappedPerFile) {
    TempDir dir;
    dir.Write("poolwarden.yaml", kDaemon);
    std::string text = "pools:\n";
    // 60 pools x 6 errors (unknown colour, five required keys) = 360: 50 shown.
    for (int i = 0; i < 60; ++i) text += "  - {id: p" + std::to_string(i) + ", colour: x}\n";
    dir.Write("pools.d/many.yaml", text);
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    auto errors = Texts(loaded->all_errors(), dir.path());
    ASSERT_EQ(errors.size(), 51u);
    EXPECT_EQ(errors.back(), "pools.d/many.yaml: 310 more errors not shown");
}

TEST(PoolFileLimits, DeepNestingIsOneSyntaxError) {
    TempDir dir;
    dir.Write("poolwarden.yaml", kDaemon);
    dir.Write("pools.d/deep.yaml", "pools: " + std::string(20000, '[') + "\n");
    dir.Write("pools.d/good.yaml", Pool());
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    auto errors = Texts(loaded->all_errors(), dir.path());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("pools.d/deep.yaml:", 0), 0u) << errors[0];
    EXPECT_EQ(loaded->desired().pools.size(), 1u);
}

TEST(PoolFileLimits, OversizedPoolFileRejectedAlone) {
    TempDir dir;
    dir.Write("poolwarden.yaml", kDaemon);
    dir.Write("pools.d/big.yaml", std::string(10 * 1024 * 1024, '#'));
    dir.Write("pools.d/good.yaml", Pool());
    auto loaded = LoadConfig(dir.path() / "poolwarden.yaml");
    ASSERT_TRUE(loaded.ok());
    EXPECT_THAT(Texts(loaded->all_errors(), dir.path()),
                ElementsAre("pools.d/big.yaml: the file is 10485760 bytes; config files are "
                            "limited to 1 MiB (1048576 bytes)"));
    EXPECT_EQ(loaded->desired().pools.size(), 1u);
}

}  // namespace
}  // namespace pw::config
