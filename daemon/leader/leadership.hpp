#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "azure/blob_lease.hpp"
#include "azure/token.hpp"
#include "config/config.hpp"
#include "http/client.hpp"
#include "http/rate_limit.hpp"
#include "http/stop_signal.hpp"
#include "leader/elector.hpp"

namespace pw::leader {

/// What /status shows of the election.
struct LeaderView {
    bool leader = false;
    std::string identity;  ///< This instance.
    std::string holder;    ///< The leader's identity from the blob's metadata ("" unknown).
    std::optional<std::chrono::system_clock::time_point> since;  ///< When the holder took it.
    std::string last_error;
    friend bool operator==(const LeaderView&, const LeaderView&) = default;
};

/// Hooks for metrics and status (each may be empty).
struct LeadershipEvents {
    std::function<void(bool leader)> on_role;              ///< Every change of role.
    std::function<void(bool ok, double seconds)> on_call;  ///< Each acquire or renew.
    std::function<void(const LeaderView&)> on_view;        ///< When the view changes.
};

/// Runs the election for one instance: creates the blob when missing, acquires with one
/// proposed lease id (a GUID per process), renews every `renew_every`, learns the holder from
/// the blob's metadata as a standby, and releases on shutdown. Every write asks write_hold()
/// right before it is sent. Logs role changes.
///
/// Thread safety: use from one strand; `client` must outlive it.
class Leadership {
  public:
    Leadership(azure::BlobLeaseClient& client, ElectorSettings settings, std::string identity,
               LeadershipEvents events = {});

    /// The election loop, until shutdown().
    boost::asio::awaitable<void> run();
    /// Stops the loop; when this instance holds the lease it stops writing at once and
    /// releases it, so that a standby takes over at its next attempt.
    boost::asio::awaitable<void> shutdown();

    /// Waits, at most `timeout`, until run() had its first answer from the lease store (the
    /// blob made and an acquire answered, or a call failed); true when this instance leads.
    boost::asio::awaitable<bool> first_answer(std::chrono::milliseconds timeout);
    /// A reason when a write needing `needed` may not start now (a standby; or a leader
    /// whose lease is not proven for `needed` beyond the safety margin), else nullopt.
    std::optional<std::string> write_hold(std::chrono::milliseconds needed) const;
    bool is_leader() const { return elector_.is_leader(BootClock::now()); }
    const std::string& lease_id() const { return lease_id_; }
    LeaderView view() const;

  private:
    boost::asio::awaitable<void> attempt(Elector::Op op);
    void update_role();

    azure::BlobLeaseClient& client_;
    Elector elector_;
    std::string identity_;
    LeadershipEvents events_;
    std::string lease_id_;
    http::StopSignal stop_;
    bool blob_ready_ = false;
    bool was_leader_ = false;
    bool answered_ = false;
    std::optional<LeaderView> shown_;
    std::string holder_;
    std::optional<std::chrono::system_clock::time_point> since_;
    std::string last_error_;
};

/// The HTTP client, token cache, limiter and transport of the lease calls, built from the
/// daemon file like the Batch and ARM clients (tls.caFile, auth:, cloud:) but apart from them,
/// so that a lease renewal never waits behind Batch or ARM throttling. Tokens are for
/// azure::kStorageResource.
///
/// Thread safety: use from one strand.
class LeaseStack {
  public:
    static pw::Result<std::unique_ptr<LeaseStack>, std::string> Create(
        boost::asio::any_io_executor executor, const config::DaemonConfig& config,
        azure::RequestObserver* observer = nullptr);
    azure::BlobLeaseClient& client() { return *client_; }
    void shutdown();

  private:
    LeaseStack() = default;
    std::unique_ptr<http::Client> http_;
    std::unique_ptr<azure::TokenCache> tokens_;
    std::unique_ptr<http::RateLimiter> limiter_;
    std::unique_ptr<azure::Transport> transport_;
    std::unique_ptr<azure::BlobLeaseClient> client_;
};

}  // namespace pw::leader
