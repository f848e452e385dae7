#include "azure/blob_lease.hpp"

#include "http/http_date.hpp"
#include "http/url.hpp"

namespace pw::azure {

namespace net = boost::asio;
using boost::beast::http::verb;

bool IsLeaseLost(std::string_view code) {
    static constexpr std::string_view kLost[] = {
        "LeaseIdMismatchWithLeaseOperation",
        "LeaseNotPresentWithLeaseOperation",
        "LeaseIsBrokenAndCannotBeRenewed",
        "LeaseAlreadyBroken",
        "LeaseLost",
        "LeaseIdMismatchWithBlobOperation",
        "LeaseNotPresentWithBlobOperation",
        "LeaseIdMissing",
    };
    for (auto c : kLost)
        if (c == code) return true;
    return false;
}

BlobLeaseClient::BlobLeaseClient(Transport& transport, Options options)
    : transport_(transport), options_(std::move(options)) {
    auto parsed = http::ParseUrl(options_.blob_url);
    rate_key_ = "storage:" + (parsed ? parsed->host : options_.blob_url);
}

http::ClientRequest BlobLeaseClient::request(verb method, const std::string& query) const {
    http::ClientRequest r;
    r.method = method;
    r.url = options_.blob_url + query;
    // Every Blob call sends x-ms-version [BLOB `#/parameters/ApiVersionParameter`] and x-ms-date.
    r.headers = {{"x-ms-version", kBlobApiVersion},
                 {"x-ms-date", http::FormatHttpDate(std::chrono::system_clock::now())},
                 {"x-ms-client-request-id", NewClientRequestId()}};
    r.idempotent = true;
    return r;
}

CallOptions BlobLeaseClient::call(std::string operation) const {
    CallOptions c;
    c.service = "storage";
    c.operation = std::move(operation);
    c.format = ErrorFormat::Storage;
    c.token_resource = options_.resource;
    c.rate_keys = {rate_key_};
    // Lease calls are safe to repeat: acquire with our own proposed id acts as a renew, renew
    // and release name the id (azurite-facts.md; contract section 11).
    c.idempotent = true;
    c.deadline = options_.deadline;
    c.attempt_timeout = options_.attempt_timeout;
    return c;
}

net::awaitable<Result<Unit>> BlobLeaseClient::create_if_missing() {
    auto r = request(verb::put, "");
    r.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    r.headers.emplace_back("If-None-Match", "*");
    r.headers.emplace_back("Content-Length", "0");
    auto res = co_await transport_.call(std::move(r), call("create_lease_blob"));
    if (!res && res.error().code != kBlobAlreadyExists) co_return pw::Err{res.error()};
    co_return Unit{};
}

net::awaitable<Result<std::string>> BlobLeaseClient::acquire(const std::string& proposed_id,
                                                             std::chrono::seconds duration) {
    auto r = request(verb::put, "?comp=lease");
    r.headers.emplace_back("x-ms-lease-action", "acquire");
    r.headers.emplace_back("x-ms-lease-duration", std::to_string(duration.count()));
    r.headers.emplace_back("x-ms-proposed-lease-id", proposed_id);
    auto res = co_await transport_.call(std::move(r), call("lease_acquire"));
    if (!res) co_return pw::Err{res.error()};
    auto id = res->response.header("x-ms-lease-id");
    if (id.empty())
        co_return pw::Err{DecodeError("lease acquire: no x-ms-lease-id in the 201", 201)};
    co_return id;
}

net::awaitable<Result<Unit>> BlobLeaseClient::renew(const std::string& lease_id) {
    return held_lease_action("renew", lease_id);
}

net::awaitable<Result<Unit>> BlobLeaseClient::release(const std::string& lease_id) {
    return held_lease_action("release", lease_id);
}

net::awaitable<Result<Unit>> BlobLeaseClient::held_lease_action(std::string action,
                                                                std::string lease_id) {
    auto r = request(verb::put, "?comp=lease");
    r.headers.emplace_back("x-ms-lease-action", action);
    r.headers.emplace_back("x-ms-lease-id", lease_id);
    auto res = co_await transport_.call(std::move(r), call("lease_" + action));
    if (!res) co_return pw::Err{res.error()};
    co_return Unit{};
}

net::awaitable<Result<Unit>> BlobLeaseClient::set_metadata(
    const std::string& lease_id, const std::map<std::string, std::string>& metadata) {
    auto r = request(verb::put, "?comp=metadata");
    r.headers.emplace_back("x-ms-lease-id", lease_id);
    for (const auto& [k, v] : metadata) r.headers.emplace_back("x-ms-meta-" + k, v);
    r.headers.emplace_back("Content-Length", "0");
    auto res = co_await transport_.call(std::move(r), call("set_lease_metadata"));
    if (!res) co_return pw::Err{res.error()};
    co_return Unit{};
}

net::awaitable<Result<BlobLeaseInfo>> BlobLeaseClient::read() {
    auto res = co_await transport_.call(request(verb::head, ""), call("get_lease_blob"));
    if (!res) co_return pw::Err{res.error()};
    BlobLeaseInfo info;
    info.state = res->response.header("x-ms-lease-state");
    info.holder = res->response.header("x-ms-meta-holder");
    info.since = res->response.header("x-ms-meta-since");
    co_return info;
}

}  // namespace pw::azure
