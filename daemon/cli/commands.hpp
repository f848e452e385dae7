#pragma once

#include <CLI/CLI.hpp>

namespace pw::cli {

/// Each verb registers itself on the app and stores its exit code in `exit_code` when run.
/// One file per verb (validate_cmd.cpp, plan_cmd.cpp, run_cmd.cpp, ...).
void AddValidateCommand(CLI::App& app, int& exit_code);
void AddPlanCommand(CLI::App& app, int& exit_code);

}  // namespace pw::cli
