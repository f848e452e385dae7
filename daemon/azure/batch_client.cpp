#include "azure/batch_client.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "codec/decode.hpp"
#include "codec/encode.hpp"
#include "config/secret_file.hpp"
#include "http/http_date.hpp"
#include "http/url.hpp"
#include "model/resource_id.hpp"

namespace pw::azure {

namespace net = boost::asio;
using boost::beast::http::verb;

std::string NormalizeBatchEndpoint(std::string_view endpoint, bool plain_http_loopback) {
    std::string out(endpoint);
    while (!out.empty() && out.back() == '/') out.pop_back();
    if (out.find("://") != std::string::npos) return out;
    std::string host = out.substr(0, out.find_first_of("/"));
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.front() != '[')
        host.resize(colon);
    if (plain_http_loopback && http::IsLoopbackHost(host)) return "http://" + out;
    return "https://" + out;
}

BatchClient::BatchClient(Transport& transport, BatchClientOptions options)
    : transport_(transport), options_(std::move(options)) {}

std::string BatchClient::url(const std::string& endpoint, const std::string& path,
                             const std::string& query, const std::string* api_version) const {
    std::string out =
        NormalizeBatchEndpoint(endpoint, options_.plain_http_loopback) + path +
        "?api-version=" + http::UrlEncode(api_version ? *api_version : options_.api_version);
    if (!query.empty()) out += "&" + query;
    return out;
}

CallOptions BatchClient::options(std::string operation, const std::string& endpoint,
                                 bool idempotent) const {
    CallOptions call;
    call.service = "batch";
    call.operation = std::move(operation);
    call.format = ErrorFormat::Batch;
    call.token_resource = options_.resource;
    // One bucket per account: each Batch account has an endpoint (and host) of its own.
    call.rate_keys = {"batch:" + NormalizeBatchEndpoint(endpoint, options_.plain_http_loopback)};
    call.idempotent = idempotent;
    call.deadline = options_.deadline;
    call.attempt_timeout = options_.attempt_timeout;
    return call;
}

namespace {

http::ClientRequest MakeBatchRequest(verb method, std::string url) {
    http::ClientRequest request;
    request.method = method;
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"},
                       {"client-request-id", NewClientRequestId()},
                       {"return-client-request-id", "true"},
                       {"ocp-date", http::FormatHttpDate(std::chrono::system_clock::now())}};
    return request;
}

void SetJsonBody(http::ClientRequest& request, std::string body) {
    request.headers.emplace_back("Content-Type", "application/json; odata=minimalmetadata");
    request.body = std::move(body);
}

std::string PoolPath(const std::string& pool_id) { return "/pools/" + http::UrlEncode(pool_id); }

}  // namespace

net::awaitable<Result<std::vector<model::ObservedPool>>> BatchClient::list_pools(
    const std::string& endpoint) {
    std::vector<model::ObservedPool> pools;
    std::string next = url(endpoint, "/pools",
                           "$select=" + http::UrlEncode(codec::kPoolSelect) +
                               "&maxresults=" + std::to_string(options_.page_size));
    const std::string origin = http::OriginOf(next);
    std::set<std::string> seen;
    for (int page = 0; page < options_.max_pages; ++page) {
        if (!seen.insert(next).second)
            co_return pw::Err{DecodeError("odata.nextLink repeats a page: " + next, 200)};
        auto result = co_await transport_.call(MakeBatchRequest(verb::get, next),
                                               options("list_pools", endpoint, true));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto link = codec::AppendPoolList(result->response.body, pools);
        if (!link) co_return pw::Err{DecodeError("GET /pools: " + link.error(), 200)};
        if (link->empty()) co_return pools;
        next = std::move(*link);
        // The bearer token goes only to the account's own origin.
        if (http::OriginOf(next) != origin)
            co_return pw::Err{DecodeError(
                "odata.nextLink points outside the account endpoint: " + http::OriginOf(next),
                200)};
    }
    co_return pw::Err{DecodeError("GET /pools: more than max_pages pages", 200)};
}

net::awaitable<Result<model::ObservedPool>> BatchClient::get_pool(const std::string& endpoint,
                                                                  const std::string& pool_id) {
    auto target = url(endpoint, PoolPath(pool_id),
                      "$select=" + http::UrlEncode(codec::PoolPropertiesSelect()));
    auto result = co_await transport_.call(MakeBatchRequest(verb::get, target),
                                           options("get_pool", endpoint, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto decoded = codec::DecodePool(result->response.body);
    if (!decoded)
        co_return pw::Err{DecodeError("GET pool " + pool_id + ": " + decoded.error(), 200)};
    auto pool_props = codec::DecodePoolProperties(result->response.body);
    auto task_props = codec::DecodeStartTaskProperties(result->response.body);
    if (pool_props && task_props)
        decoded->properties =
            model::ObservedProperties{std::move(*pool_props), std::move(*task_props)};
    co_return std::move(decoded).value();
}

net::awaitable<Result<Unit>> BatchClient::add_pool(const std::string& endpoint,
                                                   const PoolAddRequest& request) {
    auto target = url(endpoint, "/pools");
    // One client-request-id for every attempt: the add is idempotent by design (see below).
    auto http_request = MakeBatchRequest(verb::post, target);
    // Secrets named by ...File keys are read here, only for this write.
    auto body =
        codec::EncodePoolAdd(request.spec, request.resize_timeout,
                             [](const model::PropValue& f) { return config::ReadSecretFile(f); });
    if (!body)
        co_return pw::Err{
            MakeError(ErrorKind::Client, "pool " + request.spec.id + ": " + body.error())};
    SetJsonBody(http_request, std::move(body).value());
    auto result =
        co_await transport_.call(std::move(http_request), options("add_pool", endpoint, true));
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // A retried add whose first attempt did reach Batch answers PoolExists: the pool is ours
    // if it carries poolwarden's marker.
    if (error.http_status == 409 && error.code == "PoolExists") {
        if (co_await CreatedEarlier(*this, endpoint, request.spec.id, error)) co_return Unit{};
    }
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<Unit>> BatchClient::resize_pool(const std::string& endpoint,
                                                      const std::string& pool_id,
                                                      const PoolResizeRequest& request,
                                                      const std::string& if_match) {
    auto target = url(endpoint, PoolPath(pool_id) + "/resize");
    auto http_request = MakeBatchRequest(verb::post, target);
    if (!if_match.empty()) http_request.headers.emplace_back("If-Match", if_match);
    SetJsonBody(http_request, codec::EncodePoolResize(
                                  request.target_dedicated_nodes, request.target_low_priority_nodes,
                                  request.resize_timeout, request.node_deallocation_option));
    auto result = co_await transport_.call(std::move(http_request),
                                           options("resize_pool", endpoint, !if_match.empty()));
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // A retried resize whose first attempt was applied fails If-Match: it succeeded if the
    // pool now has the requested targets.
    if (error.http_status == 412 && !if_match.empty() &&
        co_await ResizeApplied(*this, endpoint, pool_id, request))
        co_return Unit{};
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<Unit>> BatchClient::stop_resize(const std::string& endpoint,
                                                      const std::string& pool_id) {
    auto target = url(endpoint, PoolPath(pool_id) + "/stopresize");
    auto result = co_await transport_.call(MakeBatchRequest(verb::post, target),
                                           options("stop_resize", endpoint, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> BatchClient::patch_pool(const std::string& endpoint,
                                                     const std::string& pool_id,
                                                     const PoolPatchRequest& request,
                                                     const std::string& if_match) {
    auto target =
        url(endpoint, PoolPath(pool_id), "", request.swap ? &options_.update_api_version : nullptr);
    auto http_request = MakeBatchRequest(verb::patch, target);
    if (!if_match.empty()) http_request.headers.emplace_back("If-Match", if_match);
    const codec::SecretReader secrets = [](const model::PropValue& f) {
        return config::ReadSecretFile(f);
    };
    auto body = request.swap ? codec::EncodePoolSwap(*request.swap, request.metadata, secrets)
                             : codec::EncodePoolPatch(request.start_task, request.metadata, secrets,
                                                      request.properties);
    if (!body)
        co_return pw::Err{MakeError(ErrorKind::Client, "pool " + pool_id + ": " + body.error())};
    SetJsonBody(http_request, std::move(body).value());
    auto result = co_await transport_.call(std::move(http_request),
                                           options("patch_pool", endpoint, !if_match.empty()));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<AutoScaleRun>> BatchClient::evaluate_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale) {
    auto target = url(endpoint, PoolPath(pool_id) + "/evaluateautoscale");
    auto http_request = MakeBatchRequest(verb::post, target);
    SetJsonBody(http_request, codec::EncodeEvaluateAutoScale(autoscale));
    // Changes nothing (Pool_EvaluateAutoScale): safe to retry.
    auto result = co_await transport_.call(std::move(http_request),
                                           options("evaluate_auto_scale", endpoint, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto j = nlohmann::json::parse(result->response.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        co_return pw::Err{DecodeError("POST evaluateautoscale: expected an AutoScaleRun object",
                                      result->response.status)};
    AutoScaleRun run;
    if (auto r = j.find("results"); r != j.end() && r->is_string()) run.results = *r;
    if (auto e = j.find("error"); e != j.end() && e->is_object()) {
        if (auto c = e->find("code"); c != e->end() && c->is_string()) run.error_code = *c;
        if (auto m = e->find("message"); m != e->end() && m->is_string()) run.error_message = *m;
        if (run.error_code.empty()) run.error_code = "AutoScaleFormulaError";
    }
    co_return run;
}

net::awaitable<Result<Unit>> BatchClient::enable_auto_scale(const std::string& endpoint,
                                                            const std::string& pool_id,
                                                            const model::AutoScale& autoscale,
                                                            const std::string& if_match) {
    auto target = url(endpoint, PoolPath(pool_id) + "/enableautoscale");
    auto http_request = MakeBatchRequest(verb::post, target);
    if (!if_match.empty()) http_request.headers.emplace_back("If-Match", if_match);
    SetJsonBody(http_request, codec::EncodeEnableAutoScale(autoscale));
    auto result = co_await transport_.call(
        std::move(http_request), options("enable_auto_scale", endpoint, !if_match.empty()));
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // A retried enable whose first attempt was applied fails If-Match: it succeeded if the
    // pool now autoscales with this formula.
    if (error.http_status == 412 && !if_match.empty()) {
        auto pool = co_await get_pool(endpoint, pool_id);
        if (pool && pool->enable_auto_scale &&
            pool->auto_scale_formula == model::CappedFormula(autoscale))
            co_return Unit{};
    }
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<Unit>> BatchClient::disable_auto_scale(const std::string& endpoint,
                                                             const std::string& pool_id) {
    auto target = url(endpoint, PoolPath(pool_id) + "/disableautoscale");
    // Disabling twice leaves the pool as once: safe to retry.
    auto result = co_await transport_.call(MakeBatchRequest(verb::post, target),
                                           options("disable_auto_scale", endpoint, true));
    if (!result) co_return pw::Err{std::move(result).error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> BatchClient::delete_pool(const std::string& endpoint,
                                                      const std::string& pool_id,
                                                      const std::string& if_match) {
    auto target = url(endpoint, PoolPath(pool_id));
    auto request = MakeBatchRequest(verb::delete_, target);
    if (!if_match.empty()) request.headers.emplace_back("If-Match", if_match);
    auto result =
        co_await transport_.call(std::move(request), options("delete_pool", endpoint, true));
    if (result) co_return Unit{};
    Error error = std::move(result).error();
    // A retried delete whose first attempt was applied: the pool is deleting (its eTag moved,
    // 412) or gone (404). Operations on a deleting pool answer 409 PoolBeingDeleted
    // (azure-contract.md 1.7); guess: a second DELETE does too (the simulator answers 202).
    if (error.http_status == 404 || error.code == "PoolBeingDeleted") co_return Unit{};
    if (error.http_status == 412 && !if_match.empty()) {
        auto pool = co_await get_pool(endpoint, pool_id);
        if (!pool && pool.error().http_status == 404) co_return Unit{};
        if (pool && pool->state == "deleting") co_return Unit{};
    }
    co_return pw::Err{std::move(error)};
}

net::awaitable<Result<std::vector<SupportedImage>>> BatchClient::list_supported_images(
    const std::string& endpoint) {
    std::vector<SupportedImage> images;
    std::string next = url(endpoint, "/supportedimages", "maxresults=1000");
    const std::string origin = http::OriginOf(next);
    for (int page = 0; page < options_.max_pages; ++page) {
        auto result = co_await transport_.call(MakeBatchRequest(verb::get, next),
                                               options("list_supported_images", endpoint, true));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto j = nlohmann::json::parse(result->response.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("value") || !j["value"].is_array())
            co_return pw::Err{DecodeError("GET /supportedimages: expected {value: [...]}", 200)};
        for (const auto& item : j["value"]) {
            if (!item.is_object()) continue;
            SupportedImage image;
            image.node_agent_sku_id = item.value("nodeAgentSKUId", "");
            image.os_type = item.value("osType", "");
            image.verification_type = item.value("verificationType", "");
            image.batch_support_end_of_life = item.value("batchSupportEndOfLife", "");
            if (auto ref = item.find("imageReference"); ref != item.end() && ref->is_object()) {
                image.publisher = ref->value("publisher", "");
                image.offer = ref->value("offer", "");
                image.sku = ref->value("sku", "");
            }
            if (auto caps = item.find("capabilities"); caps != item.end() && caps->is_array())
                for (const auto& cap : *caps)
                    if (cap.is_string()) image.capabilities.push_back(cap.get<std::string>());
            images.push_back(std::move(image));
        }
        auto link = j.find("odata.nextLink");
        if (link == j.end() || !link->is_string() || link->get<std::string>().empty())
            co_return images;
        next = link->get<std::string>();
        if (http::OriginOf(next) != origin)
            co_return pw::Err{DecodeError(
                "odata.nextLink points outside the account endpoint: " + http::OriginOf(next),
                200)};
    }
    co_return pw::Err{DecodeError("GET /supportedimages: more than max_pages pages", 200)};
}

net::awaitable<Result<model::NodeAgentSkuTable>> BatchClient::list_node_agent_skus(
    const std::string& endpoint) {
    // ImageInformation.nodeAgentSKUId and osType (linux | windows) [BS, contract §1.8].
    auto images = co_await list_supported_images(endpoint);
    if (!images) co_return pw::Err{std::move(images).error()};
    model::NodeAgentSkuTable out;
    for (const auto& image : *images)
        if (!image.node_agent_sku_id.empty())
            out.emplace(model::Lower(image.node_agent_sku_id), image.os_type);
    co_return out;
}

net::awaitable<Result<model::NodeCounts>> BatchClient::list_node_counts(
    const std::string& endpoint, const std::string& pool_id) {
    // BatchNodeState [BS21 `#/definitions/BatchNodeState`]; only id and state are asked for.
    model::NodeCounts out;
    std::string next =
        url(endpoint, PoolPath(pool_id) + "/nodes", "maxresults=1000&$select=id,state");
    const std::string origin = http::OriginOf(next);
    for (int page = 0; page < options_.max_pages; ++page) {
        auto result = co_await transport_.call(MakeBatchRequest(verb::get, next),
                                               options("list_nodes", endpoint, true));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto j = nlohmann::json::parse(result->response.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("value") || !j["value"].is_array())
            co_return pw::Err{DecodeError("GET /pools/{id}/nodes: expected {value: [...]}", 200)};
        for (const auto& node : j["value"]) {
            if (!node.is_object()) continue;
            const std::string state = node.value("state", "");
            ++out.total;
            if (state == "idle" || state == "running")
                ++out.ready;
            else if (state == "starttaskfailed")
                ++out.start_task_failed;
            else if (state == "unusable")
                ++out.unusable;
            else
                ++out.starting;
        }
        auto link = j.find("odata.nextLink");
        if (link == j.end() || !link->is_string() || link->get<std::string>().empty())
            co_return out;
        next = link->get<std::string>();
        if (http::OriginOf(next) != origin)
            co_return pw::Err{DecodeError(
                "odata.nextLink points outside the account endpoint: " + http::OriginOf(next),
                200)};
    }
    co_return pw::Err{DecodeError("GET /pools/{id}/nodes: more than max_pages pages", 200)};
}

net::awaitable<bool> CreatedEarlier(BatchApi& api, const std::string& endpoint,
                                    const std::string& pool_id, Error& error) {
    auto existing = co_await api.get_pool(endpoint, pool_id);
    if (existing) {
        auto it = existing->metadata.find(model::kManagedByKey);
        if (it != existing->metadata.end() && it->second == model::kManagedByValue) co_return true;
        error.message += " (the existing pool is not managed by poolwarden)";
    }
    error.kind = ErrorKind::Client;
    co_return false;
}

net::awaitable<bool> ResizeApplied(BatchApi& api, const std::string& endpoint,
                                   const std::string& pool_id, const PoolResizeRequest& request) {
    auto pool = co_await api.get_pool(endpoint, pool_id);
    co_return pool && pool->target_dedicated_nodes == request.target_dedicated_nodes &&
        pool->target_low_priority_nodes == request.target_low_priority_nodes;
}

}  // namespace pw::azure
