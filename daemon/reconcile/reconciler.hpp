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
#include "reconcile/status.hpp"

namespace pw::reconcile {

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
    bool error_findings = false;             ///< A finding of severity error.
    std::optional<std::chrono::seconds> requeue_after;

    /// Nothing left to do and nothing wrong.
    bool converged() const;
    /// `apply --once` exit rule: converged or only waiting, and no errors.
    bool ok() const;
};

/// One level-based reconcile pass: observe, plan (pure), filter for safety, execute, record.
/// Keeps per-pool and per-image-version memory between passes: exponential backoff for
/// transient errors, terminal errors held until the spec or Azure changes, condition times.
///
/// Thread safety: not thread-safe; use from one strand (the loop). Status goes to the
/// StatusStore, which is safe to read concurrently.
class Reconciler {
  public:
    using PlanFn = std::function<model::Plan(const model::DesiredState&,
                                             const model::ObservedState&, TimePoint)>;
    struct Options {
        int concurrency = 8;
        /// Requeue while replication, a resize or an in-flight version update is pending.
        std::chrono::seconds wait_requeue{15};
        BackoffPolicy backoff;
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

  private:
    struct Item {
        int failures = 0;
        std::optional<TimePoint> next_retry;
        bool terminal = false;
        std::string terminal_spec;  ///< Fingerprints when the terminal error happened.
        std::string terminal_azure;
        std::optional<ActionRecord> last_action;
        std::optional<ErrorRecord> last_error;
        std::string alloc_timeout_etag;  ///< The pool eTag whose AllocationTimedout was seen.
    };

    boost::asio::awaitable<CycleReport> observe_and_plan(const model::DesiredState& desired,
                                                         TimePoint now, bool read_only);
    std::vector<model::Action> filter(CycleReport& report, const model::DesiredState& desired,
                                      TimePoint now);
    void record(CycleReport& report, const model::DesiredState& desired, TimePoint now);
    void publish(const CycleReport& report, const model::DesiredState& desired, TimePoint now);

    std::string item_key(const model::Action& a) const;
    std::string spec_fingerprint(const model::Action& a, const model::DesiredState& d) const;
    std::string azure_fingerprint(const model::Action& a, const model::DesiredState& d,
                                  const model::ObservedState& o) const;

    observe::Observer observer_;
    execute::Executor executor_;
    StatusStore& status_;
    Options options_;
    PlanFn plan_;
    std::mt19937_64 rng_;
    std::uint64_t cycle_ = 0;
    std::map<std::string, Item> items_;
};

}  // namespace pw::reconcile
