#pragma once

#include <chrono>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"

namespace pw::planner {

/// Computes the plan: what to write so that Azure matches `desired`. Pure: no I/O, clock or
/// logging; same inputs give the same plan; desired == observed gives an empty plan.
///
/// Order of `actions`: first the replica writes (AddTargetRegion, SetRegionalReplicas) by
/// version id then region, then per pool (by account, then id case-insensitively)
/// WaitForReplication | CreatePool | ResizePool, then PatchPool.
///
/// Replica writes: every replica action of one image version carries the same COMPLETE merged
/// `target_regions` list (all regions of the version, each region's new count applied), for
/// review; the executor sends ONE PATCH per version per plan with only the changes of the
/// actions it runs (each action's own region, `from` -> `to`), so an action held or dropped
/// never lowers or raises its region through another action's list. New regions take the
/// version's storageAccountType, else the first region's. Counts are only lowered with
/// `policy.lower_replicas`, and only in regions where desired pools use the version; a caller
/// that observed only part of the pools must plan with it off (their demand is missing).
///
/// Pool rules (see rules.hpp for the formulas and the requeue constants):
/// - pools without the ownership marker are left alone (NotOwned) unless the spec says
///   `adopt: true`, which plans a PatchPool that adds the marker (the executor writes it);
/// - a missing pool is created (CreatePool carries the spec and, for fixed scale, targets and
///   resizeTimeout), after the account's region holds the required replicas with replication
///   Completed and the version is not Creating/Updating; until then WaitForReplication;
/// - a steady fixed-scale pool whose targets differ is resized (ResizePool with if_match =
///   eTag); growth waits for replicas like a create, a shrink never waits; a resizing or
///   stopping pool is waited for (PoolResizing info); a deleting pool is waited for;
/// - startTask (when the spec has one) and user metadata (poolwarden.io/ keys ignored)
///   differences give PatchPool;
/// - table-declared properties (model::PoolFields, StartTaskFields) are compared only when the
///   observation carries them (ObservedPool::properties; absent: they match the spec) with
///   model::PoolPropertyDrift: Patchable differences join the PatchPool (reason
///   `patchable <path> old -> new, ...`); EmptyOnly differences give one EmptyOnlyDrift warning
///   listing each `path old -> new` and are not applied; Fixed ones a FixedDrift warning. Either
///   (or properties_unread, an info PropertiesUnread) sets the PatchPool's keep_spec_hash to the
///   pool's own hash ("" when none), so that the hash never vouches for what differs. Neither
///   holds a resize or patch;
/// - immutable drift (vmSize, image, nodeAgentSkuId, taskSlotsPerNode) gives ImmutableDrift
///   (each `field old -> new`) and freezes the pool (no resize or patch), unless its
///   updatePolicy is drainAndSwap: then the rollout rules (PlanRollouts, rollout.hpp) apply;
/// - autoscale pools are never resized: a formula (model::CappedFormula) or interval that
///   differs, or a fixed-size pool the spec autoscales, is one EnableAutoScale (only when
///   steady; the latter gated on replicas for maxNodes as a growth); an autoscale pool the spec
///   gives a fixed size is a DisableAutoScale (the next pass resizes);
/// - image checks (ImageNotFound, ImageVersionFailed, SpecializedImage, OsMismatch) are
///   errors that block creates and growth;
/// - resizeErrors of a steady pool at its target: AllocationTimedout (warning),
///   *CoreQuotaReached (error CoreQuotaReached), others ResizeError (warning).
/// `requeue_after` is the smallest of the waits that apply, else empty.
model::Plan MakePlan(const model::DesiredState& desired, const model::ObservedState& observed,
                     std::chrono::system_clock::time_point now);

/// The orphaned pools of `plan` (Orphaned findings) that `poolwarden run` deletes under
/// `prune.mode: delete`, as "account/id"; empty in orphan mode and while a pool file has errors
/// (nothing is deleted then). `plan` and `apply --once` exit
/// 3 while any is pending, unless given --allow-delete. Pure.
std::vector<std::string> PendingDeletions(const model::DesiredState& desired,
                                          const model::Plan& plan);

}  // namespace pw::planner
