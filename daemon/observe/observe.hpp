#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "azure/api.hpp"
#include "model/desired.hpp"
#include "model/observed.hpp"

namespace pw::observe {

/// Whether one account's observation is complete. An incomplete account must get no writes.
struct AccountHealth {
    bool complete = false;
    std::string error;  ///< Why it is incomplete (empty when complete).
};

/// One cycle's view of Azure plus what could not be read.
///
/// Thread safety: a value type.
struct Observation {
    model::ObservedState state;
    std::map<std::string, AccountHealth> accounts;  ///< Every configured account, by local name.
    /// Versions / image definitions whose GET failed for a reason other than "not found"
    /// (by ResourceKey): their existence is unknown, so pools using them get no writes.
    std::map<std::string, std::string> failed_versions;
    std::map<std::string, std::string> failed_images;
    int calls = 0;  ///< Azure requests made by this observation.

    bool account_complete(const std::string& name) const;
};

/// What a pass waits for, with the state it saw: between passes the loop re-reads only these
/// (one GET per image version, one pool list per account) and starts a full pass as soon as
/// one changed state. A full pass re-observes everything before it writes.
///
/// Thread safety: a value type.
struct Watch {
    /// Image version resource id -> VersionState() seen by the pass.
    std::map<std::string, std::string> versions;
    struct Account {
        std::string endpoint;                      ///< The Batch endpoint the pass listed.
        std::map<std::string, std::string> pools;  ///< ResourceKey(pool id) -> PoolState().
    };
    std::map<std::string, Account> accounts;  ///< By local account name.

    bool empty() const { return versions.empty() && accounts.empty(); }
};

/// The part of a version's state a waiting pass waits on: provisioning state and each region's
/// replication state (not its progress). "absent" for a version that does not exist.
std::string VersionState(const model::ObservedImageVersion* version);
/// A pool's `state/allocationState`, or "absent".
std::string PoolState(const model::ObservedPool* pool);

/// One watch poll: whether something awaited changed state (and what, for the log).
struct WatchPoll {
    bool changed = false;
    std::string what;
    int calls = 0;  ///< Azure requests made.
};

/// One pool whose table-declared properties a pass must compare (its metadata does not hold the
/// spec hash of the spec the pass plans on, so the hash cannot vouch for them).
///
/// Thread safety: a value type; `pool` and `spec` must outlive the read.
struct PropertyRead {
    std::string endpoint;         ///< The account's Batch endpoint.
    model::ObservedPool* pool;    ///< The pool as listed, in the Observation being filled.
    const model::PoolSpec* spec;  ///< The spec the pass plans on.
    std::string desired_hash;     ///< execute::SpecHash(*spec).
};

/// Reads Azure for one cycle: per account the ARM account (cached), ONE paged pool list, and
/// per (subscription, location) of the accounts the Batch-supported VM size list (cached for
/// `sku_refresh`; pre-flight's vCPUs, families and capabilities); one
/// paged version list per image definition a pool follows to "latest"; one GET per distinct
/// image version (with replication status), the resolved latest versions included (read after
/// the lists); image definitions cached and refreshed every `image_refresh`; per account Batch's
/// supported images list, and per subscription of an account whose pools use an image of
/// another subscription (and of that image) its tenantId and Microsoft.Batch registrationState,
/// each cached for `prerequisite_refresh` (pre-flight's facts). Pools are GET one
/// by one only through read_properties(), for pools whose spec hash does not vouch for their
/// properties. Read-only.
///
/// Thread safety: not thread-safe; use from one strand (the reconcile loop).
class Observer {
  public:
    struct Options {
        std::chrono::seconds account_refresh = std::chrono::hours(1);
        std::chrono::seconds image_refresh = std::chrono::hours(1);
        int concurrency = 8;
        /// Batch-supported VM size lists (per subscription and location) are re-read this
        /// often; after a failed read, again after `account_refresh`.
        std::chrono::seconds sku_refresh = std::chrono::hours(24);
        /// Accounts with a pool held on QuotaExceeded (set_quota_held) are re-read this often,
        /// so that a raised quota is seen without waiting for `account_refresh`.
        std::chrono::seconds quota_held_refresh = std::chrono::seconds(30);
        /// Batch's supported images list (per account) and the subscription facts (tenantId,
        /// Microsoft.Batch registrationState; per subscription) are re-read this often; after a
        /// failed read, again after `account_refresh` (the check waits meanwhile).
        std::chrono::seconds prerequisite_refresh = std::chrono::hours(24);
    };

    Observer(azure::BatchApi& batch, azure::ArmApi& arm, Options options);

    /// `now` is monotonic: cache ages are intervals of our own, immune to wall-clock steps.
    boost::asio::awaitable<Observation> observe(const model::DesiredState& desired,
                                                std::chrono::steady_clock::time_point now);

    /// Fills in the table-declared properties of `reads` (ObservedPool::properties): one
    /// `GET /pools/{id}` per pool, unless the last read of the same pool found the same eTag
    /// with the same desired hash. A read replaces the listed pool with the pool as that GET
    /// returned it, so that the properties, the eTag (If-Match of a PATCH) and the rest come
    /// from one observation. The memory of a read keeps the properties only while they differ
    /// from the spec (model::PoolPropertyDrift): a pool whose difference is pending costs no
    /// read until its eTag or its spec changes; a pool without difference costs one small entry.
    /// A failed read sets ObservedPool::properties_unread. Entries of pools not in `reads` are
    /// dropped.
    boost::asio::awaitable<void> read_properties(const std::vector<PropertyRead>& reads,
                                                 Observation& out);

    /// Fills in ObservedPool::nodes of `pools` (each with its account's Batch endpoint): one
    /// paged node list per pool (BatchApi::list_node_counts). A failed read leaves it absent.
    boost::asio::awaitable<void> read_nodes(
        const std::vector<std::pair<std::string, model::ObservedPool*>>& pools, Observation& out);

    /// Forgets cached accounts, image definitions and property reads (e.g. after a reload).
    void invalidate_caches();
    /// Cached accounts, image definitions, VM size lists and property reads; observe() and
    /// read_properties() drop those no longer needed.
    std::size_t cached_entries() const {
        return accounts_.size() + images_.size() + vm_skus_.size() + properties_.size() +
               node_agent_skus_.size() + tenants_.size() + registrations_.size();
    }

    /// Re-reads what `watch` names, at most `max_reads` requests per call (the rest on the next
    /// calls, in turn). Read errors count as "unchanged": the next full pass will see them.
    boost::asio::awaitable<WatchPoll> poll(const Watch& watch, int max_reads = 10);
    /// Local names of the accounts whose quotas hold a pool (see Options::quota_held_refresh).
    void set_quota_held(std::set<std::string> accounts) { quota_held_ = std::move(accounts); }
    /// Reload: reads at most `n` things at once from the next observe() on.
    void set_concurrency(int n) { options_.concurrency = n; }

  private:
    template <class T>
    struct Cached {
        T value;
        std::chrono::steady_clock::time_point fetched;
    };

    boost::asio::awaitable<void> observe_account(const model::AccountSpec& spec,
                                                 std::chrono::steady_clock::time_point now,
                                                 Observation& out);
    boost::asio::awaitable<void> observe_version(const model::ImageVersionId& id, Observation& out);
    boost::asio::awaitable<void> observe_image(const std::string& definition_id,
                                               std::chrono::steady_clock::time_point now,
                                               Observation& out);

    azure::BatchApi& batch_;
    azure::ArmApi& arm_;
    Options options_;
    /// By AccountKey (the ARM identity, not the local name), so that a reload pointing a
    /// local name at another account never reads or writes the old one.
    std::map<std::string, Cached<azure::AccountInfo>> accounts_;
    std::map<std::string, Cached<model::ObservedImage>> images_;  ///< By ResourceKey.
    /// A property read: the eTag and desired hash it was made for, the properties when they
    /// differed from the spec (empty: no difference).
    struct PropertyEntry {
        std::string e_tag;
        std::string desired_hash;
        model::Boxed<model::ObservedProperties> differing;  ///< Shared with the pool read.
    };
    std::map<std::string, PropertyEntry> properties_;  ///< By endpoint/ResourceKey(pool id).
    /// By "subscription/location" (lower-case, NormalizeRegion); a null table: the last read
    /// failed.
    std::map<std::string, Cached<std::shared_ptr<const model::VmSkuTable>>> vm_skus_;
    /// Batch's supported images by AccountKey; a null table: the last read failed.
    std::map<std::string, Cached<std::shared_ptr<const model::NodeAgentSkuTable>>> node_agent_skus_;
    /// tenantId and Microsoft.Batch registrationState by lower-case subscription id; empty: the
    /// last read failed.
    std::map<std::string, Cached<std::string>> tenants_;
    std::map<std::string, Cached<std::string>> registrations_;
    std::set<std::string> quota_held_;
    std::size_t poll_next_ = 0;  ///< Where the next capped watch poll starts.
};

/// The cache key of a Batch account: its ARM resource id, lower-cased.
std::string AccountKey(const model::AccountSpec& spec);

/// The cache key of a VM size list: subscription id and NormalizeRegion(location), lower-case.
std::string SkuKey(const std::string& subscription_id, const std::string& location);

/// True for an Azure error that means "does not exist" (404).
bool IsNotFound(const azure::Error& e);

/// True for an Azure error that means "the caller may not read it": HTTP 403 (guess: ARM answers
/// a missing role with 403 AuthorizationFailed; the contract's §2.7 gives only the body shape).
bool IsAccessDenied(const azure::Error& e);

/// A short text for logs and status: `Client 404 ResourceNotFound: message`.
std::string Describe(const azure::Error& e);

}  // namespace pw::observe
