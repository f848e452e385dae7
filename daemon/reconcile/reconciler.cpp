#include "reconcile/reconciler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "log/log.hpp"
#include "model/duration.hpp"
#include "model/resource_id.hpp"
#include "planner/rules.hpp"

namespace pw::reconcile {

namespace asio = boost::asio;
using model::ActionKind;

namespace {

constexpr const char* kAllocationTimedout = "AllocationTimedout";
constexpr const char* kRetryReason = "retry after AllocationTimedout";

log::RateLimiter& Limiter() {
    static log::RateLimiter limiter;
    return limiter;
}

bool IsReplicaAction(ActionKind k) {
    return k == ActionKind::AddTargetRegion || k == ActionKind::SetRegionalReplicas;
}

bool IsPoolAction(ActionKind k) {
    return k == ActionKind::CreatePool || k == ActionKind::ResizePool || k == ActionKind::PatchPool;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string PoolKey(std::string_view account, std::string_view id) {
    return "pool:" + std::string(account) + "/" + model::ResourceKey(id);
}

std::string VersionKey(std::string_view id) { return "version:" + model::ResourceKey(id); }

const model::PoolSpec* FindSpec(const model::DesiredState& d, std::string_view account,
                                std::string_view id) {
    for (const auto& p : d.pools)
        if (p.account == account && model::ResourceKey(p.id) == model::ResourceKey(id)) return &p;
    return nullptr;
}

const model::ObservedPool* FindPool(const model::ObservedState& o, const std::string& account,
                                    std::string_view id) {
    auto it = o.accounts.find(account);
    return it == o.accounts.end() ? nullptr : it->second.find_pool(id);
}

/// The observed pools by (account, case-insensitive id): one hash lookup per desired pool
/// instead of a scan of the account's pools (which made a cycle quadratic in the pools).
class PoolIndex {
  public:
    explicit PoolIndex(const model::ObservedState& o) {
        for (const auto& [name, account] : o.accounts)
            for (const auto& p : account.pools) index_.emplace(PoolKey(name, p.id), &p);
    }
    const model::ObservedPool* find(std::string_view account, std::string_view id) const {
        auto it = index_.find(PoolKey(account, id));
        return it == index_.end() ? nullptr : it->second;
    }

  private:
    std::unordered_map<std::string, const model::ObservedPool*> index_;
};

const model::ObservedImageVersion* FindVersion(const model::ObservedState& o, std::string_view id) {
    auto it = o.image_versions.find(model::ResourceKey(id));
    return it == o.image_versions.end() ? nullptr : &it->second;
}

std::string AccountRegion(const model::DesiredState& d, const model::ObservedState& o,
                          const std::string& account) {
    auto it = o.accounts.find(account);
    if (it != o.accounts.end() && !it->second.location.empty()) return it->second.location;
    if (const auto* spec = d.find_account(account); spec && spec->location) return *spec->location;
    return "";
}

std::string VersionFingerprint(const model::ObservedImageVersion* v) {
    if (!v) return "absent";
    std::string out = v->provisioning_state + "|" + v->aggregated_state;
    for (const auto& r : v->target_regions)
        out += fmt::format("|{}={}", model::NormalizeRegion(r.name), r.regional_replica_count);
    for (const auto& r : v->summary)
        out += fmt::format("|{}:{}", model::NormalizeRegion(r.region), r.state);
    return out;
}

bool Converged(const model::ObservedPool& p) {
    if (p.state != "active" || p.allocation_state != "steady") return false;
    if (p.enable_auto_scale) return true;
    return p.current_dedicated_nodes == p.target_dedicated_nodes &&
           p.current_low_priority_nodes == p.target_low_priority_nodes;
}

std::string ActionSubject(const model::Action& a) {
    if (!a.pool.empty()) return a.account + "/" + a.pool;
    return a.image_version;
}

void SetCondition(std::vector<Condition>& out, const std::vector<Condition>* prev, std::string type,
                  bool status, std::string reason, std::string message, TimePoint now) {
    Condition c{std::move(type), status, std::move(reason), std::move(message), now};
    if (prev) {
        for (const auto& p : *prev)
            if (p.type == c.type && p.status == c.status) c.since = p.since;
    }
    out.push_back(std::move(c));
}

std::string ProgressReason(ActionKind k) {
    switch (k) {
        case ActionKind::AddTargetRegion:
        case ActionKind::SetRegionalReplicas:
            return "UpdatingReplicas";
        case ActionKind::WaitForReplication:
            return "WaitingForReplication";
        case ActionKind::CreatePool:
            return "Creating";
        case ActionKind::ResizePool:
            return "Resizing";
        case ActionKind::PatchPool:
            return "Patching";
    }
    return "Progressing";
}

std::string ConditionText(const PoolStatus& p, std::string_view type) {
    const auto* c = p.condition(type);
    if (!c) return "";
    return std::string(c->status ? "True" : "False") + "/" + c->reason;
}

// One line whenever a pool's conditions or node counts change (not every cycle).
void LogPoolChange(const PoolStatus* before, const PoolStatus& now) {
    auto nodes = [](const PoolStatus& p) {
        if (!p.current_nodes) return std::string("-");
        return fmt::format("{}/{}", *p.current_nodes, *p.target_nodes);
    };
    if (before && nodes(*before) == nodes(now) &&
        ConditionText(*before, "Ready") == ConditionText(now, "Ready") &&
        ConditionText(*before, "Progressing") == ConditionText(now, "Progressing") &&
        ConditionText(*before, "Degraded") == ConditionText(now, "Degraded"))
        return;
    log::Write(spdlog::level::info, "pool",
               {{"pool", now.id},
                {"account", now.account},
                {"ready", ConditionText(now, "Ready")},
                {"progressing", ConditionText(now, "Progressing")},
                {"degraded", ConditionText(now, "Degraded")},
                {"allocationState", now.allocation_state},
                {"nodes", nodes(now)}});
}

void LogVersionChange(const ImageVersionStatus* before, const ImageVersionStatus& now) {
    for (const auto& r : now.regions) {
        bool same = false;
        if (before) {
            for (const auto& b : before->regions)
                if (b.region == r.region && b.required == r.required && b.current == r.current &&
                    b.replication_state == r.replication_state && b.progress == r.progress)
                    same = true;
        }
        if (same) continue;
        log::Write(spdlog::level::info, "image version",
                   {{"imageVersion", now.id},
                    {"region", r.region},
                    {"replicas", fmt::format("{}/{}", r.current, r.required)},
                    {"replication", r.replication_state},
                    {"progress", fmt::format("{}%", r.progress)},
                    {"provisioningState", now.provisioning_state}});
    }
}

}  // namespace

bool CycleReport::converged() const {
    return plan.actions.empty() && held.empty() && failed == 0 && !incomplete && !error_findings &&
           !waiting;
}

bool CycleReport::ok() const { return failed == 0 && !incomplete && !error_findings; }

Reconciler::Reconciler(azure::BatchApi& batch, azure::ArmApi& arm, StatusStore& status,
                       Options options, PlanFn plan, std::uint64_t seed)
    : observer_(batch, arm,
                observe::Observer::Options{std::chrono::hours(1), std::chrono::hours(1),
                                           options.concurrency}),
      executor_(batch, arm, execute::Executor::Options{options.concurrency}),
      status_(status),
      options_(options),
      plan_(std::move(plan)),
      rng_(seed) {}

std::string Reconciler::item_key(const model::Action& a) const {
    if (IsPoolAction(a.kind)) return PoolKey(a.account, a.pool);
    return VersionKey(a.image_version);
}

std::string Reconciler::spec_fingerprint(const model::Action& a,
                                         const model::DesiredState& d) const {
    if (IsPoolAction(a.kind)) {
        const auto* spec = FindSpec(d, a.account, a.pool);
        return spec ? execute::SpecHash(*spec) : "none";
    }
    // Every action of one version carries the same complete targetRegions list (one PATCH):
    // the list alone identifies the write, whichever region's action recorded the error.
    std::string out;
    for (const auto& r : a.target_regions)
        out += fmt::format("{}={};", model::NormalizeRegion(r.name), r.regional_replica_count);
    return out;
}

std::string Reconciler::azure_fingerprint(const model::Action& a, const model::DesiredState& d,
                                          const model::ObservedState& o) const {
    if (!IsPoolAction(a.kind)) return VersionFingerprint(FindVersion(o, a.image_version));
    std::string out;
    auto acct = o.accounts.find(a.account);
    if (acct != o.accounts.end()) {
        out += fmt::format("quota={}/{}|", acct->second.dedicated_core_quota.value_or(-1),
                           acct->second.low_priority_core_quota.value_or(-1));
    }
    if (const auto* p = FindPool(o, a.account, a.pool)) {
        out += fmt::format("pool={}|{}|{}|{}/{}", p->e_tag, p->state, p->allocation_state,
                           p->target_dedicated_nodes, p->target_low_priority_nodes);
    } else {
        out += "pool=absent";
    }
    if (const auto* spec = FindSpec(d, a.account, a.pool))
        out += "|" + VersionFingerprint(FindVersion(o, spec->image.str()));
    return out;
}

asio::awaitable<CycleReport> Reconciler::observe_and_plan(const model::DesiredState& desired,
                                                          TimePoint now, bool read_only) {
    CycleReport report;
    report.id = ++cycle_;
    report.started = now;
    report.observation = co_await observer_.observe(desired, now);
    const auto& obs = report.observation;

    // Never plan on partial data: pools whose account or image could not be read are left
    // out, and then no replica count may be lowered either (their share would be missing).
    model::DesiredState usable = desired;
    usable.pools.clear();
    for (const auto& pool : desired.pools) {
        if (!obs.account_complete(pool.account) || obs.failed_versions.count(pool.image.key()) ||
            obs.failed_images.count(model::ResourceKey(pool.image.image_definition_id()))) {
            report.incomplete = true;
            continue;
        }
        usable.pools.push_back(pool);
    }
    for (const auto& [name, health] : obs.accounts)
        if (!health.complete) report.incomplete = true;

    report.plan = plan_(usable, obs.state, now);
    if (report.incomplete) {
        std::erase_if(report.plan.actions, [](const model::Action& a) {
            return IsReplicaAction(a.kind) && a.from && a.to && *a.to < *a.from;
        });
    }

    // Resize errors of steady pools: shown as findings; AllocationTimedout is retried with
    // backoff, quota errors wait for a change of the spec or the quota.
    const PoolIndex pools(obs.state);
    for (const auto& spec : usable.pools) {
        const auto* p = pools.find(spec.account, spec.id);
        if (!p || p->allocation_state != "steady") continue;
        auto key = PoolKey(spec.account, spec.id);
        if (p->resize_errors.empty()) {
            if (!read_only) items_[key].alloc_timeout_etag.clear();
            continue;
        }
        // The planner reports resize errors as findings; here AllocationTimedout is retried
        // with per-pool backoff, and quota errors are left for a change of spec or quota.
        bool timed_out = false;
        bool quota = false;
        for (const auto& e : p->resize_errors) {
            quota = quota || EndsWith(e.code, "QuotaReached");
            timed_out = timed_out || e.code == kAllocationTimedout;
        }
        bool owned = spec.adopt || (p->metadata.count(model::kManagedByKey) &&
                                    p->metadata.at(model::kManagedByKey) == model::kManagedByValue);
        bool has_action = std::any_of(
            report.plan.actions.begin(), report.plan.actions.end(), [&](const model::Action& a) {
                return IsPoolAction(a.kind) && a.account == spec.account &&
                       model::ResourceKey(a.pool) == model::ResourceKey(spec.id);
            });
        if (read_only || !timed_out || quota || !owned || !spec.fixed || has_action ||
            Converged(*p))
            continue;
        auto& item = items_[key];
        if (item.alloc_timeout_etag != p->e_tag) {
            item.alloc_timeout_etag = p->e_tag;
            ++item.failures;
            std::uniform_real_distribution<double> unit(0.0, 1.0);
            item.next_retry = now + BackoffDelay(options_.backoff, item.failures, unit(rng_));
        }
        model::Action retry;
        retry.kind = ActionKind::ResizePool;
        retry.account = spec.account;
        retry.pool = p->id;
        retry.target_dedicated_nodes = p->target_dedicated_nodes;
        retry.target_low_priority_nodes = p->target_low_priority_nodes;
        retry.resize_timeout = p->resize_timeout.value_or(std::chrono::minutes(15));
        retry.if_match = p->e_tag;
        retry.spec = spec;
        retry.reason = kRetryReason;
        report.plan.actions.push_back(std::move(retry));
    }

    for (const auto& f : report.plan.findings)
        if (f.severity == model::Severity::Error) report.error_findings = true;
    co_return report;
}

std::vector<model::Action> Reconciler::filter(CycleReport& report,
                                              const model::DesiredState& desired, TimePoint now) {
    std::vector<model::Action> run;
    const auto& o = report.observation.state;
    std::optional<std::chrono::seconds> soonest;
    std::set<std::string> written;
    const PoolIndex pools(o);
    auto hold = [&](const model::Action& a, std::string why) {
        report.held.push_back(
            fmt::format("{} {}: {}", model::ToString(a.kind), ActionSubject(a), why));
        log::Write(spdlog::level::debug, "action held",
                   {{"action", std::string(model::ToString(a.kind))},
                    {"pool", a.pool},
                    {"account", a.account},
                    {"imageVersion", a.image_version},
                    {"reason", a.reason},
                    {"result", "held: " + why}});
    };
    for (const auto& a : report.plan.actions) {
        if (a.kind == ActionKind::WaitForReplication) {
            report.waiting = true;
            run.push_back(a);
            continue;
        }
        if (IsReplicaAction(a.kind)) {
            const auto* v = FindVersion(o, a.image_version);
            if (v && (v->provisioning_state == "Updating" || v->provisioning_state == "Creating")) {
                // A restart mid-LRO: the update is Azure's to finish; writing again would
                // race it.
                report.waiting = true;
                hold(a, "version provisioningState is " + v->provisioning_state);
                continue;
            }
        }
        if (a.kind == ActionKind::CreatePool) {
            if (const auto* p = pools.find(a.account, a.pool); p && p->state == "deleting") {
                report.waiting = true;
                hold(a, "pool is being deleted");
                continue;
            }
        }
        if (IsPoolAction(a.kind) && !written.insert(item_key(a)).second) {
            // Each write changes the pool's eTag: the next one needs a fresh observation.
            soonest =
                soonest ? std::min(*soonest, std::chrono::seconds(1)) : std::chrono::seconds(1);
            hold(a, "after this pool's previous write (needs a fresh eTag)");
            continue;
        }
        auto it = items_.find(item_key(a));
        if (it != items_.end()) {
            auto& item = it->second;
            if (item.terminal) {
                if (item.terminal_spec == spec_fingerprint(a, desired) &&
                    item.terminal_azure == azure_fingerprint(a, desired, o)) {
                    hold(a, "terminal error; waiting for a change of the spec or of Azure");
                    continue;
                }
                item.terminal = false;
            }
            if (item.next_retry && now < *item.next_retry) {
                auto left = std::chrono::ceil<std::chrono::seconds>(*item.next_retry - now);
                soonest = soonest ? std::min(*soonest, left) : left;
                hold(a, fmt::format("backing off for {}", model::FormatShortDuration(left)));
                continue;
            }
        }
        run.push_back(a);
    }
    if (soonest) report.requeue_after = soonest;
    return run;
}

void Reconciler::record(CycleReport& report, const model::DesiredState& desired, TimePoint now) {
    const auto& o = report.observation.state;
    for (const auto& out : report.outcomes) {
        const auto& a = out.action;
        std::string result(execute::ToString(out.status));
        ActionRecord rec{std::string(model::ToString(a.kind)), a.reason, result, now};
        if (a.kind == ActionKind::WaitForReplication) {
            items_[VersionKey(a.image_version)].last_action = rec;
            if (!a.pool.empty()) items_[PoolKey(a.account, a.pool)].last_action = rec;
            continue;
        }
        if (out.status == execute::Status::NotStarted) continue;
        ++report.writes;
        auto& item = items_[item_key(a)];
        item.last_action = rec;
        log::Fields fields{{"cycle", std::to_string(report.id)},
                           {"action", std::string(model::ToString(a.kind))},
                           {"pool", a.pool},
                           {"account", a.account},
                           {"imageVersion", a.image_version},
                           {"reason", a.reason},
                           {"result", result},
                           {"durationMs", std::to_string(out.duration.count())}};
        if (a.to) fields.push_back({"to", std::to_string(*a.to)});
        if (a.resize_timeout)
            fields.push_back({"resizeTimeout", model::FormatIsoDuration(*a.resize_timeout)});
        if (out.status == execute::Status::Succeeded) {
            if (a.reason != kRetryReason) item.failures = 0;
            item.next_retry.reset();
            item.terminal = false;
            item.last_error.reset();
            log::Write(spdlog::level::info, "action", fields);
            continue;
        }
        ++report.failed;
        const auto& err = *out.error;
        auto text = observe::Describe(err);
        fields.push_back({"error", text});
        auto cls = Classify(err);
        ErrorRecord er{text, err.code, cls == ErrorClass::Terminal, now, std::nullopt};
        if (cls == ErrorClass::Terminal) {
            item.terminal = true;
            item.terminal_spec = spec_fingerprint(a, desired);
            item.terminal_azure = azure_fingerprint(a, desired, o);
        } else if (cls == ErrorClass::Transient) {
            ++item.failures;
            std::uniform_real_distribution<double> unit(0.0, 1.0);
            item.next_retry =
                now + BackoffDelay(options_.backoff, item.failures, unit(rng_), err.retry_after);
            er.next_retry = item.next_retry;
            auto left = std::chrono::ceil<std::chrono::seconds>(*item.next_retry - now);
            report.requeue_after =
                report.requeue_after ? std::min(*report.requeue_after, left) : left;
        }
        item.last_error = er;
        int suppressed = 0;
        if (Limiter().admit(item_key(a) + "|" + text, std::chrono::steady_clock::now(),
                            &suppressed)) {
            if (suppressed) fields.push_back({"suppressedRepeats", std::to_string(suppressed)});
            fields.push_back({"terminal", cls == ErrorClass::Terminal ? "true" : "false"});
            log::Write(spdlog::level::warn, "action", fields);
        }
    }
}

asio::awaitable<CycleReport> Reconciler::plan_once(const model::DesiredState& desired,
                                                   TimePoint now) {
    auto report = co_await observe_and_plan(desired, now, true);
    report.finished = now;
    co_return report;
}

asio::awaitable<CycleReport> Reconciler::reconcile_once(const model::DesiredState& desired,
                                                        TimePoint now,
                                                        const std::atomic<bool>* stop) {
    auto report = co_await observe_and_plan(desired, now, false);
    auto run = filter(report, desired, now);
    report.outcomes = co_await executor_.execute(run, report.observation.state, stop);
    record(report, desired, now);

    auto requeue = [&](std::chrono::seconds s) {
        report.requeue_after = report.requeue_after ? std::min(*report.requeue_after, s) : s;
    };
    if (report.plan.requeue_after) requeue(*report.plan.requeue_after);
    if (report.waiting) requeue(options_.wait_requeue);
    if (report.writes > report.failed) requeue(options_.wait_requeue);
    const PoolIndex pools(report.observation.state);
    for (const auto& spec : desired.pools) {
        const auto* p = pools.find(spec.account, spec.id);
        if (p && (p->allocation_state != "steady" || p->state == "deleting")) {
            report.waiting = true;
            requeue(options_.wait_requeue);
        }
    }
    report.finished = now;
    for (const auto& f : report.plan.findings) {
        int suppressed = 0;
        auto key = fmt::format("finding|{}|{}|{}|{}", f.account, f.pool, f.code, f.message);
        if (f.severity == model::Severity::Info ||
            !Limiter().admit(key, std::chrono::steady_clock::now(), &suppressed))
            continue;
        log::Write(
            f.severity == model::Severity::Error ? spdlog::level::err : spdlog::level::warn,
            "finding",
            {{"pool", f.pool}, {"account", f.account}, {"code", f.code}, {"message", f.message}});
    }
    for (const auto& [name, health] : report.observation.accounts) {
        if (health.complete) continue;
        if (Limiter().admit("account|" + name + "|" + health.error,
                            std::chrono::steady_clock::now()))
            log::Write(spdlog::level::warn, "account not observed; no writes to it this cycle",
                       {{"account", name}, {"error", health.error}});
    }
    log::Write(
        spdlog::level::info, "cycle",
        {{"cycle", std::to_string(report.id)},
         {"actions", std::to_string(report.plan.actions.size())},
         {"writes", std::to_string(report.writes)},
         {"failed", std::to_string(report.failed)},
         {"held", std::to_string(report.held.size())},
         {"azureReads", std::to_string(report.observation.calls)},
         {"converged", report.converged() ? "true" : "false"},
         {"requeueAfter",
          report.requeue_after ? model::FormatShortDuration(*report.requeue_after) : "interval"}});
    publish(report, desired, now);
    co_return report;
}

void Reconciler::publish(const CycleReport& report, const model::DesiredState& desired,
                         TimePoint now) {
    const auto& obs = report.observation;
    const auto& o = obs.state;
    auto prev = status_.get();
    StatusSnapshot next;

    // Hash indexes, built once: per-pool scans of the previous status, the findings and the
    // actions made publishing quadratic in the number of pools.
    const PoolIndex pools(o);
    std::unordered_map<std::string, const PoolStatus*> prev_pools;
    for (const auto& ps : prev->pools) prev_pools.emplace(model::ResourceKey(ps.id), &ps);
    std::unordered_map<std::string, std::vector<const model::Finding*>> findings_by_pool;
    for (const auto& f : report.plan.findings)
        findings_by_pool[model::ResourceKey(f.pool)].push_back(&f);
    std::unordered_map<std::string, std::vector<std::size_t>> pool_actions;
    std::unordered_map<std::string, std::vector<std::size_t>> version_actions;
    const auto& actions = report.plan.actions;
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const auto& a = actions[i];
        if (!a.pool.empty())
            pool_actions[PoolKey(a.account, a.pool)].push_back(i);
        else
            version_actions[model::ResourceKey(a.image_version)].push_back(i);
    }

    for (const auto& spec : desired.pools) {
        PoolStatus ps;
        ps.id = spec.id;
        ps.account = spec.account;
        ps.source_file = spec.source_file;
        const auto pool_key = model::ResourceKey(spec.id);
        const auto prev_it = prev_pools.find(pool_key);
        const PoolStatus* before = prev_it == prev_pools.end() ? nullptr : prev_it->second;
        const auto* prev_conditions = before ? &before->conditions : nullptr;
        const auto* p = pools.find(spec.account, spec.id);
        if (p) {
            ps.allocation_state = p->allocation_state;
            ps.target_nodes = p->target_dedicated_nodes + p->target_low_priority_nodes;
            ps.current_nodes = p->current_dedicated_nodes + p->current_low_priority_nodes;
            ps.observed_target = {p->target_dedicated_nodes, p->target_low_priority_nodes};
            ps.observed_current = {p->current_dedicated_nodes, p->current_low_priority_nodes};
            for (const auto& e : p->resize_errors) ++ps.resize_errors[e.code];
        }
        if (spec.fixed)
            ps.desired_nodes = {spec.fixed->target_dedicated_nodes,
                                spec.fixed->target_low_priority_nodes};
        if (auto it = findings_by_pool.find(pool_key); it != findings_by_pool.end())
            for (const auto* f : it->second)
                if (f->account.empty() || f->account == spec.account) ps.findings.push_back(*f);
        auto region = model::NormalizeRegion(AccountRegion(desired, o, spec.account));
        std::vector<std::size_t> mine_at;
        if (auto it = pool_actions.find(PoolKey(spec.account, spec.id)); it != pool_actions.end())
            mine_at = it->second;
        if (auto it = version_actions.find(spec.image.key()); it != version_actions.end())
            for (auto i : it->second)
                if (actions[i].region.empty() ||
                    model::NormalizeRegion(actions[i].region) == region)
                    mine_at.push_back(i);
        std::sort(mine_at.begin(), mine_at.end());
        std::vector<const model::Action*> mine;
        for (auto i : mine_at) mine.push_back(&actions[i]);
        auto item_it = items_.find(PoolKey(spec.account, spec.id));
        const Item* item = item_it == items_.end() ? nullptr : &item_it->second;
        if (item) {
            ps.last_action = item->last_action;
            ps.last_error = item->last_error;
        }
        for (const auto* a : mine) {
            if (IsReplicaAction(a->kind) || a->kind == ActionKind::WaitForReplication) {
                if (auto v = items_.find(VersionKey(a->image_version)); v != items_.end()) {
                    if (!ps.last_action) ps.last_action = v->second.last_action;
                    if (!ps.last_error) ps.last_error = v->second.last_error;
                }
            }
        }

        const auto health = obs.accounts.find(spec.account);
        bool account_ok = health != obs.accounts.end() && health->second.complete;
        bool image_failed =
            obs.failed_versions.count(spec.image.key()) ||
            obs.failed_images.count(model::ResourceKey(spec.image.image_definition_id()));
        const model::Finding* error_finding = nullptr;
        const model::Finding* warning_finding = nullptr;
        for (const auto& f : ps.findings) {
            if (f.severity == model::Severity::Error && !error_finding) error_finding = &f;
            if (f.severity == model::Severity::Warning && !warning_finding) warning_finding = &f;
        }

        // Degraded
        if (error_finding) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, error_finding->code,
                         error_finding->message, now);
        } else if (!account_ok) {
            SetCondition(
                ps.conditions, prev_conditions, "Degraded", true, "ObservationFailed",
                health == obs.accounts.end() ? "account not configured" : health->second.error,
                now);
        } else if (image_failed) {
            auto it = obs.failed_versions.find(spec.image.key());
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, "ObservationFailed",
                         it != obs.failed_versions.end() ? "image version: " + it->second
                                                         : "image definition could not be read",
                         now);
        } else if (ps.last_error) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true,
                         ps.last_error->terminal ? "TerminalError" : "RetryingAfterError",
                         ps.last_error->message, now);
        } else if (warning_finding) {
            SetCondition(ps.conditions, prev_conditions, "Degraded", true, warning_finding->code,
                         warning_finding->message, now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Degraded", false, "AsExpected", "", now);
        }

        // Progressing
        if (!mine.empty()) {
            const auto* a = mine.front();
            for (const auto* m : mine)
                if (!m->pool.empty()) {
                    a = m;
                    break;
                }
            std::string reason = ProgressReason(a->kind);
            SetCondition(ps.conditions, prev_conditions, "Progressing", true, reason, a->reason,
                         now);
        } else if (p && p->allocation_state != "steady") {
            SetCondition(ps.conditions, prev_conditions, "Progressing", true, "Resizing",
                         fmt::format("{} of {} nodes", *ps.current_nodes, *ps.target_nodes), now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Progressing", false, "Stable", "", now);
        }

        // Ready
        if (!account_ok && before && before->condition("Ready")) {
            ps.conditions.push_back(*before->condition("Ready"));
        } else if (!p) {
            SetCondition(ps.conditions, prev_conditions, "Ready", false, "NotCreated",
                         "the pool does not exist yet", now);
        } else if (p->state == "deleting") {
            SetCondition(ps.conditions, prev_conditions, "Ready", false, "Deleting",
                         "the pool is being deleted", now);
        } else if (!mine.empty() || !Converged(*p) || error_finding) {
            std::string reason = error_finding                     ? error_finding->code
                                 : p->allocation_state != "steady" ? "Resizing"
                                 : !mine.empty()                   ? "Progressing"
                                                                   : "NotAtTarget";
            SetCondition(ps.conditions, prev_conditions, "Ready", false, reason,
                         fmt::format("{} of {} nodes", *ps.current_nodes, *ps.target_nodes), now);
        } else {
            SetCondition(ps.conditions, prev_conditions, "Ready", true, "Converged",
                         fmt::format("{} nodes", *ps.current_nodes), now);
        }
        LogPoolChange(before, ps);
        next.pools.push_back(std::move(ps));
    }

    // Image versions: required vs current replicas per account region.
    struct RegionDemand {
        std::string name;
        std::vector<int> nodes;
    };
    std::map<std::string, std::map<std::string, RegionDemand>> required;
    std::map<std::string, std::string> version_ids;
    for (const auto& spec : desired.pools) {
        auto region = AccountRegion(desired, o, spec.account);
        version_ids.emplace(spec.image.key(), spec.image.str());
        if (region.empty()) continue;
        auto& entry = required[spec.image.key()][model::NormalizeRegion(region)];
        entry.name = region;
        entry.nodes.push_back(spec.sized_nodes());
    }
    for (const auto& [key, id] : version_ids) {
        ImageVersionStatus vs;
        vs.id = id;
        const auto* v = FindVersion(o, id);
        if (v) {
            vs.provisioning_state = v->provisioning_state;
            vs.aggregated_state = v->aggregated_state;
        }
        for (const auto& [norm, entry] : required[key]) {
            RegionReplicaStatus rs;
            rs.region = entry.name;
            rs.required = planner::RequiredRegionReplicas(entry.nodes, desired.policy).required;
            for (const auto& r : report.plan.requirements)
                if (model::ResourceKey(r.image_version) == key && r.region == norm)
                    rs.required = r.required;
            rs.replication_state = "Missing";
            if (v) {
                if (const auto* t = v->find_region(norm)) {
                    rs.current = t->regional_replica_count;
                    rs.replication_state = "Unknown";
                }
                if (const auto* r = v->find_replication(norm)) {
                    rs.replication_state = r->state;
                    rs.progress = r->progress;
                }
            }
            vs.regions.push_back(std::move(rs));
        }
        if (auto it = items_.find(VersionKey(id)); it != items_.end()) {
            vs.last_action = it->second.last_action;
            vs.last_error = it->second.last_error;
        }
        LogVersionChange(prev->image_version(id), vs);
        next.image_versions.push_back(std::move(vs));
    }

    for (const auto& [name, health] : obs.accounts) {
        AccountStatus as;
        as.name = name;
        as.observed = health.complete;
        as.error = health.error;
        if (auto it = o.accounts.find(name); it != o.accounts.end()) {
            as.location = it->second.location;
            as.pools_observed = static_cast<int>(it->second.pools.size());
        }
        next.accounts.push_back(std::move(as));
    }

    CycleSummary cs;
    cs.id = report.id;
    cs.started = report.started;
    cs.finished = report.finished;
    cs.actions = static_cast<int>(report.plan.actions.size());
    cs.writes = report.writes;
    cs.failed = report.failed;
    cs.converged = report.converged();
    cs.requeue_after = report.requeue_after;

    status_.update([&](StatusSnapshot& s) {
        s.updated = now;
        s.last_cycle = cs;
        s.pools = std::move(next.pools);
        s.image_versions = std::move(next.image_versions);
        s.accounts = std::move(next.accounts);
        s.findings = report.plan.findings;
    });
}

}  // namespace pw::reconcile
