#include "cli/cli.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "version.hpp"

namespace pw::cli {

int Main(int argc, char** argv) {
    CLI::App app{
        "poolwarden: keeps Azure Batch pools and their gallery image replicas in line "
        "with declared pool files"};
    app.require_subcommand(1);
    auto* version = app.add_subcommand("version", "Print the version");
    version->callback([] { fmt::print("poolwarden {}\n", kVersion); });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}

}  // namespace pw::cli
