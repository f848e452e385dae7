#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "azure/api.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"

namespace pw::execute {

/// What became of one action.
enum class Status {
    Succeeded,   ///< The write was accepted by Azure.
    Failed,      ///< Azure or the transport refused; see `error`.
    Waiting,     ///< Nothing to write (WaitForReplication).
    NotStarted,  ///< Shutdown began before the action started.
};

std::string_view ToString(Status s);

/// The result of one plan action.
///
/// Thread safety: a value type.
struct Outcome {
    model::Action action;
    Status status = Status::NotStarted;
    std::optional<azure::Error> error;
    std::chrono::milliseconds duration{0};
};

/// Applies plan actions through the Azure APIs with bounded concurrency and reports one
/// outcome per action. It never decides what to do: the actions come from the planner (as
/// filtered by the reconciler). Replica actions on one image version become ONE PATCH with the
/// complete targetRegions list, built on a GET of the version made right before it
/// (MergeTargetRegions); no PATCH when that list is what the version already holds, none while
/// the version is Creating or Updating. CreatePool and PatchPool write poolwarden's ownership
/// marker and the spec hash into the pool's metadata (PatchPool: Action::keep_spec_hash when
/// set), PatchPool also the patchable table-declared properties. Nothing is ever deleted.
///
/// Thread safety: not thread-safe; use from one strand. `stop` may be set from any thread.
class Executor {
  public:
    struct Options {
        int concurrency = 8;
    };

    Executor(azure::BatchApi& batch, azure::ArmApi& arm, Options options);

    /// Runs `actions` (in plan order, at most `concurrency` at once). Account endpoints come
    /// from `observed`. Once `stop` is true no new action starts; started ones finish.
    boost::asio::awaitable<std::vector<Outcome>> execute(std::vector<model::Action> actions,
                                                         const model::ObservedState& observed,
                                                         const std::atomic<bool>* stop = nullptr);
    /// Reload: runs at most `n` actions at once from the next execute() on.
    void set_concurrency(int n) { options_.concurrency = n; }

  private:
    /// One image version's replica actions: GET, MergeTargetRegions, PATCH when it changes.
    boost::asio::awaitable<azure::Result<Unit>> write_replicas(
        const std::vector<const model::Action*>& group);
    boost::asio::awaitable<azure::Result<Unit>> apply(const model::Action& action,
                                                      const model::ObservedState& observed);

    azure::BatchApi& batch_;
    azure::ArmApi& arm_;
    Options options_;
};

/// The metadata a pool gets from `spec`: the user's entries plus the ownership marker and
/// the spec hash.
std::map<std::string, std::string> OwnedMetadata(const model::PoolSpec& spec);

/// The members of a pool's table-declared `properties` that a PATCH may change in place
/// (model::UpdateClass::Patchable: applicationPackageReferences, targetNodeCommunicationMode;
/// BatchPoolUpdateOptions, azure-contract.md section 7). A PatchPool sends them all: each
/// replaces the pool's, so those already equal stay as they are. Pure.
model::PropValue PatchableProperties(const model::PropValue& properties);

/// A stable hash of everything in a spec that shapes the pool (not its source file or line):
/// 16 lower-case hex digits. Same spec, same hash, across runs and machines.
std::string SpecHash(const model::PoolSpec& spec);

/// The complete targetRegions list to PATCH for the replica actions `group` of one image
/// version, built on `current` (the version as re-read right before the write). Every region of
/// `current` is kept, with its entry as read, so a region someone else added after this cycle's
/// observation is never removed; only the regions of the actions in `group` change, each to its
/// own `to` (never to another action's count): to `to` when the region still holds the `from`
/// the plan saw, else to max(what it holds now, `to`), so a count that changed since the
/// observation is never lowered. A region an AddTargetRegion names that `current` lacks is
/// appended from that action's list (its storageAccountType). Pure.
std::vector<model::TargetRegion> MergeTargetRegions(const std::vector<model::TargetRegion>& current,
                                                    const std::vector<const model::Action*>& group);

}  // namespace pw::execute
