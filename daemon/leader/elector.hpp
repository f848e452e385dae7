#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pw::leader {

/// The clock of lease validity: CLOCK_BOOTTIME, monotonic and counting while the process is
/// stopped (SIGSTOP) and while the machine is suspended, so that a lease never looks valid for
/// longer than it is.
struct BootClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<BootClock>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept;
};
using Mono = BootClock::time_point;

/// Timing of the election (daemon file `leaderElection:`).
struct ElectorSettings {
    std::chrono::seconds lease_duration{30};  ///< 15-60 s (azure-contract.md section 11).
    std::chrono::seconds renew_every{10};     ///< < lease_duration / 2.
    /// Subtracted from the lease's end before any write is allowed (SafetyMargin()).
    std::chrono::milliseconds safety_margin{3000};
};

/// The margin kept before the lease's end: a tenth of the lease, at least one second. guess:
/// Azure documents no clock-rate bound for lease expiry; the lease's start is taken as the
/// moment the acquire or renew was SENT, before Azure could have started it, so the margin
/// only has to cover clock-rate differences and scheduling delays between the check and the
/// write leaving the process.
std::chrono::milliseconds SafetyMargin(std::chrono::seconds lease_duration);

/// The pure state of one instance in the election: whether it holds the lease and until when
/// it can prove it, on BootClock. No I/O, clock or logging: the driver (Leadership) passes the
/// times and the outcomes of the lease calls.
///
/// Thread safety: a value type; not thread-safe.
class Elector {
  public:
    enum class Op { Acquire, Renew };
    /// What the driver does next and when.
    struct Step {
        Op op = Op::Acquire;
        Mono at{};
    };

    explicit Elector(ElectorSettings settings) : settings_(settings) {}

    /// An acquire or renew sent at `sent` succeeded: the lease is held until at least
    /// `sent + lease_duration` (Azure starts it when it receives the call, later).
    void on_granted(Mono sent);
    /// The lease is someone else's (LeaseAlreadyPresent) or this id lost it
    /// (azure::IsLeaseLost), or it was released: not held from now on.
    void on_lost();
    /// A call failed without an answer about the lease (network, timeout, 5xx, throttling):
    /// nothing is known; the lease still runs out at its proven end. `now` sets the retry.
    void on_failed(Mono now);

    /// True while the lease is held and proven for `needed` more beyond the safety margin:
    /// `granted + lease_duration - safety_margin > now + needed`. Every write asks first.
    bool can_write(Mono now, std::chrono::milliseconds needed) const;
    /// Leader while held and the proven end (less the margin) is after `now`.
    bool is_leader(Mono now) const { return can_write(now, std::chrono::milliseconds(0)); }
    /// True once granted and not lost or released (the lease id may still be valid at Azure
    /// even when its proven time ran out; a renew, or an acquire with the same id, may keep it).
    bool held() const { return held_; }
    /// The end of the proven lease (less the margin); unset when not held.
    std::optional<Mono> valid_until() const;

    /// The next call: a renew `renew_every` after the last grant while held and provable;
    /// else an acquire, `renew_every` after the last attempt (1 s after a failed renew, so a
    /// leader whose renew failed retries well before its lease ends; at once after waking from
    /// a pause past its lease).
    Step next(Mono now) const;
    /// Records that the call of next() was sent at `now` (for the acquire cadence).
    void on_attempt(Mono now) { last_attempt_ = now; }

    const ElectorSettings& settings() const { return settings_; }

  private:
    ElectorSettings settings_;
    bool held_ = false;
    Mono granted_{};
    std::optional<Mono> last_attempt_;
    std::optional<Mono> failed_at_;
};

}  // namespace pw::leader
