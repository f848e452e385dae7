#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "azure/api.hpp"
#include "execute/execute.hpp"
#include "model/desired.hpp"
#include "model/plan.hpp"
#include "observe/observe.hpp"
#include "reconcile/backoff.hpp"
#include "reconcile/secret_digest.hpp"
#include "reconcile/status.hpp"

namespace pw::reconcile {

namespace detail {
class PoolIndex;
}

/// What one reconcile pass did.
///
/// Thread safety: a value type.
struct CycleReport {
    std::uint64_t id = 0;
    TimePoint started{};
    TimePoint finished{};
    observe::Observation observation;
    model::Plan plan;                        ///< The planner's plan after safety filtering.
    std::vector<std::string> held;           ///< Actions not run this cycle, with why.
    std::vector<execute::Outcome> outcomes;  ///< One per executed action.
    int writes = 0;                          ///< Write requests attempted.
    int failed = 0;                          ///< Writes that failed.
    bool incomplete = false;                 ///< Some account or image could not be observed.
    bool waiting = false;                    ///< Replication, a resize or an update in flight.
    observe::Watch watch;                    ///< What is awaited (polled until the next pass).
    bool error_findings = false;             ///< A finding of severity error.
    std::optional<std::chrono::seconds> requeue_after;
    /// Entries kept between passes after this one: per-pool and per-version memory plus cached
    /// account and image definition reads, only for what the pool files declare
    /// (`poolwarden_tracked_items`).
    std::size_t tracked_items = 0;
    /// How long the pass took, on the monotonic clock (metrics; `finished - started` is wall
    /// time and jumps with the clock).
    std::chrono::milliseconds duration{0};
    /// The desired state with the versions of pools that follow "latest" resolved from this
    /// pass's version lists (model::ResolveLatest) and the start tasks' secret digests filled
    /// in (SecretDigests); empty when no pool follows "latest" or names a start-task secret.
    std::optional<model::DesiredState> resolved;

    /// The desired state this pass planned on: `resolved` when set, else `declared`.
    const model::DesiredState& desired(const model::DesiredState& declared) const {
        return resolved ? *resolved : declared;
    }

    /// Nothing left to do and nothing wrong.
    bool converged() const;
    /// `apply --once` exit rule: converged or only waiting, and no errors.
    bool ok() const;
};

/// One level-based reconcile pass: observe, plan (pure), filter for safety, execute, record.
/// Keeps per-pool and per-image-version memory between passes: exponential backoff for
/// transient errors, terminal errors held until the spec or Azure changes, condition times.
/// After each pass the memory of pools and versions no longer declared is dropped.
/// Intervals of its own (backoff, cache ages) run on a monotonic clock; the wall-clock `now`
/// of a pass is only shown (status times) and given to the planner.
///
/// Thread safety: not thread-safe; use from one strand (the loop). Status goes to the
/// StatusStore, which is safe to read concurrently.
class Reconciler {
  public:
    using PlanFn = std::function<model::Plan(const model::DesiredState&,
                                             const model::ObservedState&, TimePoint)>;
    using SteadyTime = std::chrono::steady_clock::time_point;
    struct Options {
        int concurrency = 8;
        /// The next full pass while replication, a resize or a version update is awaited (the
        /// loop's watch polls see them finish sooner), and after writes.
        std::chrono::seconds wait_requeue{30};
        /// Requests per watch poll at most (versions and accounts beyond it wait their turn).
        int watch_max_reads = 10;
        BackoffPolicy backoff;
        /// Leader election (issue 18): a reason when this instance may not write now (a
        /// standby, or a leader that cannot prove its lease); then a pass observes and plans
        /// but holds every write. Unset: always write.
        std::function<std::optional<std::string>()> write_hold;
        /// The monotonic clock of backoff and cache ages (tests inject their own).
        std::function<SteadyTime()> clock = [] { return std::chrono::steady_clock::now(); };
    };

    Reconciler(azure::BatchApi& batch, azure::ArmApi& arm, StatusStore& status, Options options,
               PlanFn plan, std::uint64_t seed = std::random_device{}());

    /// Observes, plans and executes once. Once `stop` is true no new write starts.
    boost::asio::awaitable<CycleReport> reconcile_once(const model::DesiredState& desired,
                                                       TimePoint now,
                                                       const std::atomic<bool>* stop = nullptr);

    /// Observes and plans without writing or changing any memory (live `plan`).
    boost::asio::awaitable<CycleReport> plan_once(const model::DesiredState& desired,
                                                  TimePoint now);

    void invalidate_caches() { observer_.invalidate_caches(); }
    /// Reload of reconcile.concurrency; call between passes.
    void set_concurrency(int n) {
        options_.concurrency = n;
        observer_.set_concurrency(n);
        executor_.set_concurrency(n);
    }

    /// Re-reads only what a pass awaits (`CycleReport::watch`); no writes, no memory changed.
    boost::asio::awaitable<observe::WatchPoll> poll(const observe::Watch& watch) {
        return observer_.poll(watch, options_.watch_max_reads);
    }

  private:
    /// Kept for every pool the daemon wrote to, so small: the last action is shared with the
    /// pool's status, and what only an error needs is kept on the heap while there is one.
    struct Item {
        /// Fingerprints when the terminal error happened.
        struct Terminal {
            std::string spec;
            std::string azure;
        };
        int failures = 0;
        std::optional<SteadyTime> next_retry;
        Boxed<Terminal> terminal;  ///< Set while a terminal error holds the item.
        Boxed<ActionRecord> last_action;
        Boxed<ErrorRecord> last_error;
        Boxed<std::string>
            alloc_timeout_etag;  ///< The pool eTag whose AllocationTimedout was seen.
    };

    boost::asio::awaitable<CycleReport> observe_and_plan(const model::DesiredState& desired,
                                                         TimePoint now, SteadyTime mono,
                                                         bool read_only);
    /// Reads the properties of the pools whose spec hash does not vouch for them (`pools`
    /// indexes `obs`); true when some were read (their pools were replaced: `pools` is stale).
    boost::asio::awaitable<bool> read_properties(const model::DesiredState& desired,
                                                 observe::Observation& obs,
                                                 const detail::PoolIndex& pools);
    /// Reads the nodes of the pools a rollout's health gate judges (ObservedPool::nodes).
    boost::asio::awaitable<void> read_nodes(const model::DesiredState& desired,
                                            observe::Observation& obs,
                                            const detail::PoolIndex& pools);
    std::vector<model::Action> filter(CycleReport& report, const model::DesiredState& desired,
                                      SteadyTime mono);
    void record(CycleReport& report, const model::DesiredState& desired, TimePoint now,
                SteadyTime mono);
    void publish(const CycleReport& report, const model::DesiredState& desired, TimePoint now);
    void publish_into(StatusSnapshot& snapshot, const CycleReport& report,
                      const model::DesiredState& desired, TimePoint now);
    /// Drops the items of pools and image versions `desired` no longer declares.
    void prune(const model::DesiredState& desired);
    /// Drops the items (backoff, terminal error, last action) of the pools of every local
    /// account name that now names another Batch account (a reload re-pointed it): they were
    /// the other account's pools.
    void forget_repointed_accounts(const model::DesiredState& desired);

    std::string item_key(const model::Action& a) const;
    std::string spec_fingerprint(const model::Action& a, const model::DesiredState& d) const;
    std::string azure_fingerprint(const model::Action& a, const model::DesiredState& d,
                                  const model::ObservedState& o) const;

    observe::Observer observer_;
    SecretDigests secrets_;  ///< Start-task secret file digests, re-read only when changed.
    execute::Executor executor_;
    StatusStore& status_;
    Options options_;
    PlanFn plan_;
    std::mt19937_64 rng_;
    std::uint64_t cycle_ = 0;
    std::map<std::string, Item> items_;
    /// Local account name -> the Batch account it named (subscription/resource group/name).
    std::map<std::string, std::string> account_targets_;
    /// Orphaned pools (Orphaned findings) of the passes so far, by "account/ResourceKey(id)",
    /// with the monotonic time each was first seen: given to the planner (prune.mode delete).
    struct Orphan {
        int passes = 0;
        SteadyTime first{};
    };
    std::map<std::string, Orphan> orphans_;
};

}  // namespace pw::reconcile
