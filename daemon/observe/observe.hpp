#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>

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

/// Reads Azure for one cycle: per account the ARM account (cached), ONE paged pool list; one
/// GET per distinct image version (with replication status); image definitions cached and
/// refreshed every `image_refresh`. Never GETs pools one by one. Read-only.
///
/// Thread safety: not thread-safe; use from one strand (the reconcile loop).
class Observer {
  public:
    struct Options {
        std::chrono::seconds account_refresh = std::chrono::hours(1);
        std::chrono::seconds image_refresh = std::chrono::hours(1);
        int concurrency = 8;
    };

    Observer(azure::BatchApi& batch, azure::ArmApi& arm, Options options);

    boost::asio::awaitable<Observation> observe(const model::DesiredState& desired,
                                                std::chrono::system_clock::time_point now);

    /// Forgets cached accounts and image definitions (e.g. after a config reload).
    void invalidate_caches();
    /// Reload: reads at most `n` things at once from the next observe() on.
    void set_concurrency(int n) { options_.concurrency = n; }

  private:
    template <class T>
    struct Cached {
        T value;
        std::chrono::system_clock::time_point fetched;
    };

    boost::asio::awaitable<void> observe_account(const model::AccountSpec& spec,
                                                 std::chrono::system_clock::time_point now,
                                                 Observation& out);
    boost::asio::awaitable<void> observe_version(const model::ImageVersionId& id, Observation& out);
    boost::asio::awaitable<void> observe_image(const std::string& definition_id,
                                               std::chrono::system_clock::time_point now,
                                               Observation& out);

    azure::BatchApi& batch_;
    azure::ArmApi& arm_;
    Options options_;
    /// By AccountKey (the ARM identity, not the local name), so that a reload pointing a
    /// local name at another account never reads or writes the old one.
    std::map<std::string, Cached<azure::AccountInfo>> accounts_;
    std::map<std::string, Cached<model::ObservedImage>> images_;  ///< By ResourceKey.
};

/// The cache key of a Batch account: its ARM resource id, lower-cased.
std::string AccountKey(const model::AccountSpec& spec);

/// True for an Azure error that means "does not exist" (404).
bool IsNotFound(const azure::Error& e);

/// A short text for logs and status: `Client 404 ResourceNotFound: message`.
std::string Describe(const azure::Error& e);

}  // namespace pw::observe
