#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "model/plan.hpp"

namespace pw::cli {

/// Each verb registers itself on the app and stores its exit code in `exit_code` when run.
/// One file per verb (validate_cmd.cpp, plan_cmd.cpp, run_cmd.cpp, ...).
void AddValidateCommand(CLI::App& app, int& exit_code);
void AddPlanCommand(CLI::App& app, int& exit_code);
void AddRunCommand(CLI::App& app, int& exit_code);    // run_cmd.cpp
void AddApplyCommand(CLI::App& app, int& exit_code);  // run_cmd.cpp
/// `status`: GET the daemon's /status and print it (status_cmd.cpp).
void AddStatusCommand(CLI::App& app, int& exit_code);
/// `doctor`: every check once, local and live Azure (read-only) (doctor_cmd.cpp).
void AddDoctorCommand(CLI::App& app, int& exit_code);
/// `plan --config F` without --observed: observes live Azure read-only and prints the plan
/// with `print`; returns the exit code (run_cmd.cpp).
int RunLivePlan(const std::string& config, std::function<void(const model::Plan&)> print,
                bool allow_delete = false);

}  // namespace pw::cli
