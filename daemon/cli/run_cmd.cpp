#include <fmt/core.h>

#include <memory>

#include "app/app.hpp"
#include "cli/commands.hpp"
#include "log/log.hpp"
#include "model/duration.hpp"

namespace pw::cli {
namespace {

struct DaemonFlags {
    std::string config = "/etc/poolwarden/poolwarden.yaml";
    std::string log_format = "text";
    std::string log_level = "info";
    std::string interval;
    int grace_seconds = 20;
    bool once = false;
    bool allow_delete = false;
};

void AddFlags(CLI::App* cmd, DaemonFlags& f) {
    cmd->add_option("--config,-c", f.config, "Daemon file")->capture_default_str();
    cmd->add_option("--log-format", f.log_format, "Log lines on stderr: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->add_option("--log-level", f.log_level, "trace, debug, info, warn, error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
    cmd->add_option("--interval", f.interval,
                    "Override reconcile.interval (e.g. 2s; for demos and tests)");
}

int RunDaemon(const DaemonFlags& f, app::Mode mode) {
    log::Setup(*log::ParseFormat(f.log_format), *log::ParseLevel(f.log_level));
    app::Options opt;
    opt.config = f.config;
    opt.mode = mode;
    opt.shutdown_grace = std::chrono::seconds(f.grace_seconds);
    opt.allow_delete = f.allow_delete;
    if (!f.interval.empty()) {
        auto d = model::ParseDuration(f.interval);
        if (!d || d->count() <= 0) {
            fmt::print(stderr, "--interval: '{}' is not a positive duration\n", f.interval);
            return 1;
        }
        opt.interval_override = *d;
    }
    return app::Run(opt);
}

}  // namespace

void AddRunCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "run", "Reconcile forever: keep pools and image replicas in line with the pool files");
    auto f = std::make_shared<DaemonFlags>();
    AddFlags(cmd, *f);
    cmd->add_option("--shutdown-grace", f->grace_seconds,
                    "Seconds in-flight writes may take after SIGTERM/SIGINT")
        ->capture_default_str();
    cmd->callback([f, &exit_code] { exit_code = RunDaemon(*f, app::Mode::Run); });
}

void AddApplyCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "apply", "One full reconcile pass: exit 0 when converged or only waiting, 2 on errors");
    auto f = std::make_shared<DaemonFlags>();
    AddFlags(cmd, *f);
    cmd->add_flag("--once", f->once, "Run one pass and exit (required)")->required();
    cmd->add_flag("--allow-delete", f->allow_delete,
                  "Exit 0 even when orphaned pools would be deleted (prune.mode delete)");
    cmd->callback([f, &exit_code] { exit_code = RunDaemon(*f, app::Mode::ApplyOnce); });
}

int RunLivePlan(const std::string& config, std::function<void(const model::Plan&)> print,
                bool allow_delete) {
    log::Setup(log::Format::Text, spdlog::level::warn);
    app::Options opt;
    opt.config = config;
    opt.allow_delete = allow_delete;
    opt.mode = app::Mode::PlanLive;
    opt.print_plan = std::move(print);
    return app::Run(opt);
}

}  // namespace pw::cli
