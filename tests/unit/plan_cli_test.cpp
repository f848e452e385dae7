#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace pw::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kExamples = std::string(PW_SOURCE_DIR) + "/config/examples";

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), "poolwarden");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    RunResult r;
    r.code = Main(static_cast<int>(argv.size()), argv.data());
    std::fflush(stdout);
    r.out = testing::internal::GetCapturedStdout();
    r.err = testing::internal::GetCapturedStderr();
    return r;
}

RunResult Plan(const std::string& config, const std::string& snapshot,
               const std::string& output = "json") {
    return Run({"plan", "--config", config, "--observed", snapshot, "--output", output});
}

std::string ReadAll(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

/// A scratch copy of config/examples that a test may change.
class ScratchConfig : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("pw-plan-cli-" + std::to_string(::getpid()) + "-" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::copy(kExamples, dir_, fs::copy_options::recursive);
        fs::permissions(dir_ / "client-secret", fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string config() const { return (dir_ / "poolwarden.yaml").string(); }
    std::string snapshot(const char* name) const { return (dir_ / "snapshots" / name).string(); }
    fs::path dir_;
};

TEST(PlanCli, ExamplesOnAnEmptyAccountRaiseReplicasAndWait) {
    auto r = Plan(kExamples + "/poolwarden.yaml", kExamples + "/snapshots/empty-account.json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto plan = json::parse(r.out);
    // hpc/2.0.0 (sim-hpc pins it, tools-latest follows hpc to it: 2.1.0 is excludeFromLatest)
    // needs 1 + 1 replicas, render/1.4.0 10; every pool waits for its replicas.
    ASSERT_EQ(plan["actions"].size(), 5u) << r.out;
    const auto& hpc = plan["actions"][0];
    EXPECT_EQ(hpc["kind"], "SetRegionalReplicas");
    EXPECT_EQ(hpc["from"], 1);
    EXPECT_EQ(hpc["to"], 2);
    EXPECT_EQ(hpc["imageVersion"],
              "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
              "providers/Microsoft.Compute/galleries/studio/images/hpc/versions/2.0.0");
    const auto& set = plan["actions"][1];
    EXPECT_EQ(set["kind"], "SetRegionalReplicas");
    EXPECT_EQ(set["from"], 1);
    EXPECT_EQ(set["to"], 10);
    EXPECT_EQ(set["region"], "East US");
    EXPECT_EQ(set["imageVersion"],
              "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
              "providers/Microsoft.Compute/galleries/studio/images/render/versions/1.4.0");
    EXPECT_FALSE(set.contains("pool"));  // fields that do not apply are left out
    EXPECT_FALSE(set.contains("resizeTimeout"));
    const auto& wait = plan["actions"][2];
    EXPECT_EQ(wait["kind"], "WaitForReplication");
    EXPECT_EQ(wait["pool"], "render-linux");
    EXPECT_EQ(wait["account"], "render-eus");
    for (std::size_t i : {3u, 4u}) {
        EXPECT_EQ(plan["actions"][i]["kind"], "WaitForReplication");
        EXPECT_EQ(plan["actions"][i]["imageVersion"], hpc["imageVersion"]);
    }
    EXPECT_EQ(plan["actions"][3]["pool"], "sim-hpc");
    EXPECT_EQ(plan["actions"][4]["pool"], "tools-latest");
    EXPECT_TRUE(plan["findings"].empty());
    EXPECT_EQ(plan["requeueAfterSeconds"], 60);
}

TEST(PlanCli, ExamplesOnceReplicatedCreateThePoolsWithPT45MForTheLargeOne) {
    auto r = Plan(kExamples + "/poolwarden.yaml", kExamples + "/snapshots/replicated.json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto plan = json::parse(r.out);
    ASSERT_EQ(plan["actions"].size(), 3u) << r.out;
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(plan["actions"][i]["kind"], "CreatePool");
        EXPECT_EQ(plan["actions"][i]["resizeTimeout"], "PT15M");  // the 15-minute floor
    }
    EXPECT_EQ(plan["actions"][1]["pool"], "sim-hpc");
    EXPECT_EQ(plan["actions"][2]["pool"], "tools-latest");
    EXPECT_EQ(plan["actions"][2]["imageVersion"],
              "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
              "providers/Microsoft.Compute/galleries/studio/images/hpc/versions/2.0.0");
    const auto& create = plan["actions"][0];
    EXPECT_EQ(create["kind"], "CreatePool");
    EXPECT_EQ(create["pool"], "render-linux");
    EXPECT_EQ(create["resizeTimeout"], "PT45M");
    EXPECT_EQ(create["targetDedicatedNodes"], 2000);
    EXPECT_EQ(create["targetLowPriorityNodes"], 1000);
    EXPECT_FALSE(create.contains("from"));
    EXPECT_THAT(create["reason"].get<std::string>(), testing::HasSubstr("does not exist"));
}

TEST(PlanCli, TextOutputReadsLikeAChangeList) {
    auto r =
        Plan(kExamples + "/poolwarden.yaml", kExamples + "/snapshots/empty-account.json", "text");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, testing::HasSubstr(
                           "1. SetRegionalReplicas  studio/hpc/2.0.0 in East US: 1 -> 2 replicas "
                           "-- sim-hpc (8 VMs), tools-latest (2 VMs) need 2 replicas in eastus"));
    EXPECT_THAT(r.out, testing::HasSubstr(
                           "2. SetRegionalReplicas  studio/render/1.4.0 in East US: 1 -> 10 "
                           "replicas -- render-linux (3000 VMs) needs 10 replicas in eastus"));
    EXPECT_THAT(r.out, testing::HasSubstr("3. WaitForReplication   pool render-eus/render-linux"));
    EXPECT_THAT(r.out, testing::HasSubstr("Look again in 1m."));
}

TEST_F(ScratchConfig, ConvergedSnapshotGivesNoChanges) {
    // render-linux alone: the other example pools are left out of this copy.
    fs::remove(dir_ / "pools.d" / "sim-hpc.yaml");
    fs::remove(dir_ / "pools.d" / "tools-latest.yaml");
    auto snap = json::parse(ReadAll(snapshot("replicated.json")));
    snap["accounts"]["render-eus"]["pools"] = json::parse(R"([{
        "id": "render-linux", "eTag": "0x1", "state": "active", "allocationState": "steady",
        "vmSize": "standard_d4s_v3", "targetDedicatedNodes": 2000, "targetLowPriorityNodes": 1000,
        "taskSlotsPerNode": 4,
        "virtualMachineConfiguration": {"imageReference": {"virtualMachineImageId":
          "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/studio/images/render/versions/1.4.0"},
          "nodeAgentSKUId": "batch.node.ubuntu 22.04"},
        "startTask": {"commandLine": "/bin/sh -c 'echo ready'", "waitForSuccess": true,
          "maxTaskRetryCount": 0, "userIdentity": {"autoUser": {"scope": "pool", "elevationLevel": "admin"}}},
        "metadata": [{"name": "team", "value": "vfx"},
                     {"name": "poolwarden.io/managed-by", "value": "poolwarden"}]}])");
    Write(snapshot("converged.json"), snap.dump());
    auto r = Plan(config(), snapshot("converged.json"), "text");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "No changes: Azure matches the pool files.\n");
    r = Plan(config(), snapshot("converged.json"));
    EXPECT_EQ(json::parse(r.out), json::parse(R"({"actions": [], "findings": []})"));
}

TEST_F(ScratchConfig, ErrorFindingsExitWithTwo) {
    auto snap = json::parse(ReadAll(snapshot("replicated.json")));
    for (auto& [id, image] : snap["images"].items()) image["properties"]["osState"] = "Specialized";
    Write(snapshot("specialized.json"), snap.dump());
    auto r = Plan(config(), snapshot("specialized.json"));
    EXPECT_EQ(r.code, 2);
    auto plan = json::parse(r.out);
    EXPECT_TRUE(plan["actions"].empty());
    ASSERT_EQ(plan["findings"].size(), 3u) << r.out;  // one per example pool
    for (const auto& f : plan["findings"]) {
        EXPECT_EQ(f["severity"], "error");
        EXPECT_EQ(f["code"], "SpecializedImage");
    }
    EXPECT_EQ(plan["findings"][0]["pool"], "render-linux");
    EXPECT_FALSE(plan.contains("requeueAfterSeconds"));
}

TEST_F(ScratchConfig, BrokenPoolFileIsSkippedAndReported) {
    Write(dir_ / "pools.d" / "broken.yaml", "pools:\n  - id: bad pool!\n    account: nowhere\n");
    auto r = Plan(config(), snapshot("replicated.json"));
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, testing::HasSubstr("broken.yaml"));
    EXPECT_THAT(r.err, testing::HasSubstr("rejected"));
    auto plan = json::parse(r.out);
    ASSERT_EQ(plan["actions"].size(), 3u);  // the example pool files are still planned
    EXPECT_EQ(plan["actions"][0]["pool"], "render-linux");
}

TEST_F(ScratchConfig, UnreadableOrMalformedSnapshotExitsWithOne) {
    auto r = Plan(config(), (dir_ / "missing.json").string());
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, testing::HasSubstr("cannot read the snapshot"));
    EXPECT_TRUE(r.out.empty());

    Write(snapshot("bad.json"), R"({"accounts": {"render-eus": {"location": 5}}})");
    r = Plan(config(), snapshot("bad.json"));
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, testing::HasSubstr("accounts.render-eus.location: expected string"));

    Write(snapshot("truncated.json"), R"({"accounts": {"render-eus": )");
    r = Plan(config(), snapshot("truncated.json"));
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, testing::HasSubstr("invalid JSON"));
}

TEST_F(ScratchConfig, BrokenDaemonFileExitsWithOne) {
    Write(dir_ / "poolwarden.yaml", "accounts: 5\n");
    auto r = Plan(config(), snapshot("replicated.json"));
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, testing::HasSubstr("poolwarden.yaml"));
    EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace pw::cli
