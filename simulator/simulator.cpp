#include "simulator.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "autoscale.hpp"
#include "internal.hpp"

namespace pw::sim {

namespace asio = boost::asio;

std::vector<FaultRule> ParseFaults(const Json& doc) {
    std::vector<FaultRule> rules;
    if (!doc.is_object()) throw std::runtime_error("faults: expected an object with \"rules\"");
    for (const auto& r : doc.value("rules", Json::array())) {
        FaultRule f;
        f.method = r.value("method", "*");
        f.path_text = r.value("path", ".*");
        try {
            f.path = std::regex(f.path_text, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error&) {
            throw std::runtime_error("faults: rules[].path is not a valid regex: " + f.path_text);
        }
        f.probability = r.value("probability", 1.0);
        f.status = r.value("status", 0);
        f.retry_after = r.value("retryAfter", 0);
        f.latency_ms = r.value("latencyMs", 0);
        f.action = r.value("action", "");
        f.stall_ms = r.value("stallMs", 120000);
        f.malformed_body = r.value("malformedBody", "");
        if (!f.action.empty() && f.action != "reset" && f.action != "stall") {
            throw std::runtime_error("faults: rules[].action must be \"reset\" or \"stall\"");
        }
        if (!f.malformed_body.empty() && f.malformed_body != "truncated" &&
            f.malformed_body != "html" && f.malformed_body != "wrongTypes" &&
            f.malformed_body != "missingFields" && f.malformed_body != "errorBodyWith200") {
            throw std::runtime_error(
                "faults: rules[].malformedBody must be truncated, html, wrongTypes, "
                "missingFields or errorBodyWith200");
        }
        if (f.status == 0 && f.action.empty() && f.latency_ms == 0 && f.malformed_body.empty()) {
            throw std::runtime_error(
                "faults: a rule needs status, action, latencyMs or malformedBody");
        }
        rules.push_back(std::move(f));
    }
    return rules;
}

Simulator::Simulator(World world, SimOptions options)
    : world_(std::move(world)),
      options_(options),
      rng_(options.seed),
      fault_rng_(options.seed ^ 0x9E3779B97F4A7C15ULL),
      real_start_(std::chrono::steady_clock::now()) {
    sim_start_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    world_.now = std::max(world_.now, sim_start_);
    sim_start_ = world_.now;
}

double Simulator::Now() const {
    const double real =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - real_start_).count();
    return sim_start_ + real * options_.time_scale + offset_;
}

Json Simulator::DumpWorld() {
    world_.AdvanceTo(Now());
    return world_.ToJson();
}

void Simulator::SetFaults(const Json& doc) {
    faults_ = std::make_shared<const std::vector<FaultRule>>(ParseFaults(doc));
    faults_doc_ = doc;
}

namespace {

Json WrongTypes(const Json& j) {
    if (j.is_object()) {
        Json out = Json::object();
        for (const auto& [k, v] : j.items()) out[k] = WrongTypes(v);
        return out;
    }
    if (j.is_array()) {
        Json out = Json::array();
        for (const auto& v : j) out.push_back(WrongTypes(v));
        return out;
    }
    if (j.is_number()) return "many";
    if (j.is_boolean()) return "yes";
    if (j.is_string()) return 12345;
    return j;
}

Json WithoutFields(const Json& j) {
    if (j.is_object()) {
        Json out = Json::object();
        for (const auto& [k, v] : j.items()) {
            if (k == "id" || k == "value" || k == "properties") continue;
            out[k] = WithoutFields(v);
        }
        return out;
    }
    if (j.is_array()) {
        Json out = Json::array();
        for (const auto& v : j) out.push_back(WithoutFields(v));
        return out;
    }
    return j;
}

void Corrupt(Reply& reply, const std::string& kind, bool batch) {
    auto& res = reply.response;
    if (kind == "truncated") {
        res.body() = res.body().substr(0, res.body().size() / 2);
    } else if (kind == "html") {
        res.set(bhttp::field::content_type, "text/html; charset=utf-8");
        res.body() =
            "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
            "<body><h1>Service Unavailable</h1><p>The gateway could not reach the backend."
            "</p></body></html>\n";
    } else if (kind == "wrongTypes" || kind == "missingFields") {
        const Json doc = Json::parse(res.body(), nullptr, false);
        if (doc.is_discarded()) return;
        res.body() = (kind == "wrongTypes" ? WrongTypes(doc) : WithoutFields(doc))
                         .dump(-1, ' ', false, Json::error_handler_t::replace);
    } else if (kind == "errorBodyWith200") {
        res.result(bhttp::status::ok);
        const Json body =
            batch ? Json{{"code", "InternalError"},
                         {"message",
                          {{"lang", "en-US"}, {"value", "Server encountered an internal error."}}}}
                  : Json{{"error",
                          {{"code", "InternalServerError"},
                           {"message", "Encountered internal server error."}}}};
        res.set(bhttp::field::content_type, batch ? kBatchJson : "application/json; charset=utf-8");
        res.body() = body.dump();
    }
}

}  // namespace

Json Simulator::PoolWriteImageState(const Ctx& c, const http::Request& req) {
    if (c.method == "GET" || c.method == "HEAD") return nullptr;
    const auto seg = SplitPath(c.path);
    const std::string host_lower = ToLower(c.host);
    std::string account;
    std::vector<std::string> rest;
    if (const auto b = host_lower.find(".batch.azure.com"); b != std::string::npos) {
        account = host_lower.substr(0, host_lower.find('.'));
        rest = seg;
    } else if (seg.size() >= 2 && seg[0] == "batch") {
        account = ToLower(seg[1]);
        rest.assign(seg.begin() + 2, seg.end());
    } else {
        return nullptr;
    }
    if (rest.empty() || rest[0] != "pools") return nullptr;
    const auto acc = world_.accounts.find(account);
    if (acc == world_.accounts.end()) return nullptr;
    std::string pool_id;
    std::string image;
    const auto image_of = [](const Json& spec) {
        return spec.value("virtualMachineConfiguration", Json::object())
            .value("imageReference", Json::object())
            .value("virtualMachineImageId", "");
    };
    if (rest.size() == 1) {
        const Json body = Json::parse(req.body(), nullptr, false);
        if (!body.is_object()) return nullptr;
        pool_id = body.value("id", "");
        image = image_of(body);
    } else {
        pool_id = rest[1];
        const auto p = acc->second.pools.find(ToLower(pool_id));
        if (p == acc->second.pools.end()) return nullptr;
        image = image_of(p->second.spec);
    }
    Json out = {{"account", account},
                {"pool", pool_id},
                {"region", acc->second.location},
                {"image", image}};
    if (const ImageVersion* v = image.empty() ? nullptr : world_.FindVersionById(image)) {
        int target = 0;
        for (const auto& r : v->regions) {
            if (NormalizeRegion(r.name) == acc->second.location) target = r.count;
        }
        out["completed"] = World::CompletedReplicas(*v, acc->second.location);
        out["target"] = target;
        out["provisioningState"] = v->provisioning_state;
    }
    return out;
}

asio::awaitable<Reply> Simulator::Handle(const http::Request& req) {
    Ctx c(req);
    c.method = std::string(req.method_string());
    const std::string target(req.target());
    const auto qpos = target.find('?');
    c.path = target.substr(0, qpos);
    if (qpos != std::string::npos) {
        c.raw_query = target.substr(qpos + 1);
        for (const auto& [k, v] : ParseForm(c.raw_query)) c.query.emplace_back(k, v);
        // ParseForm sorts; keep insertion order irrelevant for lookups.
    }
    c.host = c.Header("Host");
    if (c.host.empty()) c.host = default_host_;
    c.scheme = options_.tls ? "https" : "http";
    c.request_id = Uuid(rng_);
    c.now = Now();
    world_.AdvanceTo(c.now);

    Json entry = {{"seq", ++seq_},
                  {"time", FormatIso(c.now)},
                  {"method", c.method},
                  {"path", target},
                  {"clientRequestId", c.Header("client-request-id").empty()
                                          ? c.Header("x-ms-client-request-id")
                                          : c.Header("client-request-id")}};
    if (const auto if_match = c.Header("if-match"); !if_match.empty()) entry["ifMatch"] = if_match;
    const bool admin = c.path.rfind("/_sim/", 0) == 0;
    const bool is_token = c.path.find("/oauth2/") != std::string::npos;
    if (c.method != "GET" && c.method != "HEAD" && !req.body().empty()) {
        entry["body"] = is_token ? std::string("<redacted: token request>") : req.body();
    }

    Reply reply;
    std::string fault;
    bool faulted = false;
    std::string malformed;
    if (!admin) {
        // The rules as this request found them: they may be replaced while it waits below.
        const auto faults = faults_;
        for (const auto& f : *faults) {
            if (f.method != "*" && !Ieq(f.method, c.method)) continue;
            if (!std::regex_search(c.path, f.path)) continue;
            std::uniform_real_distribution<double> u(0.0, 1.0);
            if (u(fault_rng_) >= f.probability) continue;
            if (f.latency_ms > 0) {
                asio::steady_timer t(co_await asio::this_coro::executor);
                t.expires_after(std::chrono::milliseconds(f.latency_ms));
                co_await t.async_wait(asio::use_awaitable);
                fault += "latency;";
            }
            if (f.action == "reset") {
                fault += "reset";
                entry["status"] = 0;
                entry["fault"] = fault;
                entry["auth"] = "none";
                log_.push_back(entry);
                if (log_.size() > options_.request_log_limit) log_.pop_front();
                co_return Reply{http::Response{}, http::Disposition::kReset};
            }
            if (f.action == "stall") {
                entry["status"] = 0;
                entry["fault"] = fault + "stall";
                entry["auth"] = "none";
                log_.push_back(entry);
                if (log_.size() > options_.request_log_limit) log_.pop_front();
                asio::steady_timer t(co_await asio::this_coro::executor);
                t.expires_after(std::chrono::milliseconds(f.stall_ms));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                co_return Reply{http::Response{}, http::Disposition::kReset};
            }
            if (!f.malformed_body.empty() && f.status == 0) {
                malformed = f.malformed_body;
                fault += "malformed:" + malformed;
                break;
            }
            if (f.status != 0) {
                const bool batch = c.path.rfind("/batch/", 0) == 0 ||
                                   c.host.find(".batch.azure.com") != std::string::npos;
                const bool aad = is_token;
                std::string code = f.status == 429   ? "TooManyRequests"
                                   : f.status == 503 ? "ServerBusy"
                                                     : "InternalError";
                std::string msg =
                    f.status == 429 ? "The request is being throttled."
                    : f.status == 503
                        ? "The server is currently unable to receive requests. Please retry your "
                          "request."
                        : "Server encountered an internal error. Please try again after some time.";
                if (batch) {
                    reply = MakeJson(
                        static_cast<unsigned>(f.status),
                        {{"odata.metadata", c.Base() + "/$metadata#Microsoft.Azure.Batch.Protocol."
                                                       "Entities.Container.errors/@Element"},
                         {"code", code},
                         {"message",
                          {{"lang", "en-US"},
                           {"value",
                            msg + "\nRequestId:" + c.request_id + "\nTime:" + FormatIso(c.now)}}}},
                        kBatchJson);
                    reply.response.set("request-id", c.request_id);
                } else if (aad) {
                    reply =
                        MakeJson(static_cast<unsigned>(f.status),
                                 {{"error", f.status == 429 ? "too_many_requests" : "server_error"},
                                  {"error_description", msg}});
                } else {
                    if (f.status == 429) code = "TooManyRequests";
                    reply = MakeJson(static_cast<unsigned>(f.status),
                                     {{"error", {{"code", code}, {"message", msg}}}});
                    reply.response.set("x-ms-request-id", c.request_id);
                }
                if (f.retry_after > 0) {
                    reply.response.set(bhttp::field::retry_after, std::to_string(f.retry_after));
                }
                fault += "status:" + std::to_string(f.status);
                faulted = true;
                break;
            }
        }
    }
    if (!faulted) {
        try {
            reply = Dispatch(c);
        } catch (const std::exception& e) {
            reply = MakeJson(500, {{"error", {{"code", "InternalError"}, {"message", e.what()}}}});
        }
        if (!admin) {
            if (Json img = PoolWriteImageState(c, req); !img.is_null()) {
                entry["imageReplicas"] = std::move(img);
            }
        }
        if (!malformed.empty()) {
            Corrupt(reply, malformed,
                    c.path.rfind("/batch/", 0) == 0 ||
                        c.host.find(".batch.azure.com") != std::string::npos);
        }
    }
    if (!admin) {
        entry["status"] = reply.response.result_int();
        entry["auth"] = c.auth_kind;
        if (!fault.empty()) entry["fault"] = fault;
        log_.push_back(entry);
        if (log_.size() > options_.request_log_limit) log_.pop_front();
    }
    // Every Azure response carries `Date` (RFC 9110 §6.6.1); the wall clock, not simulated
    // time, as `poolwarden doctor` compares it with the local clock.
    if (!reply.response.count(bhttp::field::date)) {
        const auto wall =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
        reply.response.set(bhttp::field::date, FormatRfc1123(wall.count()));
    }
    co_return reply;
}

Reply Simulator::Dispatch(Ctx& c) {
    if (c.path.rfind("/_sim/", 0) == 0) return Admin(c);
    if (c.path == "/metadata/identity/oauth2/token") return Imds(c);
    const auto seg = SplitPath(c.path);
    const std::string host_lower = ToLower(c.host);
    const auto bpos = host_lower.find(".batch.azure.com");
    if (bpos != std::string::npos) {
        const std::string name = host_lower.substr(0, host_lower.find('.'));
        auto it = world_.accounts.find(name);
        if (it == world_.accounts.end()) return MakeEmpty(404);
        return Batch(c, it->second, c.path, c.Base());
    }
    if (seg.size() >= 2 && seg[0] == "batch") {
        auto it = world_.accounts.find(ToLower(seg[1]));
        if (it == world_.accounts.end()) {
            Reply r = MakeJson(
                404,
                {{"code", "AccountNotFound"},
                 {"message",
                  {{"lang", "en-US"}, {"value", "The specified account does not exist."}}}},
                kBatchJson);
            return r;
        }
        const std::string prefix = "/batch/" + seg[1];
        return Batch(c, it->second, c.path.substr(std::min(c.path.size(), prefix.size())),
                     c.Base() + prefix);
    }
    if (seg.size() == 4 && seg[1] == "oauth2" && seg[2] == "v2.0" && seg[3] == "token") {
        return Aad(c, ToLower(seg[0]));
    }
    if (seg.size() == 3 && seg[0] == "adfs" && seg[1] == "oauth2" && seg[2] == "token") {
        return Aad(c, "adfs");
    }
    if (seg.size() == 3 && seg[0] == "adfs" && seg[1] == ".well-known" &&
        seg[2] == "openid-configuration") {
        const std::string base = c.Base() + "/adfs";
        return MakeJson(200, {{"token_endpoint", base + "/oauth2/token"},
                              {"authorization_endpoint", base + "/oauth2/authorize"},
                              {"issuer", base},
                              {"token_endpoint_auth_methods_supported",
                               {"client_secret_post", "private_key_jwt", "client_secret_basic"}}});
    }
    if (seg.size() == 4 && seg[1] == "v2.0" && seg[2] == ".well-known" &&
        seg[3] == "openid-configuration") {
        const std::string base = c.Base() + "/" + seg[0];
        return MakeJson(200, {{"token_endpoint", base + "/oauth2/v2.0/token"},
                              {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
                              {"issuer", c.Base() + "/" + seg[0] + "/v2.0"},
                              {"jwks_uri", base + "/discovery/v2.0/keys"},
                              {"token_endpoint_auth_methods_supported",
                               {"client_secret_post", "private_key_jwt", "client_secret_basic"}},
                              {"response_types_supported", {"code", "id_token", "token"}},
                              {"tenant_region_scope", "NA"}});
    }
    if (seg.size() == 3 && seg[0] == "common" && seg[1] == "discovery" && seg[2] == "instance") {
        const std::string h = c.host;
        return MakeJson(
            200,
            {{"tenant_discovery_endpoint",
              c.Base() + "/common/v2.0/.well-known/openid-configuration"},
             {"api-version", "1.1"},
             {"metadata", {{{"preferred_network", h}, {"preferred_cache", h}, {"aliases", {h}}}}}});
    }
    if (!seg.empty() &&
        (Ieq(seg[0], "subscriptions") || (seg.size() == 1 && Ieq(seg[0], "tenants")))) {
        return Arm(c);
    }
    return MakeJson(404,
                    {{"error", {{"code", "NotFound"}, {"message", "No route for " + c.path}}}});
}

}  // namespace pw::sim
