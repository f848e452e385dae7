#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "codec/encode.hpp"

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
    int Validate() {
        const std::string cmd = std::string("/usr/bin/python3 ") + PW_SOURCE_DIR +
                                "/tests/tools/validate_bodies.py " + dir_.string() + " 2>&1";
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
    Write("compute.GalleryImageVersionUpdate.regions",
          EncodeTargetRegionsPatch({{"East US", 10, "Standard_LRS", ""},
                                    {"West Europe", 1, "Standard_ZRS", ""},
                                    {"Japan East", 2, "", ""}}));
    EXPECT_EQ(Validate(), 0) << output_;
    EXPECT_NE(output_.find("8 bodies, 0 problems"), std::string::npos) << output_;
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

}  // namespace
}  // namespace pw::codec
