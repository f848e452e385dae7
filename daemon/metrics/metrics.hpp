#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::metrics {

namespace detail {
struct PoolRow;
using PoolRows = std::vector<PoolRow>;
}  // namespace detail

/// One pool's sizes and state, as the last cycle observed it.
struct PoolSample {
    std::string account;
    std::string pool;
    int target_dedicated = 0;
    int target_low_priority = 0;
    int current_dedicated = 0;
    int current_low_priority = 0;
    /// The pool file's fixed size (absent: autoscale).
    std::optional<int> desired_dedicated = std::nullopt;
    std::optional<int> desired_low_priority = std::nullopt;
    std::string allocation_state;                   ///< steady | resizing | stopping
    std::map<std::string, bool> conditions = {};    ///< Ready, Progressing, Degraded: status.
    std::map<std::string, int> resize_errors = {};  ///< By Azure error code.
};

/// One drainAndSwap pool's rollout step (model::RolloutStatus::Step as a number: 0 idle .. 7
/// halted).
struct RolloutSample {
    std::string account;
    std::string pool;
    std::string group;
    int step = 0;
};

/// Required vs current replicas of one image version in one region.
struct ReplicaSample {
    std::string image_version;  ///< Resource id.
    std::string region;         ///< Normalized ("eastus").
    int required = 0;
    int current = 0;
    std::string state;  ///< Unknown | Replicating | Completed | Failed | Missing
};

/// poolwarden's Prometheus metrics (prometheus-cpp core registry and TextSerializer; every family
/// has HELP). Event counters are incremented as things happen; per-cycle state gauges are
/// replaced as a whole so that pools and versions that went away disappear. The per-pool gauges
/// are kept as one compact row per pool rather than registry series. Label sets stay bounded: no
/// request ids or raw error messages.
///
/// Thread safety: every method may be called from any thread.
class Metrics {
  public:
    explicit Metrics(std::string_view version);
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    /// The Prometheus text exposition format (version 0.0.4) of every family. Per-pool families
    /// are serialized in bounded chunks, so a scrape of many pools costs about the size of its
    /// text, not an object per series.
    std::string serialize() const;

    /// serialize()'s text in pieces, for a response sent while it is written: the registry's
    /// families one at a time (prometheus-cpp collects and serializes each), then the per-pool
    /// families a block of pools at a time; each family stays one contiguous group. The pieces
    /// joined are exactly serialize()'s text for the samples as they were read.
    ///
    /// Thread safety: one user at a time; it may run while other threads record (it holds the
    /// per-pool rows it started with, and each registry family is read under its own lock).
    /// The Metrics must outlive it.
    class Exposition {
      public:
        struct State;
        explicit Exposition(std::unique_ptr<State> state);
        ~Exposition();
        Exposition(Exposition&&) noexcept;
        Exposition& operator=(Exposition&&) noexcept;

        /// Appends at least `piece_size` bytes when that many are left; returns false once
        /// it appended the last piece.
        bool next(std::string& out);

      private:
        std::unique_ptr<State> state_;
    };
    /// Starts an Exposition of pieces of about `piece_size` bytes.
    Exposition exposition(std::size_t piece_size = 64 * 1024) const;
    /// The same with the per-pool families of `count` pools described by `fill` (as
    /// set_pools() takes them) instead of the pools set: their rows exist only as long as the
    /// Exposition, so that a daemon scraped every few seconds keeps none between scrapes.
    Exposition exposition(std::size_t count,
                          const std::function<void(std::size_t, PoolSample&)>& fill,
                          std::size_t piece_size = 64 * 1024) const;
    /// The name of every registered family (families without samples are not serialized).
    std::vector<std::string> family_names() const;

    /// result: success | error | partial.
    void cycle_finished(std::string_view result, double seconds);
    /// Leader election (issue 18): poolwarden_leader (1/0; absent until first set).
    void set_leader(bool leader);
    /// poolwarden_leader_transitions_total: this instance became or stopped being leader.
    void leader_transition();
    /// poolwarden_lease_renew_duration_seconds: one renew or acquire call.
    void lease_renew(bool ok, double seconds);
    /// Entries the reconciler keeps between cycles (poolwarden_tracked_items).
    void set_tracked_items(double count);
    /// kind: the ActionKind name; result: success | error | waiting | skipped.
    void action_finished(std::string_view kind, std::string_view result);

    /// service: arm | batch | aad | imds; operation: a fixed name such as ListPools.
    void azure_request(std::string_view service, std::string_view operation, int status,
                       double seconds);
    void azure_throttled(std::string_view service, std::string_view operation);
    void azure_retry(std::string_view service, std::string_view reason);
    /// kind: subscription-reads | subscription-writes (ARM's x-ms-ratelimit-remaining-*).
    void ratelimit_remaining(std::string_view kind, double value);
    /// resource: arm | batch.
    void token_refresh(std::string_view resource, bool ok);

    void config_reload(bool ok, double unix_seconds);
    /// Error count per config file; replaces the previous set.
    void set_config_errors(const std::map<std::string, int>& errors_by_file);

    void set_pools(const std::vector<PoolSample>& pools);
    /// The same for `count` pools described one at a time: `fill(i, sample)` sets every field
    /// of `sample` (one object, reused) to pool i's, so that no sample of every pool exists.
    void set_pools(std::size_t count, const std::function<void(std::size_t, PoolSample&)>& fill);
    void set_replicas(const std::vector<ReplicaSample>& replicas);
    /// Count of current findings by (severity, code); replaces the previous set.
    void set_findings(const std::map<std::pair<std::string, std::string>, int>& findings);
    /// The orphaned pools as (account, pool); replaces the previous set.
    void set_orphaned(const std::vector<std::pair<std::string, std::string>>& pools);
    /// The rollout step of every drainAndSwap pool and whether each group is halted; replaces
    /// the previous sets.
    void set_rollouts(const std::vector<RolloutSample>& pools,
                      const std::map<std::string, bool>& groups);

  private:
    Exposition exposition(std::shared_ptr<const detail::PoolRows> pools,
                          std::size_t piece_size) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pw::metrics
