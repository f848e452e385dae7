#pragma once

// Shared by the configuration loading tests (config_load_test.cpp, config_pool_rules_test.cpp,
// config_daemon_file_test.cpp): error texts relative to a temp folder, a daemon file and a
// valid pool to vary.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "config_fixture.hpp"

namespace pw::config::load_test {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using fixture::TempDir;

/// Error texts with the temp folder stripped, so expectations read as relative file names.
inline std::vector<std::string> Texts(const std::vector<ConfigError>& errors, const fs::path& dir) {
    std::vector<std::string> out;
    std::string prefix = dir.string() + "/";
    for (const auto& e : errors) {
        std::string s = e.str();
        if (!dir.empty() && s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
        out.push_back(s);
    }
    return out;
}

/// The daemon file's and the example pool file's names as error texts begin.
inline const std::string D = "poolwarden.yaml:";
inline const std::string F = "pools.d/render.yaml:";

inline constexpr const char* kImage =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";

inline constexpr const char* kDaemon = R"(accounts:
  - name: render-eus
    subscriptionId: 11111111-1111-1111-1111-111111111111
    resourceGroup: rg-batch
    accountName: renderbatch
poolsDir: pools.d
)";

/// A valid pool (lines 1-7); `extra` lines start at line 8. `replace` swaps a base line.
inline std::string Pool(const std::string& extra = "", const std::string& from = "",
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

}  // namespace pw::config::load_test
