#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

namespace pw::config::fixture {

/// A fresh folder with an empty `pools.d/` under GoogleTest's temp dir, removed with the object.
class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::path(::testing::TempDir()) /
                ("pw-config-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_ / "pools.d");
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    /// Writes `text` to `name` (relative to the folder, parents created); returns its path.
    std::filesystem::path Write(const std::string& name, const std::string& text) const {
        auto p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

  private:
    std::filesystem::path path_;
};

}  // namespace pw::config::fixture
