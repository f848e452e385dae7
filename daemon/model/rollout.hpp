#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/duration.hpp"

namespace pw::model {

/// The metadata key holding a pool's rollout step (RolloutMarker), written by the writes the
/// steps make (the swap PATCH, the health gate's verdict): a restart or another instance
/// resumes at the step it names.
inline constexpr const char* kRolloutKey = "poolwarden.io/rollout";

/// One `updatePolicy.maintenanceWindows[]` entry: from `start` (minutes after 00:00 UTC) on
/// each of `days` (bit 0 = Monday .. bit 6 = Sunday), for `duration`. A window may cross
/// midnight; it belongs to the day it starts on.
///
/// Thread safety: a value type.
struct MaintenanceWindow {
    unsigned days = 0x7f;
    int start_minute = 0;
    Seconds duration = std::chrono::hours(1);
    friend bool operator==(const MaintenanceWindow&, const MaintenanceWindow&) = default;
};

/// A pool file's `updatePolicy`: how empty-only changes (image version, vmSize, network,
/// mounts, ...) reach a live pool.
///
/// Thread safety: a value type.
struct UpdatePolicy {
    enum class Strategy { Manual, DrainAndSwap };
    Strategy strategy = Strategy::Manual;
    std::string drain_option = "taskcompletion";  ///< nodeDeallocationOption of the drain.
    Seconds drain_timeout = std::chrono::hours(2);
    std::string on_timeout = "requeue";      ///< requeue | terminate, once drain_timeout passed.
    std::vector<MaintenanceWindow> windows;  ///< Empty: any time.
    std::string group;                       ///< rolloutGroup; empty: the pool rolls alone.
    bool paused = false;
    friend bool operator==(const UpdatePolicy&, const UpdatePolicy&) = default;
};

/// The daemon file's `rollout.groups.<name>.healthGate`.
struct HealthGate {
    int min_ready_percent = 95;
    int max_start_task_failed_percent = 2;
    Seconds timeout = std::chrono::minutes(45);
};

/// The daemon file's `rollout.groups.<name>` (defaults for a pool without a group, or a group
/// the daemon file does not declare).
struct RolloutGroupPolicy {
    int max_unavailable = 1;
    std::string canary;  ///< Pool id rolled first, alone; empty: none.
    HealthGate gate;
};

/// A pool's rollout step as written into its metadata under kRolloutKey:
/// `<step>;target=<RolloutTarget>;since=<unix seconds>[;reason=<text>]`.
///
/// Thread safety: a value type.
struct RolloutMarker {
    enum class Step { Swapped, Done, Halted };
    Step step = Step::Swapped;
    std::string target;      ///< RolloutTarget() of the spec the swap applied.
    std::int64_t since = 0;  ///< Unix seconds of the write.
    std::string reason;      ///< Halted: why (the gate's figures or its timeout).
    friend bool operator==(const RolloutMarker&, const RolloutMarker&) = default;
};

std::string_view ToString(RolloutMarker::Step step);
/// The marker as metadata text. Pure.
std::string FormatRolloutMarker(const RolloutMarker& marker);
/// Parses FormatRolloutMarker's text; nullopt for anything else (treated as no marker). Pure.
std::optional<RolloutMarker> ParseRolloutMarker(std::string_view text);

/// Whether `now` lies inside one of `windows` (always true without windows). Pure.
bool InMaintenanceWindow(const std::vector<MaintenanceWindow>& windows,
                         std::chrono::system_clock::time_point now);

/// The start of the next window after `now` (within 8 days); nullopt without windows. Pure.
std::optional<std::chrono::system_clock::time_point> NextMaintenanceWindow(
    const std::vector<MaintenanceWindow>& windows, std::chrono::system_clock::time_point now);

/// Parses `Mon`..`Sun` (any case); -1 otherwise. Pure.
int ParseWeekday(std::string_view day);

/// Parses `HH:MM` (00:00..23:59) as minutes after midnight; nullopt otherwise. Pure.
std::optional<int> ParseClock(std::string_view text);

}  // namespace pw::model
