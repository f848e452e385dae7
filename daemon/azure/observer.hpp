#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "azure/api.hpp"

namespace pw::azure {

/// Receives what the Azure clients do, for metrics. Every method has a no-op default.
/// `service` is `batch`, `arm` or `aad`; `operation` a stable name such as `list_pools`.
///
/// Thread safety: called on the clients' strand; implementations must not block.
class RequestObserver {
  public:
    virtual ~RequestObserver() = default;
    /// One attempt finished; `status` is 0 when no response was received.
    virtual void on_request(std::string_view /*service*/, std::string_view /*operation*/,
                            int /*status*/, std::chrono::milliseconds /*duration*/) {}
    /// A 429 or ServerBusy answer.
    virtual void on_throttled(std::string_view /*service*/, std::string_view /*operation*/,
                              std::optional<std::chrono::milliseconds> /*retry_after*/) {}
    /// A retry is about to wait `delay` after `error`.
    virtual void on_retry(std::string_view /*service*/, std::string_view /*operation*/,
                          const Error& /*error*/, std::chrono::milliseconds /*delay*/) {}
    /// An `x-ms-ratelimit-remaining-*` header; `header` is its name without that prefix
    /// (`subscription-reads`, `subscription-writes`, ...).
    virtual void on_ratelimit_remaining(std::string_view /*header*/, long long /*value*/) {}
    /// A token fetch for `resource` finished.
    virtual void on_token_refresh(std::string_view /*resource*/, bool /*ok*/) {}
};

}  // namespace pw::azure
