#include "observe/observe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "azure/arm_pool_client.hpp"
#include "model/latest.hpp"
#include "model/pool_drift.hpp"
#include "model/resource_id.hpp"
#include "observe/bounded.hpp"

namespace pw::observe {

namespace asio = boost::asio;

namespace {
/// The resource provider whose registration an image's subscription needs [D-SIG, contract §12].
const std::string kBatchNamespace = "Microsoft.Batch";
}  // namespace

bool Observation::account_complete(const std::string& name) const {
    auto it = accounts.find(name);
    return it != accounts.end() && it->second.complete;
}

bool IsNotFound(const azure::Error& e) { return e.http_status == 404; }

bool IsAccessDenied(const azure::Error& e) { return e.http_status == 403; }

std::string AccountKey(const model::AccountSpec& spec) {
    return model::ResourceKey("/subscriptions/" + spec.subscription_id + "/resourceGroups/" +
                              spec.resource_group + "/providers/Microsoft.Batch/batchAccounts/" +
                              spec.account_name);
}

std::string SkuKey(const std::string& subscription_id, const std::string& location) {
    return model::ResourceKey(subscription_id) + "/" + model::NormalizeRegion(location);
}

std::string Describe(const azure::Error& e) {
    static constexpr const char* kKinds[] = {"network", "timeout", "throttled", "auth",
                                             "client",  "server",  "decode",    "cancelled"};
    auto k = static_cast<std::size_t>(e.kind);
    std::string out = k < std::size(kKinds) ? kKinds[k] : "error";
    if (e.http_status) out += fmt::format(" {}", e.http_status);
    if (!e.code.empty()) out += " " + e.code;
    if (!e.message.empty()) out += ": " + e.message;
    return out;
}

std::string VersionState(const model::ObservedImageVersion* v) {
    if (!v) return "absent";
    std::vector<std::string> regions;
    for (const auto& r : v->summary)
        regions.push_back(model::NormalizeRegion(r.region) + "=" + r.state);
    std::sort(regions.begin(), regions.end());
    std::string out = v->provisioning_state + "|" + v->aggregated_state;
    for (const auto& r : regions) out += "|" + r;
    return out;
}

std::string PoolState(const model::ObservedPool* p) {
    return p ? p->state + "/" + p->allocation_state : "absent";
}

Observer::Observer(azure::BatchApi& batch, azure::ArmApi& arm, Options options)
    : batch_(batch), arm_(arm), options_(options) {}

void Observer::invalidate_caches() {
    accounts_.clear();
    images_.clear();
    properties_.clear();
    vm_skus_.clear();
    node_agent_skus_.clear();
    tenants_.clear();
    registrations_.clear();
}

asio::awaitable<void> Observer::read_properties(const std::vector<PropertyRead>& reads,
                                                Observation& out) {
    std::map<std::string, PropertyEntry> kept;
    std::vector<std::function<asio::awaitable<void>()>> tasks;
    for (const auto& r : reads) {
        std::string key = r.endpoint + "/" + model::ResourceKey(r.pool->id);
        auto it = properties_.find(key);
        if (it != properties_.end() && it->second.e_tag == r.pool->e_tag &&
            it->second.desired_hash == r.desired_hash) {
            r.pool->properties = it->second.differing;
            kept.insert(properties_.extract(it));
            continue;
        }
        tasks.push_back([this, &r, key = std::move(key), &kept, &out]() -> asio::awaitable<void> {
            ++out.calls;
            auto got = co_await batch_.get_pool(r.endpoint, r.pool->id);
            if (!got || !got->properties) {
                r.pool->properties_unread = true;
                co_return;
            }
            *r.pool = std::move(*got);
            const bool differs = !model::PoolPropertyDrift(*r.spec, *r.pool->properties).empty();
            kept[key] = PropertyEntry{
                r.pool->e_tag, r.desired_hash,
                differs ? r.pool->properties : model::Boxed<model::ObservedProperties>{}};
        });
    }
    co_await RunBounded(std::move(tasks), options_.concurrency);
    properties_ = std::move(kept);
}

asio::awaitable<void> Observer::read_nodes(
    const std::vector<std::pair<std::string, model::ObservedPool*>>& pools, Observation& out) {
    std::vector<std::function<asio::awaitable<void>()>> tasks;
    for (const auto& read : pools) {
        tasks.push_back([this, &read, &out]() -> asio::awaitable<void> {
            ++out.calls;
            auto got = co_await batch_.list_node_counts(read.first, read.second->id);
            if (got) read.second->nodes = *got;
        });
    }
    co_await RunBounded(std::move(tasks), options_.concurrency);
}

asio::awaitable<Observation> Observer::observe(const model::DesiredState& desired,
                                               std::chrono::steady_clock::time_point now) {
    Observation out;
    // A reload may point a local name at another account, or drop it: entries of accounts
    // no longer configured go.
    std::set<std::string> configured;
    for (const auto& account : desired.accounts) configured.insert(AccountKey(account));
    std::erase_if(accounts_, [&](const auto& e) { return !configured.count(e.first); });
    std::vector<std::function<asio::awaitable<void>()>> tasks;
    for (const auto& account : desired.accounts) {
        out.accounts[account.name] = AccountHealth{false, "not observed"};
        tasks.push_back([this, &account, now, &out]() -> asio::awaitable<void> {
            co_await observe_account(account, now, out);
        });
    }
    std::map<std::string, model::ImageVersionId> versions;
    std::map<std::string, std::string> definitions;
    std::map<std::string, model::ImageVersionId> followed;  ///< Definitions followed to latest.
    for (const auto& pool : desired.pools) {
        definitions.emplace(model::ResourceKey(pool.image.image_definition_id()),
                            pool.image.image_definition_id());
        if (pool.image_follows_latest)
            followed.emplace(model::ResourceKey(pool.image.image_definition_id()), pool.image);
        else
            versions.emplace(pool.image.key(), pool.image);
    }
    for (const auto& [key, id] : versions) {
        tasks.push_back([this, &id = id, &out]() -> asio::awaitable<void> {
            co_await observe_version(id, out);
        });
    }
    // One paged version list per definition followed to latest; the versions it resolves to
    // are read next, once each (a pinned version already read is not read again).
    std::map<std::string, model::ImageVersionId> resolved;
    for (const auto& [key, id] : followed) {
        tasks.push_back(
            [this, &key = key, &id = id, &out, &versions, &resolved]() -> asio::awaitable<void> {
                const std::string definition = id.image_definition_id();
                ++out.calls;
                auto list = co_await arm_.list_image_versions(definition);
                if (!list) {
                    if (IsAccessDenied(list.error()))
                        out.state.denied_images[key] = Describe(list.error());
                    else if (!IsNotFound(list.error()))
                        out.failed_images[key] = Describe(list.error());
                    co_return;
                }
                // Latest per region (targetRegions[].excludeFromLatest): one version each.
                for (const auto& latest : model::LatestVersionsInAnyRegion(*list)) {
                    model::ImageVersionId version = id;
                    version.version = latest;
                    if (!versions.count(version.key())) resolved.emplace(version.key(), version);
                }
                out.state.image_version_lists[key] = std::move(*list);
            });
    }
    std::erase_if(images_, [&](const auto& i) { return definitions.count(i.first) == 0; });
    for (const auto& [key, def] : definitions) {
        tasks.push_back([this, &def = def, now, &out]() -> asio::awaitable<void> {
            co_await observe_image(def, now, out);
        });
    }
    co_await RunBounded(std::move(tasks), options_.concurrency);
    std::vector<std::function<asio::awaitable<void>()>> latest;
    // VM size lists, once per (subscription, location) of the accounts observed.
    std::map<std::string, std::pair<std::string, std::string>> sku_keys;
    for (const auto& account : desired.accounts) {
        auto it = out.state.accounts.find(account.name);
        if (it == out.state.accounts.end() || it->second.location.empty()) continue;
        sku_keys.emplace(SkuKey(account.subscription_id, it->second.location),
                         std::pair(account.subscription_id, it->second.location));
    }
    std::erase_if(vm_skus_, [&](const auto& e) { return !sku_keys.count(e.first); });
    for (const auto& [key, where] : sku_keys) {
        auto cached = vm_skus_.find(key);
        if (cached != vm_skus_.end()) {
            const auto age = now - cached->second.fetched;
            if (age < (cached->second.value ? options_.sku_refresh : options_.account_refresh))
                continue;
        }
        latest.push_back([this, &key = key, &where = where, now, &out]() -> asio::awaitable<void> {
            ++out.calls;
            auto got = co_await arm_.list_supported_vm_skus(where.first, where.second);
            auto& entry = vm_skus_[key];
            if (got && !got->empty()) {
                auto table = std::make_shared<model::VmSkuTable>();
                for (auto& sku : *got) {
                    std::string name = sku.name;
                    for (auto& c : name)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    table->emplace(std::move(name), std::move(sku));
                }
                entry = {std::move(table), now};
            } else if (!entry.value) {
                // An empty list is no fact either: checks that need it are skipped.
                entry = {nullptr, now};
            } else {
                entry.fetched = now - options_.sku_refresh + options_.account_refresh;
            }
        });
    }
    for (const auto& [key, id] : resolved) {
        latest.push_back([this, &id = id, &out]() -> asio::awaitable<void> {
            co_await observe_version(id, out);
        });
    }
    // Pre-flight facts that change rarely: read at most every prerequisite_refresh (after a
    // failure every account_refresh), never per cycle.
    auto due = [&](auto& cache, const std::string& key, bool known) {
        auto it = cache.find(key);
        if (it == cache.end()) return true;
        return now - it->second.fetched >=
               (known ? options_.prerequisite_refresh : options_.account_refresh);
    };
    std::map<std::string, std::string> images_of;  ///< AccountKey -> endpoint
    for (const auto& account : desired.accounts) {
        auto it = out.state.accounts.find(account.name);
        if (it == out.state.accounts.end() || it->second.endpoint.empty()) continue;
        // ARM lists no supported images (azure::ArmPoolClient::list_node_agent_skus): the
        // node agent check waits for a fact it cannot get.
        if (azure::IsArmPoolEndpoint(it->second.endpoint)) continue;
        images_of.emplace(AccountKey(account), it->second.endpoint);
    }
    std::erase_if(node_agent_skus_, [&](const auto& e) { return !images_of.count(e.first); });
    for (const auto& [key, endpoint] : images_of) {
        auto it = node_agent_skus_.find(key);
        if (!due(node_agent_skus_, key, it != node_agent_skus_.end() && it->second.value)) continue;
        latest.push_back([this, &key = key, &endpoint = endpoint, now,
                          &out]() -> asio::awaitable<void> {
            ++out.calls;
            auto got = co_await batch_.list_node_agent_skus(endpoint);
            auto& entry = node_agent_skus_[key];
            if (got && !got->empty())
                entry = {std::make_shared<const model::NodeAgentSkuTable>(std::move(*got)), now};
            else if (!entry.value)
                entry = {nullptr, now};  // no fact: the check waits for the next read
            else
                entry.fetched = now - options_.prerequisite_refresh + options_.account_refresh;
        });
    }
    // An image in another subscription than its account's: Microsoft.Batch must be registered
    // in the image's subscription and both subscriptions must share a tenant (contract §5.3,
    // §12 [D-SIG]).
    std::set<std::string> tenant_subs, registration_subs;
    for (const auto& pool : desired.pools) {
        const model::AccountSpec* account = desired.find_account(pool.account);
        if (!account || model::IEquals(account->subscription_id, pool.image.subscription_id))
            continue;
        tenant_subs.insert(model::Lower(account->subscription_id));
        tenant_subs.insert(model::Lower(pool.image.subscription_id));
        registration_subs.insert(model::Lower(pool.image.subscription_id));
    }
    std::erase_if(tenants_, [&](const auto& e) { return !tenant_subs.count(e.first); });
    std::erase_if(registrations_, [&](const auto& e) { return !registration_subs.count(e.first); });
    auto read_fact = [&](std::map<std::string, Cached<std::string>>& cache, const std::string& sub,
                         bool registration) {
        auto it = cache.find(sub);
        if (!due(cache, sub, it != cache.end() && !it->second.value.empty())) return;
        latest.push_back([this, &cache, sub, registration, now, &out]() -> asio::awaitable<void> {
            ++out.calls;
            // One co_await per statement: GCC mis-handles the result of co_await in a
            // conditional expression (the tenant's string came back freed).
            azure::Result<std::string> got = std::string();
            if (registration)
                got = co_await arm_.get_provider_registration(sub, kBatchNamespace);
            else
                got = co_await arm_.get_subscription_tenant(sub);
            auto& entry = cache[sub];
            if (got && !got->empty())
                entry = {std::move(*got), now};
            else if (entry.value.empty())
                entry = {std::string(), now};
            else
                entry.fetched = now - options_.prerequisite_refresh + options_.account_refresh;
        });
    };
    for (const auto& sub : tenant_subs) read_fact(tenants_, sub, false);
    for (const auto& sub : registration_subs) read_fact(registrations_, sub, true);
    co_await RunBounded(std::move(latest), options_.concurrency);
    for (const auto& account : desired.accounts) {
        auto it = out.state.accounts.find(account.name);
        if (it == out.state.accounts.end()) continue;
        auto sku = vm_skus_.find(SkuKey(account.subscription_id, it->second.location));
        if (sku != vm_skus_.end()) it->second.vm_skus = sku->second.value;
        auto images = node_agent_skus_.find(AccountKey(account));
        if (images != node_agent_skus_.end()) it->second.node_agent_skus = images->second.value;
    }
    for (const auto& [sub, entry] : tenants_)
        if (!entry.value.empty()) out.state.subscriptions[sub].tenant_id = entry.value;
    for (const auto& [sub, entry] : registrations_)
        if (!entry.value.empty())
            out.state.subscriptions[sub].batch_registration_state = entry.value;
    co_return out;
}

asio::awaitable<void> Observer::observe_account(const model::AccountSpec& spec,
                                                std::chrono::steady_clock::time_point now,
                                                Observation& out) {
    auto& health = out.accounts[spec.name];
    std::optional<azure::AccountInfo> info;
    const auto key = AccountKey(spec);
    auto cached = accounts_.find(key);
    const auto refresh =
        quota_held_.count(spec.name) ? options_.quota_held_refresh : options_.account_refresh;
    if (cached != accounts_.end() && now - cached->second.fetched < refresh) {
        info = cached->second.value;
    } else {
        ++out.calls;
        auto got = co_await arm_.get_batch_account(spec);
        if (got) {
            info = *got;
            accounts_[key] = {*got, now};
        } else if (cached != accounts_.end()) {
            // An account's location and endpoint do not change; a stale cache entry beats
            // skipping the account, and the pool list below still has to succeed.
            info = cached->second.value;
        } else if (spec.endpoint && spec.location) {
            info =
                azure::AccountInfo{*spec.location, *spec.endpoint, "", std::nullopt, std::nullopt};
        } else {
            health = {false, "batch account: " + Describe(got.error())};
            co_return;
        }
    }
    model::ObservedAccount account;
    account.location = spec.location.value_or(info->location);
    account.endpoint = spec.endpoint.value_or(info->endpoint);
    // poolApi arm: the account's pools are reached through ARM (azure::PoolApiRouter).
    if (spec.pool_api == model::AccountSpec::PoolApi::Arm)
        account.endpoint = azure::ArmPoolEndpoint(spec);
    account.dedicated_core_quota = info->dedicated_core_quota;
    account.low_priority_core_quota = info->low_priority_core_quota;
    account.pool_quota = info->pool_quota;
    account.family_core_quota = info->family_core_quota;
    account.family_quota_enforced = info->family_quota_enforced;
    ++out.calls;
    auto pools = co_await batch_.list_pools(account.endpoint);
    if (!pools) {
        health = {false, "pool list: " + Describe(pools.error())};
        co_return;
    }
    account.pools = std::move(*pools);
    out.state.accounts[spec.name] = std::move(account);
    health = {true, ""};
}

asio::awaitable<void> Observer::observe_version(const model::ImageVersionId& id, Observation& out) {
    auto text = id.str();
    ++out.calls;
    auto version = co_await arm_.get_image_version(text);
    if (version) {
        out.state.image_versions[id.key()] = std::move(*version);
    } else if (IsAccessDenied(version.error())) {
        out.state.denied_images[id.key()] = Describe(version.error());
    } else if (!IsNotFound(version.error())) {
        out.failed_versions[id.key()] = Describe(version.error());
    }
}

asio::awaitable<void> Observer::observe_image(const std::string& definition_id,
                                              std::chrono::steady_clock::time_point now,
                                              Observation& out) {
    auto key = model::ResourceKey(definition_id);
    auto cached = images_.find(key);
    if (cached != images_.end() && now - cached->second.fetched < options_.image_refresh) {
        out.state.images[key] = cached->second.value;
        co_return;
    }
    ++out.calls;
    auto image = co_await arm_.get_image(definition_id);
    cached = images_.find(key);
    if (image) {
        images_[key] = {*image, now};
        out.state.images[key] = std::move(*image);
    } else if (IsNotFound(image.error())) {
        images_.erase(key);
    } else if (cached != images_.end()) {
        out.state.images[key] = cached->second.value;  // osType/osState never change
    } else if (IsAccessDenied(image.error())) {
        out.state.denied_images[key] = Describe(image.error());
    } else {
        out.failed_images[key] = Describe(image.error());
    }
}

}  // namespace pw::observe

namespace pw::observe {

asio::awaitable<WatchPoll> Observer::poll(const Watch& watch, int max_reads) {
    // One entry per read: a version GET or an account's pool list.
    std::vector<std::pair<const std::string*, const Watch::Account*>> reads;
    for (const auto& [id, state] : watch.versions) reads.emplace_back(&id, nullptr);
    for (const auto& [name, account] : watch.accounts) reads.emplace_back(&name, &account);
    WatchPoll out;
    if (reads.empty()) co_return out;
    const std::size_t n = std::min(reads.size(), static_cast<std::size_t>(std::max(max_reads, 1)));
    const std::size_t start = poll_next_ % reads.size();
    poll_next_ = start + n;
    std::vector<std::function<asio::awaitable<void>()>> tasks;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string* key = reads[(start + i) % reads.size()].first;
        const Watch::Account* account = reads[(start + i) % reads.size()].second;
        tasks.push_back([this, key, account, &watch, &out]() -> asio::awaitable<void> {
            ++out.calls;
            if (!account) {
                auto got = co_await arm_.get_image_version(*key);
                if (!got && !IsNotFound(got.error())) co_return;
                auto now = VersionState(got ? &*got : nullptr);
                if (now != watch.versions.at(*key)) {
                    out.changed = true;
                    out.what = "image version " + *key + ": " + now;
                }
                co_return;
            }
            auto pools = co_await batch_.list_pools(account->endpoint);
            if (!pools) co_return;
            std::map<std::string, const model::ObservedPool*> by_key;
            for (const auto& p : *pools) by_key.emplace(model::ResourceKey(p.id), &p);
            for (const auto& [pool, before] : account->pools) {
                auto it = by_key.find(pool);
                auto now = PoolState(it == by_key.end() ? nullptr : it->second);
                if (now != before) {
                    out.changed = true;
                    out.what = "pool " + *key + "/" + pool + ": " + now;
                }
            }
        });
    }
    co_await RunBounded(std::move(tasks), options_.concurrency);
    co_return out;
}

}  // namespace pw::observe
