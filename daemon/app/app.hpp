#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "app/azure_clients.hpp"
#include "model/plan.hpp"
#include "reconcile/reconciler.hpp"
#include "reconcile/status.hpp"

namespace pw::app {

/// What the composition root runs.
enum class Mode {
    Run,        ///< `poolwarden run`: reconcile forever until SIGTERM/SIGINT.
    ApplyOnce,  ///< `poolwarden apply --once`: one full pass.
    PlanLive,   ///< `poolwarden plan --config F`: observe and plan, never write.
};

/// Settings of one daemon run.
struct Options {
    std::filesystem::path config = "/etc/poolwarden/poolwarden.yaml";
    Mode mode = Mode::Run;
    /// SIGTERM/SIGINT: how long in-flight writes may take before the process exits anyway.
    std::chrono::seconds shutdown_grace{20};
    /// Overrides the daemon file's reconcile.interval (tests, demos); 0 keeps it.
    std::chrono::milliseconds interval_override{0};
    ClientFactory clients;  ///< Empty: MakeAzureClients.
    /// Called after every pass with the report and the status store (metrics, tests).
    std::function<void(const reconcile::CycleReport&, const reconcile::StatusStore&)> on_cycle;
    /// PlanLive: prints the plan (the `plan` verb's text or JSON printer).
    std::function<void(const model::Plan&)> print_plan;
    /// PlanLive, ApplyOnce: pools `run` would delete (prune.mode delete) do not make the exit
    /// status 3.
    bool allow_delete = false;
    /// PlanLive: the whole pass (observation, plan) with the declared desired state it planned
    /// for (`poolwarden doctor`). When set, accounts that could not be observed are left to it
    /// instead of being reported on stderr.
    std::function<void(const model::DesiredState&, const reconcile::CycleReport&)> on_plan_report;
};

/// The composition root: loads the configuration (a broken daemon file: every error on
/// stderr, exit 1), builds the Azure clients, and runs the chosen mode on one io_context.
/// Run mode: SIGHUP and changes in poolsDir (inotify) reload (each pool file alone, last good
/// kept; a broken daemon file is rejected); SIGTERM/SIGINT stop scheduling, let in-flight
/// writes finish within `shutdown_grace`, and exit 0. Logging must be set up by the caller.
/// Returns the process exit code: ApplyOnce 0 when converged or only waiting, 2 on errors;
/// PlanLive 0, or 2 with error findings, rejected files or unobservable accounts; both 3 when
/// not 2 and orphaned pools would be deleted by `run` (prune.mode delete) without
/// `allow_delete`.
int Run(const Options& options);

}  // namespace pw::app
