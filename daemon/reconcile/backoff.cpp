#include "reconcile/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace pw::reconcile {

namespace {
bool Contains(const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}
}  // namespace

ErrorClass Classify(const azure::Error& e) {
    using azure::ErrorKind;
    switch (e.kind) {
        case ErrorKind::Cancelled:
            return ErrorClass::Cancelled;
        case ErrorKind::Network:
        case ErrorKind::Timeout:
        case ErrorKind::Throttled:
        case ErrorKind::Server:
        case ErrorKind::Decode:
        case ErrorKind::Auth:  // RBAC fixes are not observable: keep retrying, slowly.
            return ErrorClass::Transient;
        case ErrorKind::Client:
            break;
    }
    if (Contains(e.code, "QuotaReached") || Contains(e.code, "QuotaExceeded"))
        return ErrorClass::Terminal;
    // Conflicts and failed preconditions mean Azure moved under us: re-observe and retry.
    if (e.http_status == 404 || e.http_status == 408 || e.http_status == 409 ||
        e.http_status == 412 || e.http_status == 429)
        return ErrorClass::Transient;
    return ErrorClass::Terminal;
}

std::chrono::seconds BackoffDelay(const BackoffPolicy& policy, int failures, double unit_random,
                                  std::optional<std::chrono::milliseconds> retry_after) {
    double exp = static_cast<double>(policy.base.count()) *
                 std::pow(2.0, static_cast<double>(std::clamp(failures, 1, 30) - 1));
    exp = std::min(exp, static_cast<double>(policy.cap.count()));
    double jittered = exp * (0.5 + 0.5 * std::clamp(unit_random, 0.0, 1.0));
    auto delay = std::chrono::seconds(static_cast<long long>(std::ceil(jittered)));
    if (retry_after) {
        auto ra = std::chrono::ceil<std::chrono::seconds>(*retry_after);
        delay = std::max(delay, ra);
    }
    return std::max(delay, std::chrono::seconds(1));
}

}  // namespace pw::reconcile
