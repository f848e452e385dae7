#pragma once

#include <chrono>
#include <optional>

#include "azure/api.hpp"

namespace pw::reconcile {

/// How a failed write is retried (controller-runtime's terminal vs transient errors).
enum class ErrorClass {
    Transient,  ///< Retried with per-item exponential backoff.
    Terminal,   ///< Not retried until the spec or the observed Azure state changes.
    Cancelled,  ///< Shutdown: neither.
};

/// Classifies a write error. Pure.
ErrorClass Classify(const azure::Error& error);

/// Per-item exponential backoff: base x 2^(failures-1), capped, times a jitter factor in
/// [0.5, 1.0] from `unit_random` (in [0, 1)); never shorter than Azure's Retry-After. Pure.
struct BackoffPolicy {
    std::chrono::seconds base{5};
    std::chrono::seconds cap{600};
};
std::chrono::seconds BackoffDelay(const BackoffPolicy& policy, int failures, double unit_random,
                                  std::optional<std::chrono::milliseconds> retry_after = {});

}  // namespace pw::reconcile
