#pragma once

// Internal to pw_planner (not installed, not used outside daemon/planner): the state of one
// MakePlan pass and the methods of its parts, one source per part (planner.cpp,
// plan_orphans.cpp, plan_rollouts.cpp, plan_preflight.cpp, plan_replicas.cpp,
// plan_actions.cpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"
#include "model/pool_drift.hpp"
#include "model/resource_id.hpp"
#include "model/rollout.hpp"
#include "planner/rollout.hpp"
#include "planner/rules.hpp"

namespace pw::planner::detail {

using model::Action;
using model::ActionKind;
using model::Finding;
using model::Severity;

using model::Lower;

/// `parts` joined by `sep`.
inline std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

/// "2 dedicated + 1 low-priority".
inline std::string Nodes(int dedicated, int low) {
    return std::to_string(dedicated) + " dedicated + " + std::to_string(low) + " low-priority";
}

/// What pass one decided for one desired pool.
///
/// Thread safety: a value type (its pointers refer into the pass's inputs).
struct PoolWork {
    const model::PoolSpec* spec = nullptr;
    std::string region;  ///< The account's location as written (ARM or the daemon file).
    const model::ObservedPool* pool = nullptr;
    const model::ObservedImageVersion* version = nullptr;
    bool contributes = false;  ///< Counts toward the version's replica demand in `region`.
    bool create = false;
    bool resize = false;
    bool grow = false;  ///< The resize adds nodes: gated on replicas.
    /// `enableautoscale` (gated on replicas for maxNodes, as a growth) or `disableautoscale`.
    bool enable_autoscale = false;
    bool disable_autoscale = false;
    std::string autoscale_reason;
    std::vector<std::string> patch_reasons;
    std::optional<std::string> keep_spec_hash;  ///< Action::keep_spec_hash of the PatchPool.
    /// quota.partialGrowth: the targets that fit the account's quotas (preflight.hpp).
    std::optional<int> quota_dedicated, quota_low;
    /// The image (version or definition) answered 403: ImageAccessDenied holds every write.
    bool image_denied = false;
    /// A pre-flight finding holds every write of the pool.
    bool held = false;
    bool usable = false;  ///< The image checks passed (creates and growth may proceed).

    /// updatePolicy drainAndSwap (fixed scale): the pool takes part in a rollout.
    bool rollout = false;
    model::RolloutStatus::Step step = model::RolloutStatus::Step::Idle;
    std::string drift_text;  ///< The empty-only differences, `path old -> new, ...`.
    std::optional<model::RolloutMarker> marker;
    std::string target;  ///< model::RolloutTarget of the spec.
    bool drain = false;  ///< Shrink to 0 nodes with `drain_option`.
    std::string drain_option;
    bool swap = false;       ///< The PATCH of every empty-only property, with `new_marker`.
    std::string new_marker;  ///< Written under kRolloutKey by this pass's PatchPool.
    std::string detail;      ///< RolloutStatus::detail.
    std::optional<std::chrono::system_clock::time_point> next_window;
};

/// model::DescribeDrift of each, joined by ", ".
inline std::string DescribeAll(const std::vector<model::PropertyDrift>& drift) {
    std::vector<std::string> parts;
    parts.reserve(drift.size());
    for (const auto& d : drift) parts.push_back(model::DescribeDrift(d));
    return Join(parts, ", ");
}

/// Demand of one (version, region): the pools that use it there.
///
/// Thread safety: a value type (its pointers refer into PlanBuilder::work_).
struct Demand {
    std::string version_key;
    std::string region;  ///< As the first account wrote it.
    std::vector<const PoolWork*> pools;
    RegionRequirement requirement;
    int wanted = 0;  ///< requirement.required before the version-wide limit.
    /// Lowered to fit kMaxReplicasPerVersion.
    bool version_limited() const { return requirement.required < wanted; }
};

/// One MakePlan pass over a desired and an observed state: pass one examines each desired
/// pool (PoolWork), then orphans, pre-flight, replica demand, rollouts and each pool's actions
/// build the plan (Run).
///
/// Thread safety: none; one pass on one thread, built and run once (Run moves the plan out).
class PlanBuilder {
    using Step = model::RolloutStatus::Step;

  public:
    PlanBuilder(const model::DesiredState& desired, const model::ObservedState& observed,
                std::chrono::system_clock::time_point now)
        : desired_(desired), observed_(observed), now_(now) {}

    model::Plan Run();

  private:
    // planner.cpp: the pass and per-pool examination.
    void Find(Severity severity, std::string code, const model::PoolSpec& spec,
              std::string message);
    /// ObservedAccount::find_pool through a per-account hash index built on first use: a
    /// linear scan per desired pool is quadratic in the number of pools.
    const model::ObservedPool* FindPool(const model::ObservedAccount& account, std::string_view id);
    void Requeue(model::Seconds after) {
        if (!plan_.requeue_after || after < *plan_.requeue_after) plan_.requeue_after = after;
    }
    /// Pass one: findings and intent of one desired pool.
    void Examine(const model::PoolSpec& spec);
    void ExamineExisting(const model::PoolSpec& spec, PoolWork& w, bool owned, bool usable);
    void ReportResizeErrors(const model::PoolSpec& spec, const model::ObservedPool& pool);

    // plan_orphans.cpp: orphans, prune and kept images.
    /// Pools that carry poolwarden's marker in an observed account but that no pool file
    /// declares (`specs`: every declared pool, lower-cased id, sorted by account and id): a
    /// warning each; they are left as they are, and replicas their image has in their region
    /// are kept (never lowered).
    void FindOrphans(const std::vector<std::pair<std::string, const model::PoolSpec*>>& specs);
    /// A pool still running another image than its file names (a rollout not yet swapped, a
    /// manual update policy, drift): that image's replicas in its region are kept, as for an
    /// orphan, until the pool moves.
    void KeepLiveImage(const model::PoolSpec& spec, const PoolWork& w);
    bool KeptInUse(const model::PoolSpec& spec, const std::string& region) const;

    // plan_rollouts.cpp: drainAndSwap rollout groups.
    /// A drainAndSwap pool: its rollout step from Azure alone (DeriveRolloutStep). True when
    /// the step holds the pool's usual writes (a difference to roll out: pending, draining,
    /// swapping, or halted on it); its demand for the new image still counts, so that replicas
    /// are raised before any node is removed.
    bool ExamineRollout(const model::PoolSpec& spec, PoolWork& w,
                        const std::vector<model::PropertyDrift>& drift, bool usable);
    /// The pools of one rollout group: the canary first, then by account and id.
    ///
    /// Thread safety: pointers into work_; used on the builder's thread only.
    struct RolloutGroup {
        std::vector<PoolWork*> pools;
        const PoolWork* canary = nullptr;
        const model::RolloutGroupPolicy* policy = nullptr;
        bool solo = false;  ///< A pool without rolloutGroup (the defaults apply).
    };
    std::map<std::string, RolloutGroup> RolloutGroups();
    /// Below size while it rolls: counts toward maxUnavailable.
    static bool Busy(Step s) {
        return s == Step::Draining || s == Step::Swapping || s == Step::Regrowing ||
               s == Step::Gating;
    }
    /// Decides, per rollout group, which pools move on this pass: the canary alone first, then
    /// at most maxUnavailable pools below size at a time, drains only inside a maintenance
    /// window and after the new image's replicas, nothing new while the group is halted or a
    /// pool is paused.
    void PlanRollouts();
    /// The gate through ARM, which lists no nodes: the pool regrew without resize errors.
    static GateVerdict ArmGate(const model::ObservedPool& pool);
    static std::string Marker(model::RolloutMarker::Step step, const PoolWork& w,
                              std::int64_t since, std::string reason = {});
    void RolloutHalted(const std::string& group, const model::PoolSpec& spec,
                       const std::string& why);

    // plan_preflight.cpp: image checks and pre-flight.
    /// Image checks for creating or growing; reports error findings when `report`.
    bool ImageUsable(const model::PoolSpec& spec, PoolWork& w, bool report);
    /// Pre-flight (preflight.hpp): of every pool, its image's readability, nodeAgentSkuId and
    /// image subscription (a pool that fails gets no write at all); of the pools that create or
    /// grow, compatibility of VM size, image and security profile, then each account's quotas
    /// (a pool that fails is held).
    void Preflight();
    static void Hold(PoolWork& w);
    /// No create, resize, autoscale change or patch for the pool.
    static void HoldAll(PoolWork& w);

    // plan_replicas.cpp: replica demand and replica writes.
    void ComputeDemand();
    /// Azure holds at most kMaxReplicasPerVersion replicas of a version over all its regions:
    /// the regions' requirements [first, last) of one version are fitted into that.
    void FitVersion(std::map<std::pair<std::string, std::string>, Demand>::iterator first,
                    std::map<std::pair<std::string, std::string>, Demand>::iterator last);
    const Demand* DemandFor(const PoolWork& w) const;
    /// Need(d, required), and when the version-wide limit lowered it, what was wanted.
    std::string NeedFor(const Demand& d) const;
    /// "a (3000 VMs), b (301 VMs) need 12 replicas in eastus (1 per 300 VMs + 0 extra)".
    std::string Need(const Demand& d, int replicas) const;
    /// Replica writes: per version, every region's change merged into one targetRegions list
    /// that each of the version's actions carries.
    void PlanReplicas();

    // plan_actions.cpp: the per-pool actions.
    /// Pass two: the pool's own actions, in order wait / create / resize / patch.
    void PlanPoolActions(const PoolWork& w);
    Action Base(ActionKind kind, const model::PoolSpec& spec) const;
    Action CreateAction(const PoolWork& w) const;

    // State of the pass.
    const model::DesiredState& desired_;
    const model::ObservedState& observed_;
    std::chrono::system_clock::time_point now_;
    std::unordered_map<const model::ObservedAccount*,
                       std::unordered_map<std::string, const model::ObservedPool*>>
        pool_index_;
    std::vector<PoolWork> work_;
    std::map<std::pair<std::string, std::string>, Demand> demand_;
    std::set<std::string> blocked_versions_;  ///< Version keys whose regions cannot fit.
    /// (ResourceKey of the image id, normalized region) of every orphaned pool and of every
    /// declared pool still on another image than its file's: replicas there are never lowered.
    std::set<std::pair<std::string, std::string>> kept_images_;
    std::vector<Action> deletions_;  ///< DeletePool actions: first in the plan.
    model::Plan plan_;
};

}  // namespace pw::planner::detail
