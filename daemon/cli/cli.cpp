#include "cli/cli.hpp"

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "version.hpp"

namespace pw::cli {

int Main(int argc, char** argv) {
    CLI::App app{
        "poolwarden: keeps Azure Batch pools and their gallery image replicas in line "
        "with declared pool files"};
    app.require_subcommand(1);
    int exit_code = 0;
    auto* version = app.add_subcommand("version", "Print the version");
    version->callback([] { fmt::print("poolwarden {}\n", kVersion); });
    AddValidateCommand(app, exit_code);
    AddPlanCommand(app, exit_code);
    AddRunCommand(app, exit_code);
    AddApplyCommand(app, exit_code);
    AddStatusCommand(app, exit_code);
    AddDoctorCommand(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return exit_code;
}

}  // namespace pw::cli
