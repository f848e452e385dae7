// Loading a configuration: the daemon file with its pool files (a broken file beside good
// ones, the examples, the production default) and the limits on pool files.
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
}  // namespace pw::config::load_test
