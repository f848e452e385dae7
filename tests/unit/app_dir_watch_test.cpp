// The poolsDir watch (app::DirWatcher) survives the directory being replaced under its name.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "app/dir_watch.hpp"

namespace pw::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DirWatchTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "pw-watch-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        root = tmpl;
    }
    void TearDown() override {
        if (watcher) watcher->cancel();
        ctx.run_for(100ms);
        watcher.reset();
        fs::remove_all(root);
    }
    void Watch(const fs::path& dir) {
        watcher = std::make_unique<DirWatcher>(ctx.get_executor(), dir, 50ms);
        boost::asio::co_spawn(ctx, watcher->run([this] { ++changes; }), boost::asio::detached);
        ctx.run_for(20ms);
    }
    /// Runs the io_context until on_change ran once more (true) or `timeout` passed.
    bool NextChange(std::chrono::milliseconds timeout = 5s) {
        const int before = changes;
        for (auto end = std::chrono::steady_clock::now() + timeout;
             changes == before && std::chrono::steady_clock::now() < end;)
            ctx.run_for(20ms);
        ctx.run_for(150ms);  // the rest of the burst
        return changes > before;
    }
    static void Write(const fs::path& file, const std::string& text) {
        std::ofstream(file) << text;
    }

    fs::path root;
    boost::asio::io_context ctx;
    std::unique_ptr<DirWatcher> watcher;
    int changes = 0;
};

TEST_F(DirWatchTest, AFileWrittenIsOneChange) {
    fs::create_directories(root / "pools.d");
    Watch(root / "pools.d");
    ASSERT_TRUE(watcher->ok());
    Write(root / "pools.d/a.yaml", "a");
    EXPECT_TRUE(NextChange());
    EXPECT_EQ(changes, 1);
    Write(root / "unrelated.yaml", "x");
    EXPECT_FALSE(NextChange(1s)) << "files beside the directory are not its contents";
}

TEST_F(DirWatchTest, ADirectoryRenamedOverTheNameIsWatchedInstead) {
    fs::create_directories(root / "pools.d");
    Watch(root / "pools.d");
    fs::create_directories(root / "pools.d.new");
    Write(root / "pools.d.new/a.yaml", "a");
    fs::rename(root / "pools.d", root / "pools.d.old");
    fs::rename(root / "pools.d.new", root / "pools.d");
    EXPECT_TRUE(NextChange()) << "the swap itself";

    Write(root / "pools.d/b.yaml", "b");
    EXPECT_TRUE(NextChange()) << "a file written into the new directory";
    Write(root / "pools.d.old/c.yaml", "c");
    EXPECT_FALSE(NextChange(1s)) << "the old directory, moved aside, no longer counts";
}

TEST_F(DirWatchTest, ADirectoryRemovedAndMadeAgainIsWatchedAgain) {
    fs::create_directories(root / "pools.d");
    Write(root / "pools.d/a.yaml", "a");
    Watch(root / "pools.d");
    fs::remove_all(root / "pools.d");
    EXPECT_TRUE(NextChange());
    fs::create_directories(root / "pools.d");
    EXPECT_TRUE(NextChange()) << "the directory is back";
    Write(root / "pools.d/a.yaml", "a2");
    EXPECT_TRUE(NextChange()) << "a file written into the new directory";
}

TEST_F(DirWatchTest, ASymlinkSwappedToAnotherDirectoryIsFollowed) {
    fs::create_directories(root / "v1");
    fs::create_directories(root / "v2");
    fs::create_directory_symlink("v1", root / "pools.d");
    Watch(root / "pools.d");
    ASSERT_TRUE(watcher->ok());
    Write(root / "v1/a.yaml", "a");
    EXPECT_TRUE(NextChange()) << "the symlink's target is watched";

    // As `ln -sfn` does it atomically: a new link renamed over the name.
    fs::create_directory_symlink("v2", root / "pools.d.tmp");
    fs::rename(root / "pools.d.tmp", root / "pools.d");
    EXPECT_TRUE(NextChange()) << "the swap itself";
    Write(root / "v2/a.yaml", "a");
    EXPECT_TRUE(NextChange()) << "a file written into the new target";
    Write(root / "v1/b.yaml", "b");
    EXPECT_FALSE(NextChange(1s)) << "the old target no longer counts";
}

TEST_F(DirWatchTest, AnotherDirectorySetAtReloadIsWatchedInstead) {
    fs::create_directories(root / "pools.d");
    fs::create_directories(root / "elsewhere/pools");
    Watch(root / "pools.d");
    watcher->set_dir(root / "elsewhere/pools");
    Write(root / "elsewhere/pools/a.yaml", "a");
    EXPECT_TRUE(NextChange());
    Write(root / "pools.d/a.yaml", "a");
    EXPECT_FALSE(NextChange(1s)) << "the old directory no longer counts";
}

}  // namespace
}  // namespace pw::app
