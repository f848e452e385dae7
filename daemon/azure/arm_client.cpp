#include "azure/arm_client.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "azure/batch_client.hpp"
#include "codec/decode.hpp"
#include "codec/encode.hpp"
#include "http/http_date.hpp"
#include "http/url.hpp"

namespace pw::azure {

namespace net = boost::asio;
using boost::beast::http::verb;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string SubscriptionOf(const std::string& resource_id) {
    constexpr std::string_view kKey = "/subscriptions/";
    if (resource_id.size() <= kKey.size()) return {};
    std::string lower = model::ResourceKey(resource_id);
    if (!lower.starts_with(kKey)) return {};
    auto end = lower.find('/', kKey.size());
    return lower.substr(kKey.size(), end == std::string::npos ? end : end - kKey.size());
}

http::ClientRequest MakeArmRequest(verb method, std::string url) {
    http::ClientRequest request;
    request.method = method;
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"},
                       {"x-ms-client-request-id", NewClientRequestId()},
                       {"x-ms-return-client-request-id", "true"}};
    return request;
}

bool Terminal(std::string_view state) {
    return state == "Succeeded" || state == "Failed" || state == "Canceled" || state == "Cancelled";
}

}  // namespace

ArmClient::ArmClient(Transport& transport, ArmClientOptions options)
    : transport_(transport), options_(std::move(options)) {
    while (!options_.resource_manager.empty() && options_.resource_manager.back() == '/')
        options_.resource_manager.pop_back();
}

std::string ArmClient::url(const std::string& resource_id, const std::string& api_version,
                           const std::string& query) const {
    std::string id = resource_id;
    if (id.empty() || id.front() != '/') id = "/" + id;
    std::string out = options_.resource_manager + id + "?api-version=" + api_version;
    if (!query.empty()) out += "&" + query;
    return out;
}

CallOptions ArmClient::options(std::string operation, const std::string& resource_id,
                               bool write) const {
    CallOptions call;
    call.service = "arm";
    call.operation = std::move(operation);
    call.format = ErrorFormat::Arm;
    call.token_resource = options_.resource;
    // ARM throttles per subscription and principal, and tenant-level calls per tenant, with
    // token buckets ([D-THR]; limits: in the daemon file).
    const std::string sub = SubscriptionOf(resource_id);
    call.rate_keys = {(write ? "arm-writes:" : "arm-reads:") + (sub.empty() ? "tenant" : sub)};
    call.idempotent = true;
    call.deadline = options_.deadline;
    call.attempt_timeout = options_.attempt_timeout;
    return call;
}

net::awaitable<Result<AccountInfo>> ArmClient::get_batch_account(
    const model::AccountSpec& account) {
    const std::string id = "/subscriptions/" + http::UrlEncode(account.subscription_id) +
                           "/resourceGroups/" + http::UrlEncode(account.resource_group) +
                           "/providers/Microsoft.Batch/batchAccounts/" +
                           http::UrlEncode(account.account_name);
    auto target = url(id, options_.batch_api_version);
    auto result = co_await transport_.call(MakeArmRequest(verb::get, target),
                                           options("get_batch_account", id, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto decoded = codec::DecodeBatchAccount(result->response.body);
    if (!decoded)
        co_return pw::Err{
            DecodeError("Batch account " + account.name + ": " + decoded.error(), 200)};
    auto rm = http::ParseUrl(options_.resource_manager + "/");
    const bool plain = rm && !rm->tls() && http::IsLoopbackHost(rm->host);
    AccountInfo info;
    info.location = decoded->location;
    info.endpoint = NormalizeBatchEndpoint(decoded->account_endpoint, plain);
    info.pool_allocation_mode = decoded->pool_allocation_mode;
    info.dedicated_core_quota = decoded->dedicated_core_quota;
    info.low_priority_core_quota = decoded->low_priority_core_quota;
    info.pool_quota = decoded->pool_quota;
    info.family_core_quota = decoded->family_core_quota;
    info.family_quota_enforced = decoded->family_quota_enforced;
    co_return info;
}

net::awaitable<Result<std::vector<model::VmSku>>> ArmClient::list_supported_vm_skus(
    const std::string& subscription_id, const std::string& location) {
    // Location_ListSupportedVirtualMachineSkus is x-ms-pageable with nextLinkName "nextLink"
    // [BM `#/paths/~1subscriptions~1{subscriptionId}~1providers~1Microsoft.Batch~1locations~1
    // {locationName}~1virtualMachineSkus/get`].
    const std::string id = "/subscriptions/" + http::UrlEncode(subscription_id) +
                           "/providers/Microsoft.Batch/locations/" + http::UrlEncode(location) +
                           "/virtualMachineSkus";
    std::string target = url(id, options_.batch_api_version);
    const std::string origin = http::OriginOf(options_.resource_manager + "/");
    std::vector<model::VmSku> out;
    for (int page = 0;; ++page) {
        if (page >= 1000)
            co_return pw::Err{
                DecodeError("VM sizes of " + location + ": more than 1000 pages", 200)};
        auto result = co_await transport_.call(MakeArmRequest(verb::get, target),
                                               options("list_supported_vm_skus", id, false));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto decoded = codec::DecodeSupportedSkuPage(result->response.body);
        if (!decoded)
            co_return pw::Err{DecodeError("VM sizes of " + location + ": " + decoded.error(), 200)};
        for (auto& v : decoded->skus) out.push_back(std::move(v));
        if (!decoded->next_link) break;
        if (http::OriginOf(*decoded->next_link) != origin)
            co_return pw::Err{DecodeError(
                "VM sizes of " + location + ": nextLink leaves " + origin + "; not followed", 200)};
        target = *decoded->next_link;
    }
    co_return out;
}

namespace {

/// The string member `name` of a JSON object body; empty when the body is not an object or
/// lacks it.
std::string StringMember(const std::string& body, const char* name) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return {};
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

net::awaitable<Result<std::string>> ArmClient::get_subscription_tenant(
    const std::string& subscription_id) {
    // Subscriptions_Get: `{id, subscriptionId, tenantId, ...}` [contract §12, SUBx
    // `#/responses/200/body`].
    const std::string id = "/subscriptions/" + http::UrlEncode(subscription_id);
    auto result = co_await transport_.call(
        MakeArmRequest(verb::get, url(id, options_.subscriptions_api_version)),
        options("get_subscription", id, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto tenant = StringMember(result->response.body, "tenantId");
    if (tenant.empty())
        co_return pw::Err{DecodeError("subscription " + subscription_id + ": no tenantId", 200)};
    co_return tenant;
}

net::awaitable<Result<std::string>> ArmClient::get_provider_registration(
    const std::string& subscription_id, const std::string& provider_namespace) {
    // Providers_Get: `{id, namespace, registrationState, registrationPolicy, resourceTypes}`
    // [contract §12, RPx `#/responses/200/body/value/0`; the single-provider path: VERIFY there].
    const std::string id = "/subscriptions/" + http::UrlEncode(subscription_id) + "/providers/" +
                           http::UrlEncode(provider_namespace);
    auto result =
        co_await transport_.call(MakeArmRequest(verb::get, url(id, options_.providers_api_version)),
                                 options("get_provider", id, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto state = StringMember(result->response.body, "registrationState");
    if (state.empty())
        co_return pw::Err{DecodeError(
            "provider " + provider_namespace + " of " + subscription_id + ": no registrationState",
            200)};
    co_return state;
}

net::awaitable<Result<model::ObservedImage>> ArmClient::get_image(
    const std::string& image_definition_id) {
    auto target = url(image_definition_id, options_.gallery_api_version);
    auto result = co_await transport_.call(MakeArmRequest(verb::get, target),
                                           options("get_image", image_definition_id, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto decoded = codec::DecodeImage(result->response.body);
    if (!decoded)
        co_return pw::Err{
            DecodeError("image " + image_definition_id + ": " + decoded.error(), 200)};
    co_return std::move(decoded).value();
}

net::awaitable<Result<std::vector<model::ImageVersionListing>>> ArmClient::list_image_versions(
    const std::string& image_definition_id) {
    // GalleryImageVersions_ListByGalleryImage is x-ms-pageable with nextLinkName "nextLink"
    // (gallery.json 2023-07-03); the link is absolute and followed only on ARM's own origin.
    std::string id = image_definition_id;
    while (!id.empty() && id.back() == '/') id.pop_back();
    std::string target = url(id + "/versions", options_.gallery_api_version);
    const std::string origin = http::OriginOf(options_.resource_manager + "/");
    std::vector<model::ImageVersionListing> out;
    for (int page = 0;; ++page) {
        if (page >= 1000)
            co_return pw::Err{DecodeError("versions of " + id + ": more than 1000 pages", 200)};
        auto result = co_await transport_.call(MakeArmRequest(verb::get, target),
                                               options("list_image_versions", id, false));
        if (!result) co_return pw::Err{std::move(result).error()};
        auto decoded = codec::DecodeImageVersionListPage(result->response.body);
        if (!decoded)
            co_return pw::Err{DecodeError("versions of " + id + ": " + decoded.error(), 200)};
        for (auto& v : decoded->versions) out.push_back(std::move(v));
        if (!decoded->next_link) break;
        if (http::OriginOf(*decoded->next_link) != origin)
            co_return pw::Err{DecodeError(
                "versions of " + id + ": nextLink leaves " + origin + "; not followed", 200)};
        target = *decoded->next_link;
    }
    co_return out;
}

net::awaitable<Result<model::ObservedImageVersion>> ArmClient::get_image_version(
    const std::string& image_version_id) {
    auto target = url(image_version_id, options_.gallery_api_version, "$expand=ReplicationStatus");
    auto result = co_await transport_.call(MakeArmRequest(verb::get, target),
                                           options("get_image_version", image_version_id, false));
    if (!result) co_return pw::Err{std::move(result).error()};
    auto decoded = codec::DecodeImageVersion(result->response.body);
    if (!decoded)
        co_return pw::Err{
            DecodeError("image version " + image_version_id + ": " + decoded.error(), 200)};
    co_return std::move(decoded).value();
}

net::awaitable<Result<model::ObservedImageVersion>> ArmClient::update_target_regions(
    const std::string& image_version_id, const std::vector<model::TargetRegion>& regions) {
    auto target = url(image_version_id, options_.gallery_api_version);
    auto request = MakeArmRequest(verb::patch, target);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = codec::EncodeTargetRegionsPatch(regions);
    auto call = options("update_target_regions", image_version_id, true);
    auto result = co_await transport_.call(std::move(request), call);
    if (!result) co_return pw::Err{std::move(result).error()};
    auto polled = co_await poll(image_version_id, *result);
    if (!polled) co_return pw::Err{std::move(polled).error()};
    co_return co_await get_image_version(image_version_id);
}

net::awaitable<Result<Unit>> ArmClient::poll(const std::string& image_version_id,
                                             const CallResult& initial) {
    const auto deadline = SteadyClock::now() + options_.lro_deadline;
    const std::string origin = http::OriginOf(options_.resource_manager + "/");
    std::string async = initial.response.header("Azure-AsyncOperation");
    std::string location = initial.response.header("Location");
    auto retry_after = http::ParseRetryAfter(initial.response.header("Retry-After"),
                                             std::chrono::system_clock::now());
    if (async.empty() && location.empty()) {
        auto version = codec::DecodeImageVersion(initial.response.body);
        if (!version || Terminal(version->provisioning_state) ||
            version->provisioning_state.empty()) {
            if (version && version->provisioning_state == "Failed")
                co_return pw::Err{MakeError(ErrorKind::Server, "image version update failed", 200,
                                            "ProvisioningFailed")};
            co_return Unit{};
        }
    }
    for (const std::string* link : {&async, &location}) {
        if (!link->empty() && http::OriginOf(*link) != origin)
            co_return pw::Err{MakeError(
                ErrorKind::Decode, "operation URL outside " + origin + ": " + http::OriginOf(*link),
                initial.response.status, "ForeignOperationUrl")};
    }
    auto& stop = transport_.client().stop_signal();
    for (;;) {
        const auto wait = std::min(retry_after.value_or(options_.lro_poll_interval),
                                   options_.lro_max_poll_interval);
        if (SteadyClock::now() + wait >= deadline) {
            spdlog::info(
                "image version {}: operation still running after {} s; the next pass "
                "re-reads provisioningState",
                image_version_id,
                std::chrono::duration_cast<std::chrono::seconds>(options_.lro_deadline).count());
            co_return Unit{};
        }
        if (!co_await stop.sleep(wait))
            co_return pw::Err{MakeError(ErrorKind::Cancelled, "shutting down")};
        std::string status;
        std::string code;
        std::string message;
        if (!async.empty() || !location.empty()) {
            const std::string& link = !async.empty() ? async : location;
            auto result =
                co_await transport_.call(MakeArmRequest(verb::get, link),
                                         options("poll_operation", image_version_id, false));
            if (!result) co_return pw::Err{std::move(result).error()};
            const auto& response = result->response;
            retry_after = http::ParseRetryAfter(response.header("Retry-After"),
                                                std::chrono::system_clock::now());
            if (!async.empty()) {
                // {status, error:{code, message}} [D-ASYNC]; a member of the wrong type is a
                // decode error like any other, never an exception out of this coroutine.
                auto op = codec::DecodeOperationStatus(response.body);
                if (!op)
                    co_return pw::Err{
                        DecodeError("operation status: " + op.error(), response.status)};
                status = op->status;
                if (op->error) {
                    code = op->error->code;
                    message = op->error->message;
                }
            } else {
                status = response.status == 202 ? "InProgress" : "Succeeded";
            }
        } else {
            auto version = co_await get_image_version(image_version_id);
            if (!version) co_return pw::Err{std::move(version).error()};
            status = version->provisioning_state;
            retry_after.reset();
        }
        if (status == "Succeeded") co_return Unit{};
        if (status == "Failed" || status == "Canceled" || status == "Cancelled") {
            co_return pw::Err{MakeError(
                ErrorKind::Server, message.empty() ? "image version update " + status : message,
                200, code.empty() ? "Operation" + status : code)};
        }
    }
}

}  // namespace pw::azure
