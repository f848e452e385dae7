#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/boxed.hpp"
#include "model/plan.hpp"

namespace pw::reconcile {

using TimePoint = std::chrono::system_clock::time_point;

/// A Kubernetes-style condition: `Ready`, `Progressing` or `Degraded`.
struct Condition {
    std::string_view type;  ///< A literal: `Ready`, `Progressing` or `Degraded`.
    bool status = false;
    std::string reason;  ///< CamelCase, stable (e.g. `WaitingForReplication`, `CoreQuotaReached`).
    std::string message;
    TimePoint since{};  ///< When `status` last changed.
};

/// The last write attempted for a pool or image version.
struct ActionRecord {
    std::string kind;  ///< model::ActionKind name.
    std::string reason;
    std::string result;  ///< succeeded | failed | waiting | held: <why>
    TimePoint at{};
};

/// The last error seen for a pool or image version.
struct ErrorRecord {
    std::string message;
    std::string code;
    bool terminal = false;  ///< Waits for a change of spec or Azure instead of retrying.
    TimePoint at{};
    std::optional<TimePoint> next_retry;
};

using model::Boxed;

/// One desired pool.
struct PoolStatus {
    std::string id;
    std::string account;
    std::string source_file;
    std::vector<Condition> conditions;  ///< Ready, Progressing, Degraded (always all three).
    Boxed<ActionRecord> last_action;
    /// `last_action` is the pool's own write (not its image version's), kept here only: the
    /// reconciler drops its record of a pool once nothing but the last action is left in it.
    bool own_last_action = false;
    Boxed<ErrorRecord> last_error;
    std::vector<model::Finding> findings;
    std::optional<int> target_nodes;   ///< Observed target (dedicated + low-priority).
    std::optional<int> current_nodes;  ///< Observed current.
    std::string allocation_state;      ///< Observed; empty when the pool does not exist.
    /// Node counts by kind (dedicated, low-priority): observed target and current (absent when
    /// the pool does not exist) and the pool file's fixed size (absent for autoscale).
    struct NodeCounts {
        int dedicated = 0;
        int low_priority = 0;
    };
    std::optional<NodeCounts> observed_target;
    std::optional<NodeCounts> observed_current;
    std::optional<NodeCounts> desired_nodes;
    std::map<std::string, int> resize_errors;  ///< Observed resizeErrors, count by code.

    const Condition* condition(std::string_view type) const;
};

/// Required vs current replicas of one image version in one region.
struct RegionReplicaStatus {
    std::string region;
    int required = 0;
    int current = 0;
    std::string replication_state;  ///< Unknown | Replicating | Completed | Failed | Missing
    int progress = 0;
};

/// One image version used by the pool files.
struct ImageVersionStatus {
    std::string id;
    std::string provisioning_state;
    std::string aggregated_state;
    std::vector<RegionReplicaStatus> regions;
    Boxed<ActionRecord> last_action;
    Boxed<ErrorRecord> last_error;
};

/// One configured Batch account.
struct AccountStatus {
    std::string name;
    bool observed = false;  ///< The last observation was complete.
    std::string error;
    std::string location;
    int pools_observed = 0;
};

/// One config file (the daemon file or a pool file).
struct ConfigFileStatus {
    std::string file;
    bool valid = true;
    bool using_last_good = false;  ///< Invalid now; its last valid version stays in force.
    std::vector<std::string> errors;
};

/// The last completed cycle.
struct CycleSummary {
    std::uint64_t id = 0;
    TimePoint started{};
    TimePoint finished{};
    int actions = 0;
    int writes = 0;
    int failed = 0;
    bool converged = false;
    std::optional<std::chrono::seconds> requeue_after;
};

/// One rollout group (updatePolicy.rolloutGroup; a pool without one is a group of its own).
struct RolloutGroupStatus {
    std::string name;
    bool halted = false;                      ///< A pool of it halted: nothing new starts.
    std::vector<model::RolloutStatus> pools;  ///< Canary first, then by id.
};

/// Leader election (issue 18): this instance's role and who leads, as the lease blob says.
struct LeadershipStatus {
    std::string role;                ///< `leader` | `standby`.
    std::string identity;            ///< This instance's identity.
    std::string leader;              ///< The leader's identity ("" when nobody is known to lead).
    std::optional<TimePoint> since;  ///< When the leader took the lease.
    std::string last_error;          ///< The last lease call's error, "" after a success.
};

/// Everything `/status` shows. A consistent snapshot: readers never see a half-written cycle.
///
/// Thread safety: a value type.
struct StatusSnapshot {
    TimePoint updated{};
    std::optional<CycleSummary> last_cycle;
    std::vector<PoolStatus> pools;
    std::vector<ImageVersionStatus> image_versions;
    std::vector<AccountStatus> accounts;
    std::vector<ConfigFileStatus> config_files;
    std::string config_error;  ///< A rejected daemon-file reload (the running config stays).
    std::vector<model::Finding> findings;        ///< Every finding of the last plan.
    std::vector<RolloutGroupStatus> rollouts;    ///< Pools with updatePolicy drainAndSwap.
    std::optional<LeadershipStatus> leadership;  ///< Set when leaderElection is enabled.

    const PoolStatus* pool(std::string_view id) const;
    const ImageVersionStatus* image_version(std::string_view id) const;
};

/// Holds the latest StatusSnapshot for concurrent readers (the /status server).
///
/// Thread safety: all methods may be called concurrently.
class StatusStore {
  public:
    std::shared_ptr<const StatusSnapshot> get() const;
    /// Applies `fn` to the current snapshot and publishes the result atomically: in place when
    /// no reader holds the snapshot (readers calling get() meanwhile wait for `fn`), else on a
    /// copy. `fn` must not call this store.
    void update(const std::function<void(StatusSnapshot&)>& fn);

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<StatusSnapshot> snapshot_ = std::make_shared<StatusSnapshot>();
};

/// The `/status` body: the snapshot as one JSON document (RFC 3339 UTC times; absent values
/// left out; members sorted, two-space indent, as nlohmann-json's dump(2)) and a newline,
/// written as text pool by pool without building the document (at 10 000 pools the document is
/// several times the size of its text). Invalid UTF-8 in a string is written as U+FFFD instead of
/// failing the answer. `size_hint` reserves the text's expected size (e.g. the previous answer's).
std::string RenderStatus(const StatusSnapshot& snapshot, std::size_t size_hint = 0);

/// The RenderStatus() text of a snapshot in pieces of about `piece_size` bytes (a pool is
/// never split), for a response sent while it is written: at 10 000 pools the whole text is
/// about 10 MB. The pieces joined are exactly RenderStatus(*snapshot).
///
/// Thread safety: not thread-safe; one user at a time. The snapshot is shared, never copied.
class StatusRenderer {
  public:
    explicit StatusRenderer(std::shared_ptr<const StatusSnapshot> snapshot,
                            std::size_t piece_size = 64 * 1024);
    ~StatusRenderer();
    StatusRenderer(StatusRenderer&&) noexcept;
    StatusRenderer& operator=(StatusRenderer&&) noexcept;

    /// Appends the next piece to `out`; returns false once it appended the last one.
    bool next(std::string& out);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t piece_size_;
};

}  // namespace pw::reconcile
