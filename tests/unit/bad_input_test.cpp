// The bad-input corpus (tests/data/bad/): each file, placed beside a good pool file, must give
// exactly the error text in tests/data/bad/expected/<file>.txt, must not crash, and must not
// stop the good file's pool from being managed. PW_UPDATE_GOLDEN=1 rewrites the expected files
// (review the diff: the messages are user-facing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/load.hpp"

namespace pw::config {
namespace {

namespace fs = std::filesystem;

const fs::path kBad = fs::path(PW_SOURCE_DIR) / "tests/data/bad";
const fs::path kExamples = fs::path(PW_SOURCE_DIR) / "config/examples";

std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A daemon folder made from config/examples with `pools.d/00-good.yaml` plus one bad file.
class Scratch {
  public:
    explicit Scratch(const std::string& name) {
        dir_ = fs::temp_directory_path() / ("pw-bad-" + std::to_string(::getpid()) + "-" + name);
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "pools.d");
        fs::copy_file(kExamples / "poolwarden.yaml", dir_ / "poolwarden.yaml");
        fs::copy_file(kExamples / "client-secret", dir_ / "client-secret");
        fs::permissions(dir_ / "client-secret", fs::perms::owner_read | fs::perms::owner_write);
        fs::copy_file(kExamples / "pools.d/render.yaml", dir_ / "pools.d/00-good.yaml");
    }
    ~Scratch() { fs::remove_all(dir_); }
    fs::path pools() const { return dir_ / "pools.d"; }
    fs::path daemon_file() const { return dir_ / "poolwarden.yaml"; }

  private:
    fs::path dir_;
};

std::string ErrorsOf(const LoadedConfig& cfg, const std::string& file_name) {
    std::string out;
    for (const auto& pf : cfg.pool_files)
        if (fs::path(pf.file).filename() == file_name)
            for (const auto& e : pf.errors) out += e.str() + "\n";
    return out;
}

void CheckCase(const std::string& name, const std::string& content) {
    SCOPED_TRACE(name);
    Scratch scratch(name);
    {
        std::ofstream out(scratch.pools() / name, std::ios::binary);
        out << content;
    }
    auto loaded = LoadConfig(scratch.daemon_file());
    ASSERT_TRUE(loaded.ok()) << "the daemon file itself must stay valid";
    const auto& cfg = loaded.value();

    auto desired = cfg.desired();
    ASSERT_EQ(desired.pools.size(), 1u) << "the good file's pool must still be managed";
    EXPECT_EQ(desired.pools[0].id, "render-linux");

    std::string got = ErrorsOf(cfg, name);
    EXPECT_FALSE(got.empty()) << "a bad file must report an error";
    fs::path expected = kBad / "expected" / (name + ".txt");
    if (std::getenv("PW_UPDATE_GOLDEN")) {
        fs::create_directories(expected.parent_path());
        std::ofstream(expected, std::ios::binary) << got;
    }
    EXPECT_EQ(got, Read(expected));
}

TEST(BadInputTest, EveryCorpusFileGivesItsExactErrorAndSparesTheGoodFile) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(kBad)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
        CheckCase(entry.path().filename().string(), Read(entry.path()));
        ++n;
    }
    EXPECT_GE(n, 80);
}

TEST(BadInputTest, TenMegabyteFileIsRefusedWithoutParsing) {
    std::string big = "pools:\n";
    std::string line = "  # " + std::string(96, 'x') + "\n";
    while (big.size() < 10u * 1024 * 1024) big += line;
    CheckCase("huge-file.yaml", big);
}

}  // namespace
}  // namespace pw::config
