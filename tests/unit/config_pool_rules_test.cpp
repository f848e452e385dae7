// Pool file rules: each error with its file, line and field; a valid pool as a spec.
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

}  // namespace
}  // namespace pw::config::load_test
