#include "reconcile/reconciler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "log/log.hpp"
#include "model/duration.hpp"
#include "model/latest.hpp"
#include "model/resource_id.hpp"
#include "planner/rules.hpp"
#include "reconcile/lookup.hpp"
#include "reconcile/secret_digest.hpp"

namespace pw::reconcile {

namespace asio = boost::asio;
using model::ActionKind;
using namespace detail;  // this module's own helpers (lookup.hpp)

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

asio::awaitable<bool> Reconciler::read_properties(const model::DesiredState& desired,
                                                  observe::Observation& obs,
                                                  const PoolIndex& pools) {
    // The pool list carries no table-declared property (codec::kPoolSelect). A pool whose
    // metadata holds the hash of the spec planned on was written by poolwarden from that very
    // spec (create, or a PATCH that found no empty-only difference): its properties are the
    // spec's and are not read. Any other pool poolwarden would act on (owned, or adopt: true)
    // is read once per eTag and spec (Observer::read_properties).
    std::vector<observe::PropertyRead> reads;
    for (const auto& spec : desired.pools) {
        if (!obs.account_complete(spec.account)) continue;
        // The index points into obs.state, which this pass owns and may change.
        auto* pool = const_cast<model::ObservedPool*>(pools.find(spec.account, spec.id));
        if (!pool || pool->state == "deleting") continue;
        auto marker = pool->metadata.find(model::kManagedByKey);
        const bool owned =
            marker != pool->metadata.end() && marker->second == model::kManagedByValue;
        if (!owned && !spec.adopt) continue;
        std::string hash = execute::SpecHash(spec);
        auto have = pool->metadata.find(model::kSpecHashKey);
        if (have != pool->metadata.end() && have->second == hash) continue;
        reads.push_back(
            {obs.state.accounts.at(spec.account).endpoint, pool, &spec, std::move(hash)});
    }
    co_await observer_.read_properties(reads, obs);
    co_return !reads.empty();
}

asio::awaitable<void> Reconciler::read_nodes(const model::DesiredState& desired,
                                             observe::Observation& obs, const PoolIndex& pools) {
    // Only pools a rollout's health gate judges: swapped to their target, steady at their
    // size (planner::DeriveRolloutStep's Gating); one node list each per pass.
    std::vector<std::pair<std::string, model::ObservedPool*>> reads;
    for (const auto& spec : desired.pools) {
        if (!spec.update_policy ||
            spec.update_policy->strategy != model::UpdatePolicy::Strategy::DrainAndSwap ||
            !obs.account_complete(spec.account))
            continue;
        // ARM lists no compute nodes: the planner gates such pools on their size.
        const model::AccountSpec* account = desired.find_account(spec.account);
        if (account && account->pool_api == model::AccountSpec::PoolApi::Arm) continue;
        auto* pool = const_cast<model::ObservedPool*>(pools.find(spec.account, spec.id));
        if (!pool || pool->allocation_state != "steady") continue;
        auto it = pool->metadata.find(model::kRolloutKey);
        if (it == pool->metadata.end()) continue;
        auto marker = model::ParseRolloutMarker(it->second);
        if (!marker || marker->step != model::RolloutMarker::Step::Swapped) continue;
        reads.emplace_back(obs.state.accounts.at(spec.account).endpoint, pool);
    }
    if (!reads.empty()) co_await observer_.read_nodes(reads, obs);
}

asio::awaitable<CycleReport> Reconciler::observe_and_plan(const model::DesiredState& declared,
                                                          TimePoint now, SteadyTime mono,
                                                          bool read_only) {
    CycleReport report;
    report.id = ++cycle_;
    report.started = now;
    forget_repointed_accounts(declared);
    report.observation = co_await observer_.observe(declared, mono);
    const auto& obs = report.observation;
    // Pools that follow "latest" plan, execute, record and publish with the version resolved
    // from this pass's version lists.
    if (model::NeedsLatestResolution(declared))
        report.resolved = model::ResolveLatest(declared, obs.state);
    // Secret files of start tasks and of the table-declared properties: stat each pass,
    // digest only the changed ones.
    auto has_secrets = [](const model::PoolSpec& p) {
        return HasStartTaskSecrets(p) || HasPropertySecrets(p);
    };
    if (std::any_of(declared.pools.begin(), declared.pools.end(), has_secrets)) {
        if (!report.resolved) report.resolved = declared;
        for (auto& pool : report.resolved->pools) {
            if (HasStartTaskSecrets(pool)) pool.secret_digest = secrets_.digest(pool);
            if (HasPropertySecrets(pool))
                pool.property_secret_digest = secrets_.property_digest(pool);
        }
    }
    const model::DesiredState& desired = report.desired(declared);
    // One index of the observed pools for this pass; rebuilt when a read replaced pools.
    std::optional<PoolIndex> pools(std::in_place, report.observation.state);
    if (co_await read_properties(desired, report.observation, *pools))
        pools.emplace(report.observation.state);
    co_await read_nodes(desired, report.observation, *pools);

    // Never plan on partial data: pools whose account or image could not be read are left
    // out, and then no replica count may be lowered either (their share would be missing):
    // the planner then keeps every region's count in every action's list.
    // A complete observation plans on the desired state itself (no copy of every spec).
    const auto unusable = [&](const model::PoolSpec& pool) {
        return !obs.account_complete(pool.account) || obs.failed_versions.count(pool.image.key()) ||
               obs.failed_images.count(model::ResourceKey(pool.image.image_definition_id()));
    };
    for (const auto& [name, health] : obs.accounts)
        if (!health.complete) report.incomplete = true;
    if (!report.incomplete)
        report.incomplete = std::any_of(desired.pools.begin(), desired.pools.end(), unusable);
    std::optional<model::DesiredState> filtered;
    if (report.incomplete) {
        filtered.emplace();
        filtered->accounts = desired.accounts;
        filtered->policy = desired.policy;
        filtered->policy.lower_replicas = false;
        filtered->pool_files_clean = desired.pool_files_clean;
        filtered->withheld = desired.withheld;
        for (const auto& pool : desired.pools) {
            if (!unusable(pool))
                filtered->pools.push_back(pool);
            else  // declared all the same: never an orphan
                filtered->withheld.push_back(model::OrphanKey(pool.account, pool.id));
        }
    }
    // An image the daemon may not read (403) holds its pools (ImageAccessDenied) but they stay
    // in the plan; what they run on is not known, so no replica count is lowered this pass
    // either.
    if (!obs.state.denied_images.empty() && desired.policy.lower_replicas) {
        if (!filtered) filtered = desired;
        filtered->policy.lower_replicas = false;
    }
    const model::DesiredState& usable = filtered ? *filtered : desired;
    report.observation.state.orphan_history.clear();
    for (const auto& [key, o] : orphans_)
        report.observation.state.orphan_history[key] = {
            o.passes, std::chrono::duration_cast<model::Seconds>(mono - o.first)};
    report.plan = plan_(usable, obs.state, now);
    // Orphans seen in consecutive passes, each with a config free of pool-file errors: what
    // prune.mode delete waits for. An orphan not seen this pass (declared again, its account
    // not observed, deleted) starts again from zero.
    std::map<std::string, Orphan> orphans;
    if (desired.pool_files_clean)
        for (const auto& f : report.plan.findings) {
            if (f.code != "Orphaned") continue;
            const std::string key = model::OrphanKey(f.account, f.pool);
            auto it = orphans_.find(key);
            Orphan o = it == orphans_.end() ? Orphan{0, mono} : it->second;
            ++o.passes;
            orphans.emplace(key, o);
        }
    orphans_ = std::move(orphans);
    // A pool held on QuotaExceeded waits for a quota raise: its account is re-read sooner.
    std::set<std::string> quota_held;
    for (const auto& f : report.plan.findings)
        if (f.code == "QuotaExceeded" && f.severity == model::Severity::Error)
            quota_held.insert(f.account);
    observer_.set_quota_held(std::move(quota_held));

    // Resize errors of steady pools: shown as findings; AllocationTimedout is retried with
    // backoff, quota errors wait for a change of the spec or the quota.
    for (const auto& spec : usable.pools) {
        const auto* p = pools->find(spec.account, spec.id);
        if (!p || p->allocation_state != "steady") continue;
        auto key = PoolKey(spec.account, spec.id);
        if (p->resize_errors.empty()) {
            // Only an existing record has anything to clear: creating one per steady pool
            // cost an Item for each of them at every cycle.
            if (auto it = items_.find(key); !read_only && it != items_.end())
                it->second.alloc_timeout_etag.reset();
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
        if (!item.alloc_timeout_etag || *item.alloc_timeout_etag != p->e_tag) {
            item.alloc_timeout_etag = p->e_tag;
            ++item.failures;
            std::uniform_real_distribution<double> unit(0.0, 1.0);
            item.next_retry = mono + BackoffDelay(options_.backoff, item.failures, unit(rng_));
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
                                              const model::DesiredState& desired, SteadyTime mono) {
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
            report.watch.versions[a.image_version] =
                observe::VersionState(FindVersion(o, a.image_version));
            run.push_back(a);
            continue;
        }
        if (IsReplicaAction(a.kind)) {
            const auto* v = FindVersion(o, a.image_version);
            if (v && (v->provisioning_state == "Updating" || v->provisioning_state == "Creating")) {
                // A restart mid-LRO: the update is Azure's to finish; writing again would
                // race it.
                report.waiting = true;
                report.watch.versions[a.image_version] = observe::VersionState(v);
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
                if (item.terminal->spec == spec_fingerprint(a, desired) &&
                    item.terminal->azure == azure_fingerprint(a, desired, o)) {
                    hold(a, "terminal error; waiting for a change of the spec or of Azure");
                    continue;
                }
                item.terminal.reset();
            }
            if (item.next_retry && mono < *item.next_retry) {
                auto left = std::chrono::ceil<std::chrono::seconds>(*item.next_retry - mono);
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

void Reconciler::record(CycleReport& report, const model::DesiredState& desired, TimePoint now,
                        SteadyTime mono) {
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
            item.terminal.reset();
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
            item.terminal =
                Item::Terminal{spec_fingerprint(a, desired), azure_fingerprint(a, desired, o)};
        } else if (cls == ErrorClass::Transient) {
            ++item.failures;
            std::uniform_real_distribution<double> unit(0.0, 1.0);
            const auto delay =
                BackoffDelay(options_.backoff, item.failures, unit(rng_), err.retry_after);
            item.next_retry = mono + delay;
            er.next_retry = now + delay;  // shown only; the hold itself runs on `mono`
            auto left = delay;
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
    const SteadyTime mono = options_.clock();
    auto report = co_await observe_and_plan(desired, now, mono, true);
    report.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock() - mono);
    report.finished = now + report.duration;
    co_return report;
}

asio::awaitable<CycleReport> Reconciler::reconcile_once(const model::DesiredState& declared,
                                                        TimePoint now,
                                                        const std::atomic<bool>* stop) {
    const SteadyTime mono = options_.clock();
    auto report = co_await observe_and_plan(declared, now, mono, false);
    const model::DesiredState& desired = report.desired(declared);
    auto run = filter(report, desired, mono);
    if (auto why = options_.write_hold ? options_.write_hold() : std::nullopt;
        why && !run.empty()) {
        for (const auto& a : run)
            if (a.kind != ActionKind::WaitForReplication)
                report.held.push_back(
                    fmt::format("{} {}: {}", model::ToString(a.kind), ActionSubject(a), *why));
        std::erase_if(
            run, [](const model::Action& a) { return a.kind != ActionKind::WaitForReplication; });
    }
    report.outcomes = co_await executor_.execute(std::move(run), report.observation.state, stop);
    record(report, desired, now, mono);

    auto requeue = [&](std::chrono::seconds s) {
        report.requeue_after = report.requeue_after ? std::min(*report.requeue_after, s) : s;
    };
    if (report.plan.requeue_after) requeue(*report.plan.requeue_after);
    if (report.waiting) requeue(options_.wait_requeue);
    if (report.writes > report.failed) requeue(options_.wait_requeue);
    // The index is only needed when some observed pool is moving (not so in a steady state).
    const auto moving = [](const model::ObservedPool& p) {
        return p.allocation_state != "steady" || p.state == "deleting";
    };
    bool any_moving = false;
    for (const auto& [name, account] : report.observation.state.accounts)
        any_moving = any_moving || std::any_of(account.pools.begin(), account.pools.end(), moving);
    std::optional<PoolIndex> pools;
    if (any_moving) pools.emplace(report.observation.state);
    for (std::size_t i = 0; any_moving && i < desired.pools.size(); ++i) {
        const auto& spec = desired.pools[i];
        const auto* p = pools->find(spec.account, spec.id);
        if (p && (p->allocation_state != "steady" || p->state == "deleting")) {
            report.waiting = true;
            requeue(options_.wait_requeue);
            auto& account = report.watch.accounts[spec.account];
            account.endpoint = report.observation.state.accounts.at(spec.account).endpoint;
            account.pools[model::ResourceKey(p->id)] = observe::PoolState(p);
        }
    }
    // What was just written is awaited too: a created or resized pool until it leaves
    // `resizing`; a replica PATCH until the first poll reads the version's new state.
    for (const auto& out : report.outcomes) {
        const auto& a = out.action;
        if (out.status != execute::Status::Succeeded) continue;
        if (IsReplicaAction(a.kind)) {
            report.watch.versions[a.image_version] = "written";
            continue;
        }
        if (a.kind != ActionKind::CreatePool && a.kind != ActionKind::ResizePool &&
            a.kind != ActionKind::EnableAutoScale)
            continue;
        auto it = report.observation.state.accounts.find(a.account);
        if (it == report.observation.state.accounts.end()) continue;
        auto& account = report.watch.accounts[a.account];
        account.endpoint = it->second.endpoint;
        account.pools[model::ResourceKey(a.pool)] = "active/resizing";
    }
    report.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock() - mono);
    report.finished = now + report.duration;
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
    prune(desired);
    report.tracked_items = items_.size() + observer_.cached_entries();
    report.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock() - mono);
    co_return report;
}

void Reconciler::forget_repointed_accounts(const model::DesiredState& desired) {
    for (const auto& a : desired.accounts) {
        auto target =
            model::ResourceKey(a.subscription_id + "/" + a.resource_group + "/" + a.account_name);
        auto [it, added] = account_targets_.try_emplace(a.name, target);
        if (added || it->second == target) continue;
        it->second = std::move(target);
        const std::string prefix = "pool:" + a.name + "/";
        std::erase_if(items_, [&](const auto& e) { return e.first.rfind(prefix, 0) == 0; });
    }
}

void Reconciler::prune(const model::DesiredState& desired) {
    if (items_.empty()) return;
    std::unordered_map<std::string, bool> keep;  // key -> is a pool's
    keep.reserve(desired.pools.size() * 2);
    for (const auto& p : desired.pools) {
        keep.emplace(PoolKey(p.account, p.id), true);
        keep.emplace(VersionKey(p.image.str()), false);
    }
    // A pool's record with nothing left but its last action is dropped too: publish() put that
    // action into the pool's status, which keeps it from now on. A daemon that created 10 000
    // pools otherwise kept a record for each of them for as long as it ran.
    std::erase_if(items_, [&](const auto& entry) {
        auto it = keep.find(entry.first);
        if (it == keep.end()) return true;
        const auto& item = entry.second;
        return it->second && item.failures == 0 && !item.next_retry && !item.terminal &&
               !item.last_error && !item.alloc_timeout_etag;
    });
}

}  // namespace pw::reconcile
