#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "codec/arm_pool.hpp"
#include "codec/encode.hpp"
#include "config/load.hpp"
#include "model/pool_fields.hpp"

// The request bodies the clients send, checked by Microsoft's own SDK models (Debian
// python3-azure: azure.batch.models and azure.mgmt.compute) via tests/tools/validate_bodies.py.
namespace pw::codec {
namespace {

namespace fs = std::filesystem;

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
    spec.metadata = {{"team", "vfx"},
                     {model::kManagedByKey, model::kManagedByValue},
                     {model::kSpecHashKey, "0123abcd"}};
    return spec;
}

class ConformanceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("pw-conformance-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    void Write(const std::string& name, const std::string& body) {
        std::ofstream(dir_ / (name + ".json")) << body;
    }
    int Validate() { return RunTool("validate_bodies.py " + dir_.string()); }
    /// Runs `tests/tools/<args>` with Debian's python3; its output goes to output_.
    int RunTool(const std::string& args) {
        const std::string cmd =
            std::string("/usr/bin/python3 ") + PW_SOURCE_DIR + "/tests/tools/" + args + " 2>&1";
        FILE* pipe = ::popen(cmd.c_str(), "r");
        if (!pipe) return -1;
        char buf[512];
        output_.clear();
        while (std::fgets(buf, sizeof buf, pipe)) output_ += buf;
        const int status = ::pclose(pipe);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    fs::path dir_;
    std::string output_;
};

TEST_F(ConformanceTest, BodiesTheClientsSendAreAcceptedByTheSdkModels) {
    Write("batch.PoolAddParameter.fixed", *EncodePoolAdd(RenderPool(), std::chrono::minutes(45)));
    auto autoscale = RenderPool();
    autoscale.fixed.reset();
    autoscale.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", std::chrono::minutes(8), 50};
    autoscale.start_task->elevated = false;
    Write("batch.PoolAddParameter.autoscale", *EncodePoolAdd(autoscale, std::nullopt));
    auto minimal = RenderPool();
    minimal.start_task.reset();
    minimal.metadata.clear();
    Write("batch.PoolAddParameter.minimal", *EncodePoolAdd(minimal, std::chrono::minutes(15)));
    Write("batch.PoolResizeParameter.resize",
          EncodePoolResize(2000, 1000, std::chrono::minutes(45), "requeue"));
    Write("batch.PoolResizeParameter.default",
          EncodePoolResize(1, 0, std::chrono::minutes(15), ""));
    Write("batch.PoolPatchParameter.both",
          *EncodePoolPatch(RenderPool().start_task, RenderPool().metadata));
    Write("batch.PoolPatchParameter.metadata",
          *EncodePoolPatch(std::nullopt, std::map<std::string, std::string>{}));
    const model::AutoScale capped{"$TargetDedicatedNodes = 4;", std::chrono::minutes(5), 7};
    Write("batch.PoolEnableAutoScaleParameter.enable", EncodeEnableAutoScale(capped));
    Write("batch.PoolEvaluateAutoScaleParameter.evaluate", EncodeEvaluateAutoScale(capped));
    Write("compute.GalleryImageVersionUpdate.regions",
          EncodeTargetRegionsPatch({{"East US", 10, "Standard_LRS", ""},
                                    {"West Europe", 1, "Standard_ZRS", ""},
                                    {"Japan East", 2, "", ""}}));
    EXPECT_EQ(Validate(), 0) << output_;
    EXPECT_NE(output_.find("10 bodies, 0 problems"), std::string::npos) << output_;
}

TEST_F(ConformanceTest, TheCheckRejectsUnknownAndMistypedMembers) {
    auto body = nlohmann::json::parse(*EncodePoolAdd(RenderPool(), std::chrono::minutes(45)));
    body["targetDedicatedNodes"] = "2000";
    body["startTask"]["userIdentity"]["autoUser"]["elevationLevel"] = "root";
    body["nodeAgentSkuId"] = "batch.node.ubuntu 22.04";
    Write("batch.PoolAddParameter.bad", body.dump());
    auto regions =
        nlohmann::json::parse(EncodeTargetRegionsPatch({{"East US", 2, "Standard_LRS", ""}}));
    regions["properties"]["publishingProfile"]["replicationMode"] = "Shallow";
    regions["properties"]["publishingProfile"]["targetRegions"][0]["replicationMode"] = "Full";
    Write("compute.GalleryImageVersionUpdate.bad", regions.dump());
    EXPECT_EQ(Validate(), 1) << output_;
    for (const char* expected :
         {"targetDedicatedNodes: \"2000\" is not a valid int", "elevationLevel: \"root\"",
          "nodeAgentSkuId: not a member of PoolAddParameter",
          "targetRegions[0].replicationMode: not a member of TargetRegion"}) {
        EXPECT_NE(output_.find(expected), std::string::npos) << expected << "\n" << output_;
    }
}

/// A value for every kind of table field: the first enum value, a number within the range, one
/// list item, one map entry, a secret file reference.
model::PropValue Sample(const model::FieldSpec& f);

/// An object with every field its table declares, recursively.
model::PropValue Every(const model::ObjectSpec& spec) {
    model::PropValue out;
    for (const auto& f : spec.fields) out.members.push_back({std::string(f.key), Sample(f)});
    return out;
}

model::PropValue Sample(const model::FieldSpec& f) {
    using K = model::FieldKind;
    using V = model::PropValue::Kind;
    model::PropValue v;
    auto text = [](std::string s) {
        model::PropValue t;
        t.kind = V::String;
        t.text = std::move(s);
        return t;
    };
    switch (f.kind) {
        case K::Bool:
            v.kind = V::Bool;
            v.boolean = true;
            return v;
        case K::Int:
            v.kind = V::Int;
            v.integer = std::clamp<std::int64_t>(1, f.min, f.max);
            return v;
        case K::String:
            return text("s");
        case K::Enum:
            return text(std::string(f.values.front()));
        case K::Object:
            return Every(*f.object);
        case K::ObjectList:
            v.kind = V::List;
            v.items.push_back(Every(*f.object));
            return v;
        case K::StringList:
            v.kind = V::List;
            v.items.push_back(text("s"));
            return v;
        case K::EnumList:
            v.kind = V::List;
            v.items.push_back(text(std::string(f.values.front())));
            return v;
        case K::StringMap:
        case K::Json:
            v.members.push_back({"k", text("v")});
            return v;
        case K::SecretFile:
        case K::JsonSecretFile:
            v.kind = V::SecretFile;
            v.text = v.resolved = "secret-file";
            return v;
    }
    return v;
}

std::string SpecFile() {
    const char* dir = std::getenv("PW_AZURE_SPECS");
    return (dir ? std::string(dir) : std::string(PW_SOURCE_DIR) + "/../shared/azure-specs") +
           "/batch-data-plane/data-plane/Azure.Batch/stable/2025-06-01.21.0/BatchService.json";
}

/// The example render pool with every table-declared pool and start task field set.
model::PoolSpec EveryFieldPool() {
    auto every = RenderPool();
    every.properties = Every(model::PoolFields());
    every.start_task->elevated = false;
    every.start_task->properties = Every(model::StartTaskFields());
    return every;
}

/// Reads every secret file as `{"k": "v"}`.
Result<std::string, std::string> FakeSecret(const model::PropValue&) {
    return std::string(R"({"k": "v"})");
}

class PoolConformance : public ConformanceTest {
  protected:
    /// The production example and a pool with every table-declared field, as poolwarden
    /// encodes them.
    void WriteBodies() {
        auto reader = FakeSecret;
        auto every = EveryFieldPool();
        auto body = EncodePoolAdd(every, std::chrono::minutes(15), reader);
        ASSERT_TRUE(body.ok()) << body.error();
        Write("every-field", *body);

        auto loaded =
            config::LoadConfig(fs::path(PW_SOURCE_DIR) / "config/examples/poolwarden.yaml");
        ASSERT_TRUE(loaded.ok());
        // render-linux, sim-hpc and tools-latest (a pool following the latest version of its
        // image).
        ASSERT_EQ(loaded->desired().pools.size(), 3u);
        for (const auto& pool : loaded->desired().pools) {
            if (pool.id == "render-linux") continue;
            body = EncodePoolAdd(pool, std::chrono::minutes(15), reader);
            ASSERT_TRUE(body.ok()) << body.error();
            Write("production-" + pool.id, *body);
        }
    }
    int Check() {
        if (!fs::exists(SpecFile())) {
            output_ = "the Batch spec is not at " + SpecFile() + " (set PW_AZURE_SPECS)";
            return -1;
        }
        return RunTool("check_pool_conformance.py " + SpecFile() + " " + dir_.string());
    }
};

TEST_F(PoolConformance, EveryFieldRoundTripsThroughTheSdkOrIsDefinedByTheNewerSpec) {
    WriteBodies();
    EXPECT_EQ(Check(), 0) << output_;
    EXPECT_NE(output_.find("3 bodies, 0 problems"), std::string::npos) << output_;
    // Members azure.batch 13.0.1 predates, found and checked against the 2025 spec.
    for (const char* newer :
         {"resourceTags", "upgradePolicy", "virtualMachineConfiguration.securityProfile",
          "networkConfiguration.enableAcceleratedNetworking"})
        EXPECT_NE(output_.find(newer), std::string::npos) << newer << "\n" << output_;
}

TEST_F(PoolConformance, AKeyNeitherTheSdkNorTheSpecDefinesFails) {
    WriteBodies();
    auto body = nlohmann::json::parse(std::ifstream(dir_ / "every-field.json"));
    body["virtualMachineConfiguration"]["osDisk"]["cachingMode"] = "readonly";
    body["startTask"]["resourceFiles"][0]["sasToken"] = "x";
    Write("every-field", body.dump());
    EXPECT_EQ(Check(), 1) << output_;
    for (const char* expected :
         {"virtualMachineConfiguration.osDisk.cachingMode: not defined by the 2025-06-01.21.0 spec",
          "virtualMachineConfiguration.osDisk.cachingMode: unknown to azure.batch 13.0.1 and not "
          "in the spec",
          "startTask.resourceFiles[0].sasToken: not defined by the 2025-06-01.21.0 spec"})
        EXPECT_NE(output_.find(expected), std::string::npos) << expected << "\n" << output_;
}

// Issue 15: the same pools encoded for ARM (Pool_Create), checked against BatchManagement.json
// 2025-06-01 (member names, exact enum spellings, nothing read-only) and azure.mgmt.batch.
TEST_F(PoolConformance, TheSamePoolsEncodedForArmMatchArmsSpec) {
    WriteBodies();
    ASSERT_EQ(Check(), 0) << output_;
    const char* dir = std::getenv("PW_AZURE_SPECS");
    const std::string spec =
        (dir ? std::string(dir) : std::string(PW_SOURCE_DIR) + "/../shared/azure-specs") +
        "/batch-management/resource-manager/Microsoft.Batch/stable/2025-06-01/BatchManagement.json";
    ASSERT_TRUE(fs::exists(spec)) << spec;
    auto reader = FakeSecret;
    auto every = EveryFieldPool();
    every.identities = {
        "/subscriptions/s/resourceGroups/rg/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/nodes"};
    fs::create_directories(dir_ / "arm");
    auto body = EncodeArmPoolCreate(every, std::chrono::minutes(15), reader);
    ASSERT_TRUE(body.ok()) << body.error();
    std::ofstream(dir_ / "arm" / "every-field.json") << *body;
    auto autoscale = RenderPool();
    autoscale.fixed.reset();
    autoscale.autoscale = model::AutoScale{"$TargetDedicatedNodes=1;", std::chrono::minutes(5), 10};
    body = EncodeArmPoolCreate(autoscale, std::nullopt, reader);
    ASSERT_TRUE(body.ok()) << body.error();
    std::ofstream(dir_ / "arm" / "autoscale.json") << *body;
    EXPECT_EQ(RunTool("check_arm_pool_conformance.py " + spec + " " + (dir_ / "arm").string()), 0)
        << output_;
    EXPECT_NE(output_.find("2 bodies, 0 problems"), std::string::npos) << output_;
    // A member ARM does not declare is caught.
    auto j = nlohmann::json::parse(*body);
    j["properties"]["enableAutoScale"] = true;
    std::ofstream(dir_ / "arm" / "autoscale.json") << j.dump();
    EXPECT_EQ(RunTool("check_arm_pool_conformance.py " + spec + " " + (dir_ / "arm").string()), 1)
        << output_;
    EXPECT_NE(output_.find("properties.enableAutoScale: not defined"), std::string::npos)
        << output_;
}

}  // namespace
}  // namespace pw::codec
