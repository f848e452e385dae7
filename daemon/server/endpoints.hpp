#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/server.hpp"

namespace pw::server {

using SteadyTime = std::chrono::steady_clock::time_point;

/// Liveness inputs: when the reconcile loop last finished a cycle, the interval in force, a
/// clock, and when the daemon started (the grace before the first cycle).
///
/// Thread safety: a value type; its functions are called on the server's strand.
struct HealthSource {
    std::function<std::optional<SteadyTime>()> last_cycle;  ///< Empty before the first cycle.
    std::function<std::chrono::milliseconds()> interval;    ///< reconcile.interval in force.
    std::function<SteadyTime()> now = [] { return std::chrono::steady_clock::now(); };
    SteadyTime started{};
};

/// The verdict of CheckHealth with a one-line explanation.
///
/// Thread safety: a value type.
struct Health {
    bool ok = false;
    std::string message;
};

/// Healthy while a cycle finished within 3 intervals (before the first: within 3 intervals of
/// `started`).
Health CheckHealth(const HealthSource& source);

/// One named readiness check: `failure` returns the reason, or nothing when the check passes.
///
/// Thread safety: a value type; `failure` is called on the server's strand.
struct ReadinessCheck {
    std::string name;
    std::function<std::optional<std::string>()> failure;
};

/// The verdict of CheckReadiness and its body, controller-runtime style: one line per check
/// (`[+]name ok`, `[-]name failed: reason`, `[+]name excluded`), then the verdict.
///
/// Thread safety: a value type.
struct Readiness {
    bool ok = false;
    std::string body;
};

/// Ready when every check not named in `exclude` passes.
Readiness CheckReadiness(const std::vector<ReadinessCheck>& checks,
                         const std::vector<std::string>& exclude);

/// What the observability endpoints serve.
///
/// Thread safety: a value type; its functions are called on the server's strand.
struct Sources {
    std::function<std::string()> metrics;  ///< Prometheus text exposition (0.0.4).
    HealthSource health;
    std::vector<ReadinessCheck> readiness;
    std::function<std::string()> status;  ///< The /status JSON document.
    /// When set, a GET of `/metrics` (`/status`) sends these pieces as they are produced
    /// instead of metrics() (status()) whole; HEAD still uses metrics() (status()) for its
    /// Content-Length.
    std::function<http::BodySource()> metrics_stream;
    std::function<http::BodySource()> status_stream;
};

/// Answers one request: GET and HEAD of `/metrics`, `/healthz`, `/readyz[?exclude=name...]`,
/// `/status` and `/` (an index); other methods 405 with `Allow: GET, HEAD`, other paths 404.
/// A HEAD answer has the GET answer's status and headers and no body.
http::Response Handle(const Sources& sources, const http::Request& request);

/// Handle() as the server sends it: a GET of `/metrics` or `/status` whose stream source is set
/// becomes a streamed reply (the same status and headers, no Content-Length, the body in
/// pieces); everything else is Handle()'s response.
http::Reply Answer(const Sources& sources, const http::Request& request);

}  // namespace pw::server
