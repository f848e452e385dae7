// Pools through Azure Resource Manager: BatchManagement.json 2025-06-01 (shared/azure-specs/
// batch-management), azure-contract.md 10 (operations, headers, LRO), 2.5 (ARM async pattern),
// 2.7 (ARM errors and throttling).
#include "azure/arm_pool_client.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "codec/arm_pool.hpp"
#include "config/secret_file.hpp"
#include "http/http_date.hpp"
#include "http/url.hpp"
#include "model/resource_id.hpp"

namespace pw::azure {

namespace net = boost::asio;
using boost::beast::http::verb;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kArmScheme = "arm:";

http::ClientRequest MakePoolRequest(verb method, std::string url) {
    http::ClientRequest request;
    request.method = method;
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"},
                       {"x-ms-client-request-id", NewGuid()},
                       {"x-ms-return-client-request-id", "true"}};
    return request;
}

void SetPoolJson(http::ClientRequest& request, std::string body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
}

std::string AccountId(const std::string& endpoint) {
    return endpoint.substr(std::min(endpoint.size(), kArmScheme.size()));
}

// `/subscriptions/{s}/...`: `{s}` lower-cased, as ArmClient keys its buckets.
std::string PoolSubscriptionOf(const std::string& account_id) {
    const std::string lower = model::Lower(account_id);
    constexpr std::string_view kKey = "/subscriptions/";
    if (!lower.starts_with(kKey)) return "tenant";
    auto end = lower.find('/', kKey.size());
    return lower.substr(kKey.size(), end == std::string::npos ? end : end - kKey.size());
}

// The members DecodeArmPool reads; $select takes top-level `properties/...` only [BM
// Pool_ListByBatchAccount `$select`]. guess: the envelope (id, name, etag, identity) is
// returned whatever $select names.
constexpr const char* kArmPoolSelect =
    "properties/provisioningState,properties/allocationState,properties/vmSize,"
    "properties/deploymentConfiguration,properties/scaleSettings,"
    "properties/currentDedicatedNodes,properties/currentLowPriorityNodes,"
    "properties/resizeOperationStatus,properties/taskSlotsPerNode,properties/startTask,"
    "properties/metadata";

std::string PoolPathOf(const std::string& pool_id) { return "/" + http::UrlEncode(pool_id); }

}  // namespace

ArmPoolClient::ArmPoolClient(Transport& transport, ArmPoolClientOptions options)
    : transport_(transport), options_(std::move(options)) {
    while (!options_.resource_manager.empty() && options_.resource_manager.back() == '/')
        options_.resource_manager.pop_back();
}

std::string ArmPoolClient::url(const std::string& endpoint, const std::string& path,
                               const std::string& query) const {
    std::string out = options_.resource_manager + AccountId(endpoint) + "/pools" + path +
                      "?api-version=" + options_.api_version;
    if (!query.empty()) out += "&" + query;
    return out;
}

CallOptions ArmPoolClient::options(std::string operation, const std::string& endpoint, bool write,
                                   bool idempotent) const {
    CallOptions call;
    call.service = "arm";
    call.operation = std::move(operation);
    call.format = ErrorFormat::Arm;
    call.token_resource = options_.resource;
    // The gallery writes' buckets: ARM throttles per subscription and principal [D-THR],
    // so the pools of every account of one subscription share them.
    call.rate_keys = {(write ? "arm-writes:" : "arm-reads:") +
                      PoolSubscriptionOf(AccountId(endpoint))};
    call.idempotent = idempotent;
    call.deadline = options_.deadline;
    call.attempt_timeout = options_.attempt_timeout;
    return call;
}

net::awaitable<Result<std::vector<model::ObservedPool>>> ArmPoolClient::list_pools(
    const std::string& endpoint) {
    std::vector<model::ObservedPool> pools;
    std::string next = url(endpoint, "",
                           "maxresults=" + std::to_string(options_.page_size) +
                               "&$select=" + http::UrlEncode(kArmPoolSelect));
    const std::string origin = http::OriginOf(options_.resource_manager + "/");
    std::set<std::string> seen;
    for (int page = 0; page < options_.max_pages; ++page) {
        if (!seen.insert(next).second)
            co_return pw::Err{DecodeError("nextLink repeats a page: " + next, 200)};
        auto result = co_await transport_.call(MakePoolRequest(verb::get, next),
                                               options("list_pools", endpoint, false, true));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto decoded = codec::DecodeArmPoolList(result->response.body);
        if (!decoded) co_return pw::Err{DecodeError("ARM pool list: " + decoded.error(), 200)};
        for (auto& p : decoded->pools) pools.push_back(std::move(p));
        if (!decoded->next_link) co_return pools;
        next = std::move(*decoded->next_link);
        // The management token goes to the resource manager's origin only.
        if (http::OriginOf(next) != origin)
            co_return pw::Err{DecodeError(
                "nextLink points outside the resource manager: " + http::OriginOf(next), 200)};
    }
    co_return pw::Err{DecodeError("ARM pool list: more than max_pages pages", 200)};
}

net::awaitable<Result<model::ObservedPool>> ArmPoolClient::get_pool(const std::string& endpoint,
                                                                    const std::string& pool_id) {
    auto result =
        co_await transport_.call(MakePoolRequest(verb::get, url(endpoint, PoolPathOf(pool_id))),
                                 options("get_pool", endpoint, false, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    const std::string& body = result->response.body;
    auto decoded = codec::DecodeArmPool(body);
    if (!decoded)
        co_return pw::Err{DecodeError("GET pool " + pool_id + ": " + decoded.error(), 200)};
    // Pool_Get answers the ETag header; the body's etag is the same value [BMx/PoolGet.json].
    if (std::string etag = result->response.header("ETag"); !etag.empty()) decoded->e_tag = etag;
    auto pool_props = codec::DecodeArmPoolProperties(body);
    auto task_props = codec::DecodeArmStartTaskProperties(body);
    if (pool_props && task_props)
        decoded->properties =
            model::ObservedProperties{std::move(*pool_props), std::move(*task_props)};
    co_return std::move(decoded).value();
}

net::awaitable<Result<Unit>> ArmPoolClient::add_pool(const std::string& endpoint,
                                                     const PoolAddRequest& request) {
    auto body = codec::EncodeArmPoolCreate(
        request.spec, request.resize_timeout,
        [](const model::PropValue& f) { return config::ReadSecretFile(f); });
    if (!body)
        co_return pw::Err{
            MakeError(ErrorKind::Client, "pool " + request.spec.id + ": " + body.error())};
    auto http_request = MakePoolRequest(verb::put, url(endpoint, PoolPathOf(request.spec.id)));
    // If-None-Match: * = create only, never update [BM Pool_Create]: a retry cannot overwrite.
    http_request.headers.emplace_back("If-None-Match", "*");
    SetPoolJson(http_request, std::move(body).value());
    auto result = co_await transport_.call(std::move(http_request),
                                           options("add_pool", endpoint, true, true));
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // guess: an existing pool answers 412 (the spec documents If-None-Match, not the status);
    // 409 is taken the same way.
    if (error.http_status == 412 || error.http_status == 409) {
        if (co_await CreatedEarlier(*this, endpoint, request.spec.id, error)) co_return Unit{};
    }
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<Unit>> ArmPoolClient::write(const std::string& endpoint,
                                                  const std::string& pool_id, std::string operation,
                                                  std::string body, const std::string& if_match) {
    auto http_request = MakePoolRequest(verb::patch, url(endpoint, PoolPathOf(pool_id)));
    if (!if_match.empty()) http_request.headers.emplace_back("If-Match", if_match);
    SetPoolJson(http_request, std::move(body));
    auto result = co_await transport_.call(
        std::move(http_request), options(std::move(operation), endpoint, true, !if_match.empty()));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> ArmPoolClient::resize_pool(const std::string& endpoint,
                                                        const std::string& pool_id,
                                                        const PoolResizeRequest& request,
                                                        const std::string& if_match) {
    auto result =
        co_await write(endpoint, pool_id, "resize_pool",
                       codec::EncodeArmFixedScale(
                           request.target_dedicated_nodes, request.target_low_priority_nodes,
                           request.resize_timeout, request.node_deallocation_option),
                       if_match);
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // A retried PATCH whose first attempt was applied fails If-Match: done if the targets hold.
    if (error.http_status == 412 && !if_match.empty() &&
        co_await ResizeApplied(*this, endpoint, pool_id, request))
        co_return Unit{};
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<Unit>> ArmPoolClient::stop_resize(const std::string& endpoint,
                                                        const std::string& pool_id) {
    auto result = co_await transport_.call(
        MakePoolRequest(verb::post, url(endpoint, PoolPathOf(pool_id) + "/stopResize")),
        options("stop_resize", endpoint, true, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> ArmPoolClient::patch_pool(const std::string& endpoint,
                                                       const std::string& pool_id,
                                                       const PoolPatchRequest& request,
                                                       const std::string& if_match) {
    const codec::SecretReader secrets = [](const model::PropValue& f) {
        return config::ReadSecretFile(f);
    };
    auto body = request.swap ? codec::EncodeArmPoolSwap(*request.swap, request.metadata, secrets)
                             : codec::EncodeArmPoolPatch(request.start_task, request.metadata,
                                                         secrets, request.properties);
    if (!body)
        co_return pw::Err{MakeError(ErrorKind::Client, "pool " + pool_id + ": " + body.error())};
    co_return co_await write(endpoint, pool_id, "patch_pool", std::move(body).value(), if_match);
}

net::awaitable<Result<AutoScaleRun>> ArmPoolClient::evaluate_auto_scale(const std::string&,
                                                                        const std::string& pool_id,
                                                                        const model::AutoScale&) {
    spdlog::info(
        "pool {}: autoscale formula not evaluated before it is set: ARM's pool API "
        "(Microsoft.Batch 2025-06-01) has no evaluateautoscale; Batch checks it on the PATCH",
        pool_id);
    AutoScaleRun run;
    run.results = "not evaluated (no ARM form)";
    co_return run;
}

net::awaitable<Result<Unit>> ArmPoolClient::enable_auto_scale(const std::string& endpoint,
                                                              const std::string& pool_id,
                                                              const model::AutoScale& autoscale,
                                                              const std::string& if_match) {
    co_return co_await write(endpoint, pool_id, "enable_auto_scale",
                             codec::EncodeArmAutoScale(autoscale), if_match);
}

net::awaitable<Result<Unit>> ArmPoolClient::disable_auto_scale(const std::string& endpoint,
                                                               const std::string& pool_id) {
    auto result = co_await transport_.call(
        MakePoolRequest(verb::post, url(endpoint, PoolPathOf(pool_id) + "/disableAutoScale")),
        options("disable_auto_scale", endpoint, true, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> ArmPoolClient::delete_pool(const std::string& endpoint,
                                                        const std::string& pool_id,
                                                        const std::string& if_match) {
    auto request = MakePoolRequest(verb::delete_, url(endpoint, PoolPathOf(pool_id)));
    // guess: Pool_Delete declares no If-Match [BM]; sent anyway so that a pool changed since it
    // was read is not deleted where ARM honours it.
    if (!if_match.empty()) request.headers.emplace_back("If-Match", if_match);
    auto result =
        co_await transport_.call(std::move(request), options("delete_pool", endpoint, true, true));
    if (!result) {
        Error error = std::move(result).error();
        if (error.http_status == 404) co_return Unit{};  // already gone (a retried delete)
        co_return pw::Err{std::move(error)};
    }
    // 200 / 204: done; 202: poll Location (final-state-via: location) [BM Pool_Delete,
    // BMx/PoolDelete.json; contract 2.5].
    if (result->response.status != 202) co_return Unit{};
    const std::string location = result->response.header("Location");
    const std::string origin = http::OriginOf(options_.resource_manager + "/");
    if (location.empty() || http::OriginOf(location) != origin) co_return Unit{};
    auto retry_after = http::ParseRetryAfter(result->response.header("Retry-After"),
                                             std::chrono::system_clock::now());
    const auto deadline = SteadyClock::now() + options_.lro_deadline;
    auto& stop = transport_.client().stop_signal();
    for (;;) {
        const auto wait = std::min(retry_after.value_or(options_.lro_poll_interval),
                                   options_.lro_max_poll_interval);
        if (SteadyClock::now() + wait >= deadline) co_return Unit{};  // the list shows Deleting
        if (!co_await stop.sleep(wait))
            co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
        auto polled = co_await transport_.call(MakePoolRequest(verb::get, location),
                                               options("poll_operation", endpoint, false, true));
        if (!polled) co_return pw::Err{std::move(polled).error()};
        if (polled->response.status != 202) co_return Unit{};
        retry_after = http::ParseRetryAfter(polled->response.header("Retry-After"),
                                            std::chrono::system_clock::now());
    }
}

net::awaitable<Result<model::NodeCounts>> ArmPoolClient::list_node_counts(const std::string&,
                                                                          const std::string&) {
    co_return pw::Err{MakeError(ErrorKind::Client,
                                "no ARM form: Microsoft.Batch 2025-06-01 lists no compute nodes", 0,
                                "NoArmForm")};
}

net::awaitable<Result<model::NodeAgentSkuTable>> ArmPoolClient::list_node_agent_skus(
    const std::string&) {
    co_return pw::Err{MakeError(ErrorKind::Client,
                                "no ARM form: Microsoft.Batch 2025-06-01 lists no supported images",
                                0, "NoArmForm")};
}

// PoolApiRouter: one line per call.
net::awaitable<Result<std::vector<model::ObservedPool>>> PoolApiRouter::list_pools(
    const std::string& endpoint) {
    co_return co_await pick(endpoint).list_pools(endpoint);
}
net::awaitable<Result<model::ObservedPool>> PoolApiRouter::get_pool(const std::string& endpoint,
                                                                    const std::string& pool_id) {
    co_return co_await pick(endpoint).get_pool(endpoint, pool_id);
}
net::awaitable<Result<Unit>> PoolApiRouter::add_pool(const std::string& endpoint,
                                                     const PoolAddRequest& request) {
    co_return co_await pick(endpoint).add_pool(endpoint, request);
}
net::awaitable<Result<Unit>> PoolApiRouter::resize_pool(const std::string& endpoint,
                                                        const std::string& pool_id,
                                                        const PoolResizeRequest& request,
                                                        const std::string& if_match) {
    co_return co_await pick(endpoint).resize_pool(endpoint, pool_id, request, if_match);
}
net::awaitable<Result<Unit>> PoolApiRouter::stop_resize(const std::string& endpoint,
                                                        const std::string& pool_id) {
    co_return co_await pick(endpoint).stop_resize(endpoint, pool_id);
}
net::awaitable<Result<Unit>> PoolApiRouter::patch_pool(const std::string& endpoint,
                                                       const std::string& pool_id,
                                                       const PoolPatchRequest& request,
                                                       const std::string& if_match) {
    co_return co_await pick(endpoint).patch_pool(endpoint, pool_id, request, if_match);
}
net::awaitable<Result<AutoScaleRun>> PoolApiRouter::evaluate_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale) {
    co_return co_await pick(endpoint).evaluate_auto_scale(endpoint, pool_id, autoscale);
}
net::awaitable<Result<Unit>> PoolApiRouter::enable_auto_scale(const std::string& endpoint,
                                                              const std::string& pool_id,
                                                              const model::AutoScale& autoscale,
                                                              const std::string& if_match) {
    co_return co_await pick(endpoint).enable_auto_scale(endpoint, pool_id, autoscale, if_match);
}
net::awaitable<Result<Unit>> PoolApiRouter::delete_pool(const std::string& endpoint,
                                                        const std::string& pool_id,
                                                        const std::string& if_match) {
    co_return co_await pick(endpoint).delete_pool(endpoint, pool_id, if_match);
}
net::awaitable<Result<Unit>> PoolApiRouter::disable_auto_scale(const std::string& endpoint,
                                                               const std::string& pool_id) {
    co_return co_await pick(endpoint).disable_auto_scale(endpoint, pool_id);
}
net::awaitable<Result<model::NodeAgentSkuTable>> PoolApiRouter::list_node_agent_skus(
    const std::string& endpoint) {
    co_return co_await pick(endpoint).list_node_agent_skus(endpoint);
}

net::awaitable<Result<model::NodeCounts>> PoolApiRouter::list_node_counts(
    const std::string& endpoint, const std::string& pool_id) {
    co_return co_await pick(endpoint).list_node_counts(endpoint, pool_id);
}

}  // namespace pw::azure
