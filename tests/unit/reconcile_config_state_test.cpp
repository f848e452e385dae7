// Reload semantics of the running configuration (app::ConfigState): each pool file alone, last
// good version kept, a broken daemon file rejected.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/config_state.hpp"

namespace pw::app {
namespace {

namespace fs = std::filesystem;

const char* kDaemon = R"(cloud: AzurePublicCloud
auth:
  method: managedIdentity
accounts:
  - name: eus
    subscriptionId: 11111111-1111-1111-1111-111111111111
    resourceGroup: rg-batch
    accountName: renderbatch
poolsDir: pools.d
)";

std::string Pool(const std::string& id, int nodes, const std::string& extra = "") {
    return "pools:\n  - id: " + id +
           "\n    account: eus\n    vmSize: Standard_D4s_v3\n    image: "
           "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/"
           "providers/Microsoft.Compute/galleries/studio/images/render/versions/1.4.0\n"
           "    nodeAgentSkuId: batch.node.ubuntu 22.04\n    scale:\n      targetDedicatedNodes: " +
           std::to_string(nodes) + "\n" + extra;
}

class ConfigStateTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "pw-cfg-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
        fs::create_directories(dir / "pools.d");
        Write("poolwarden.yaml", kDaemon);
    }
    void TearDown() override { fs::remove_all(dir); }
    void Write(const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
    }
    std::vector<std::string> Ids(const ConfigState& s) {
        std::vector<std::string> out;
        for (const auto& p : s.desired()->pools)
            out.push_back(p.id + "=" + std::to_string(p.sized_nodes()));
        std::sort(out.begin(), out.end());
        return out;
    }
    fs::path dir;
};

TEST_F(ConfigStateTest, APassKeepsTheDesiredStateItStartedWithAcrossAReload) {
    Write("pools.d/a.yaml", Pool("a", 10));
    auto loaded = ConfigState::Load(dir / "poolwarden.yaml");
    ASSERT_TRUE(loaded);
    auto& s = *loaded;
    const auto pass = s.desired();
    ASSERT_NE(pass, nullptr);
    EXPECT_EQ(s.desired(), pass) << "one state per load, shared by the passes";

    Write("pools.d/a.yaml", Pool("a", 15));
    Write("pools.d/b.yaml", Pool("b", 20));
    ASSERT_TRUE(s.reload());
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=15", "b=20"}));
    ASSERT_EQ(pass->pools.size(), 1u) << "the running pass still sees what it started with";
    EXPECT_EQ(pass->pools[0].sized_nodes(), 10);
}

TEST_F(ConfigStateTest, BrokenPoolFileKeepsItsLastGoodVersionOthersApply) {
    Write("pools.d/a.yaml", Pool("a", 10));
    Write("pools.d/b.yaml", Pool("b", 20));
    auto loaded = ConfigState::Load(dir / "poolwarden.yaml");
    ASSERT_TRUE(loaded);
    auto& s = *loaded;
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=10", "b=20"}));

    Write("pools.d/a.yaml", Pool("a", 15));
    Write("pools.d/b.yaml", Pool("b", 25, "    unknownField: 1\n"));
    ASSERT_TRUE(s.reload());
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=15", "b=20"}))
        << "a applies; b stays at its last good version";
    auto files = s.files();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_TRUE(files[0].valid);
    EXPECT_FALSE(files[1].valid);
    EXPECT_TRUE(files[1].using_last_good);
    ASSERT_FALSE(files[1].errors.empty());
    EXPECT_NE(files[1].errors[0].find("b.yaml:"), std::string::npos) << files[1].errors[0];
    EXPECT_TRUE(s.has_file_errors());

    // Still broken at the next reload, while a changes again: b keeps the same last good pools.
    Write("pools.d/a.yaml", Pool("a", 16));
    ASSERT_TRUE(s.reload());
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=16", "b=20"}));

    Write("pools.d/b.yaml", Pool("b", 30));
    ASSERT_TRUE(s.reload());
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=16", "b=30"}));
    EXPECT_FALSE(s.has_file_errors());

    // Valid through two loads, then broken: its pools from the latest valid load stay.
    ASSERT_TRUE(s.reload());
    Write("pools.d/a.yaml", Pool("a", 17, "    unknownField: 1\n"));
    ASSERT_TRUE(s.reload());
    EXPECT_EQ(Ids(s), (std::vector<std::string>{"a=16", "b=30"}));
}

TEST_F(ConfigStateTest, FileBrokenFromTheStartContributesNothing) {
    Write("pools.d/a.yaml", Pool("a", 10));
    Write("pools.d/b.yaml", "pools: [");
    auto loaded = ConfigState::Load(dir / "poolwarden.yaml");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(Ids(*loaded), (std::vector<std::string>{"a=10"}));
    EXPECT_FALSE(loaded->files()[1].using_last_good);
}

TEST_F(ConfigStateTest, BrokenDaemonFileIsRejectedOnReloadAndFailsAtStart) {
    Write("pools.d/a.yaml", Pool("a", 10));
    auto loaded = ConfigState::Load(dir / "poolwarden.yaml");
    ASSERT_TRUE(loaded);
    Write("poolwarden.yaml", std::string(kDaemon) + "bogus: 1\nreconcile: {interval: 1x}\n");
    Write("pools.d/a.yaml", Pool("a", 99));
    auto r = loaded->reload();
    ASSERT_FALSE(r);
    EXPECT_GE(r.error().size(), 2u) << "every error at once";
    EXPECT_EQ(Ids(*loaded), (std::vector<std::string>{"a=10"})) << "the running config stays";
    EXPECT_FALSE(ConfigState::Load(dir / "poolwarden.yaml"));
}

TEST_F(ConfigStateTest, LastGoodPoolYieldsToAValidFileDeclaringItsId) {
    Write("pools.d/a.yaml", Pool("a", 10));
    Write("pools.d/b.yaml", Pool("b", 20));
    auto loaded = ConfigState::Load(dir / "poolwarden.yaml");
    ASSERT_TRUE(loaded);
    // b moves to a's file while b.yaml breaks: one pool b, from the valid file.
    Write("pools.d/a.yaml", Pool("a", 10) + Pool("b", 40).substr(7));
    Write("pools.d/b.yaml", "pools: [");
    ASSERT_TRUE(loaded->reload());
    EXPECT_EQ(Ids(*loaded), (std::vector<std::string>{"a=10", "b=40"}));
}

}  // namespace
}  // namespace pw::app
