#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "config/load.hpp"

namespace pw::cli {

void AddValidateCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "validate", "Check the daemon file and every pool file; print all errors at once");
    auto config = std::make_shared<std::string>("/etc/poolwarden/poolwarden.yaml");
    cmd->add_option("--config,-c", *config, "Daemon file")->capture_default_str();
    cmd->callback([config, &exit_code] {
        auto loaded = config::LoadConfig(*config);
        if (!loaded) {
            for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.str());
            exit_code = 1;
            return;
        }
        for (const auto& w : loaded->daemon.warnings) fmt::print(stderr, "warning: {}\n", w.str());
        auto errors = loaded->all_errors();
        if (!errors.empty()) {
            for (const auto& e : errors) fmt::print(stderr, "{}\n", e.str());
            exit_code = 1;
            return;
        }
        std::size_t pools = 0;
        for (const auto& f : loaded->pool_files) pools += f.pools.size();
        fmt::print("OK: {} pools in {} files\n", pools, loaded->pool_files.size());
    });
}

}  // namespace pw::cli
