#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "codec/decode.hpp"
#include "codec/plan_json.hpp"
#include "config/load.hpp"
#include "model/resource_id.hpp"
#include "planner/planner.hpp"

namespace pw::cli {
namespace {

struct PlanOptions {
    std::string config = "/etc/poolwarden/poolwarden.yaml";
    std::string observed;
    std::string output = "text";
    bool allow_delete = false;
};

std::string Opt(const std::optional<int>& v) { return v ? std::to_string(*v) : "?"; }

std::string DescribeAction(const model::Action& a) {
    const std::string pool = "pool " + a.account + "/" + a.pool;
    const std::string version = model::ShortImageVersion(a.image_version);
    switch (a.kind) {
        case model::ActionKind::AddTargetRegion:
            return version + " add region " + a.region + " with " + Opt(a.to) + " replicas";
        case model::ActionKind::SetRegionalReplicas:
            return version + " in " + a.region + ": " + Opt(a.from) + " -> " + Opt(a.to) +
                   " replicas";
        case model::ActionKind::WaitForReplication:
            return pool + " waits for " + Opt(a.to) + " replicas of " + version + " in " + a.region;
        case model::ActionKind::CreatePool: {
            std::string out = pool + " create";
            if (a.target_dedicated_nodes)
                out += " with " + Opt(a.target_dedicated_nodes) + " dedicated + " +
                       Opt(a.target_low_priority_nodes) + " low-priority nodes";
            else
                out += " with autoscale";
            if (a.resize_timeout)
                out += ", resizeTimeout " + model::FormatIsoDuration(*a.resize_timeout);
            return out;
        }
        case model::ActionKind::ResizePool:
            return pool + " resize to " + Opt(a.target_dedicated_nodes) + " dedicated + " +
                   Opt(a.target_low_priority_nodes) + " low-priority nodes, resizeTimeout " +
                   (a.resize_timeout ? model::FormatIsoDuration(*a.resize_timeout) : "?");
        case model::ActionKind::PatchPool:
            return pool + " patch";
        case model::ActionKind::EnableAutoScale:
            return pool + " enable autoscale" +
                   (a.spec && a.spec->autoscale
                        ? " (maxNodes " + std::to_string(a.spec->autoscale->max_nodes) +
                              ", interval " +
                              model::FormatIsoDuration(a.spec->autoscale->evaluation_interval) + ")"
                        : std::string());
        case model::ActionKind::DisableAutoScale:
            return pool + " disable autoscale";
        case model::ActionKind::DeletePool:
            return pool + " DELETE (prune.mode delete)";
    }
    return pool;
}

/// Red on a terminal (stdout a TTY and NO_COLOR unset, https://no-color.org).
bool UseColor() { return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

std::string PlanText(const model::Plan& plan, bool color = false) {
    std::string out;
    if (plan.actions.empty()) {
        out += "No changes: Azure matches the pool files.\n";
    } else {
        out += fmt::format("{} action(s), in order:\n", plan.actions.size());
        for (std::size_t i = 0; i < plan.actions.size(); ++i) {
            const auto& a = plan.actions[i];
            const bool red = color && a.kind == model::ActionKind::DeletePool;
            out += fmt::format("{}  {}. {:<20} {} -- {}{}\n", red ? "\033[31m" : "", i + 1,
                               model::ToString(a.kind), DescribeAction(a), a.reason,
                               red ? "\033[0m" : "");
        }
    }
    if (!plan.findings.empty()) {
        out += fmt::format("{} finding(s):\n", plan.findings.size());
        for (const auto& f : plan.findings) {
            std::string subject = f.pool.empty() ? model::ShortImageVersion(f.image_version)
                                                 : "pool " + f.account + "/" + f.pool;
            out += fmt::format("  {:<7} {:<18} {}: {}\n", model::ToString(f.severity), f.code,
                               subject, f.message);
        }
    }
    std::vector<const model::RolloutStatus*> rolling;
    for (const auto& r : plan.rollouts)
        if (r.step != model::RolloutStatus::Step::Idle &&
            r.step != model::RolloutStatus::Step::Done)
            rolling.push_back(&r);
    if (!rolling.empty()) {
        out +=
            fmt::format("{} pool(s) in a rollout (updatePolicy drainAndSwap):\n", rolling.size());
        for (const auto* rp : rolling) {
            const auto& r = *rp;
            out +=
                fmt::format("  {:<10} {}/{} (group {}){}{}\n", model::ToString(r.step), r.account,
                            r.pool, r.group, r.detail.empty() ? "" : " -- ", r.detail);
        }
    }
    if (plan.requeue_after)
        out += "Look again in " + model::FormatShortDuration(*plan.requeue_after) + ".\n";
    return out;
}

std::optional<std::string> ReadFile(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        error = "read error";
        return std::nullopt;
    }
    return ss.str();
}

int RunPlan(const PlanOptions& opt) {
    if (opt.observed.empty()) {  // live Azure, read-only (run_cmd.cpp)
        return RunLivePlan(
            opt.config,
            [&](const model::Plan& plan) {
                fmt::print("{}", opt.output == "json" ? codec::PlanToJson(plan) + "\n"
                                                      : PlanText(plan, UseColor()));
            },
            opt.allow_delete);
    }
    auto loaded = config::LoadConfig(opt.config);
    if (!loaded) {
        for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.str());
        return 1;
    }
    for (const auto& w : loaded->daemon.warnings) fmt::print(stderr, "warning: {}\n", w.str());
    bool rejected = false;
    for (const auto& file : loaded->pool_files) {
        if (file.errors.empty()) continue;
        rejected = true;
        for (const auto& e : file.errors) fmt::print(stderr, "{}\n", e.str());
        fmt::print(stderr, "{}: rejected; its pools are left out of the plan\n", file.file);
    }
    std::string error;
    auto body = ReadFile(opt.observed, error);
    if (!body) {
        fmt::print(stderr, "{}: cannot read the snapshot: {}\n", opt.observed, error);
        return 1;
    }
    auto observed = codec::DecodeSnapshot(*body);
    if (!observed) {
        fmt::print(stderr, "{}: {}\n", opt.observed, observed.error());
        return 1;
    }
    const auto desired = loaded->desired();
    auto plan = planner::MakePlan(desired, *observed, std::chrono::system_clock::now());
    if (opt.output == "json")
        fmt::print("{}\n", codec::PlanToJson(plan));
    else
        fmt::print("{}", PlanText(plan, UseColor()));
    bool errors = std::any_of(plan.findings.begin(), plan.findings.end(),
                              [](const auto& f) { return f.severity == model::Severity::Error; });
    if (errors || rejected) return 2;
    if (auto pending = planner::PendingDeletions(desired, plan); !pending.empty()) {
        fmt::print(stderr,
                   "{} orphaned pool(s) would be deleted by poolwarden run (prune.mode delete): "
                   "{}{}\n",
                   pending.size(), fmt::join(pending, ", "),
                   opt.allow_delete ? "" : "; pass --allow-delete to accept (exit status 3)");
        if (!opt.allow_delete) return 3;
    }
    return 0;
}

}  // namespace

void AddPlanCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "plan", "Print what poolwarden would change for an observed-state snapshot (no network)");
    auto opt = std::make_shared<PlanOptions>();
    cmd->add_option("--config,-c", opt->config, "Daemon file")->capture_default_str();
    cmd->add_option("--observed", opt->observed,
                    "Snapshot of Azure's state (JSON: accounts, imageVersions, images); "
                    "without it, live Azure is read (never written)");
    cmd->add_option("--output,-o", opt->output, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->add_flag("--allow-delete", opt->allow_delete,
                  "Exit 0 even when orphaned pools would be deleted (prune.mode delete)");
    cmd->callback([opt, &exit_code] { exit_code = RunPlan(*opt); });
}

}  // namespace pw::cli
