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

std::string Simulator::NewToken(const std::string& tenant, const std::string& oid,
                                const std::string& appid, const std::string& aud) {
    const auto now = static_cast<std::int64_t>(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    const Json payload = {{"aud", aud},
                          {"iss", "https://sts.windows.net/" + tenant + "/"},
                          {"iat", now},
                          {"nbf", now},
                          {"exp", now + static_cast<std::int64_t>(options_.token_lifetime)},
                          {"tid", tenant},
                          {"oid", oid},
                          {"sub", oid},
                          {"appid", appid},
                          {"idtyp", "app"},
                          {"ver", "1.0"},
                          {"uti", Uuid(rng_)}};
    std::string token = MakeJwt(payload);
    issued_tokens_.push_back(token);
    if (issued_tokens_.size() > options_.token_log_limit) issued_tokens_.pop_front();
    return token;
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

// ---------------------------------------------------------------- admin

Reply Simulator::Admin(Ctx& c) {
    const std::string p = c.path.substr(6);
    if (p == "state" && c.method == "GET") return MakeJson(200, world_.ToJson());
    if (p == "time" && c.method == "GET") {
        return MakeJson(200, {{"now", FormatIso(c.now)}, {"epoch", c.now}});
    }
    if (p == "requests" && c.method == "GET") {
        const std::string since_text = c.Q("since");
        const std::uint64_t since =
            since_text.empty() ? 0 : std::strtoull(since_text.c_str(), nullptr, 10);
        Json arr = Json::array();
        for (const auto& e : log_) {
            if (e.value("seq", std::uint64_t{0}) > since) arr.push_back(e);
        }
        return MakeJson(200, {{"requests", arr}});
    }
    if (p == "tokens" && c.method == "GET") {
        Json arr = Json::array();
        for (const auto& t : issued_tokens_) arr.push_back(t);
        return MakeJson(200, {{"tokens", arr}});
    }
    if (p == "requests" && c.method == "DELETE") {
        log_.clear();
        return MakeEmpty(204);
    }
    if (p == "faults" && c.method == "GET") return MakeJson(200, faults_doc_);
    if (p == "faults" && (c.method == "PUT" || c.method == "POST")) {
        auto doc = Json::parse(c.req.body(), nullptr, false);
        if (doc.is_discarded()) return MakeJson(400, {{"error", "faults: body is not JSON"}});
        try {
            SetFaults(doc);
        } catch (const std::exception& e) {
            return MakeJson(400, {{"error", e.what()}});
        }
        return MakeJson(200, faults_doc_);
    }
    if (p == "faults" && c.method == "DELETE") {
        faults_ = std::make_shared<const std::vector<FaultRule>>();
        faults_doc_ = Json::object();
        return MakeEmpty(204);
    }
    if (p == "advance" && c.method == "POST") {
        const std::string s = c.Q("seconds");
        char* end = nullptr;
        const double secs = std::strtod(s.c_str(), &end);
        if (s.empty() || end == s.c_str() || secs < 0) {
            return MakeJson(400, {{"error", "advance: ?seconds=N (N >= 0) required"}});
        }
        offset_ += secs;
        const double now = Now();
        world_.AdvanceTo(now);
        return MakeJson(200, {{"now", FormatIso(now)}, {"epoch", now}});
    }
    if (p == "world" && c.method == "PUT") {
        auto doc = Json::parse(c.req.body(), nullptr, false);
        if (doc.is_discarded()) return MakeJson(400, {{"error", "world: body is not JSON"}});
        try {
            world_ = World::FromJson(doc, Now());
        } catch (const std::exception& e) {
            return MakeJson(400, {{"error", e.what()}});
        }
        operations_.clear();
        return MakeJson(200, world_.ToJson());
    }
    // Node hooks (documented in nodes.cpp): busy nodes and start-task failures.
    if (p.rfind("accounts/", 0) == 0 && c.method == "GET") {
        const auto seg = SplitPath(p);
        auto acc = world_.accounts.find(seg.size() > 1 ? ToLower(seg[1]) : std::string());
        if (seg.size() == 5 && seg[2] == "pools" && seg[4] == "nodes" &&
            acc != world_.accounts.end()) {
            auto pool = acc->second.pools.find(ToLower(seg[3]));
            if (pool == acc->second.pools.end())
                return MakeJson(404, {{"error", "nodes: no pool " + seg[3]}});
            return MakeJson(200, NodeSummaryJson(pool->second));
        }
    }
    if (p.rfind("accounts/", 0) == 0 && c.method == "POST") {
        const auto seg = SplitPath(p);
        if (seg.size() == 5 && seg[2] == "pools" && seg[4] == "busy") {
            auto acc = world_.accounts.find(ToLower(seg[1]));
            if (acc == world_.accounts.end())
                return MakeJson(404, {{"error", "busy: no account " + seg[1]}});
            auto pool = acc->second.pools.find(ToLower(seg[3]));
            if (pool == acc->second.pools.end())
                return MakeJson(404, {{"error", "busy: no pool " + seg[3]}});
            auto doc = Json::parse(c.req.body(), nullptr, false);
            if (doc.is_discarded() || !doc.is_object() || !doc.contains("share") ||
                !doc["share"].is_number() || !doc.contains("seconds") ||
                !doc["seconds"].is_number()) {
                return MakeJson(400, {{"error", "busy: body {\"share\": 0..1, \"seconds\": N}"}});
            }
            const double share = doc["share"].get<double>();
            const double seconds = doc["seconds"].get<double>();
            if (share < 0 || share > 1 || seconds <= 0)
                return MakeJson(400, {{"error", "busy: share in 0..1, seconds > 0"}});
            const int n = World::MarkBusy(pool->second, share, seconds, c.now);
            return MakeJson(200, {{"busy", n}, {"until", FormatIso(c.now + seconds)}});
        }
    }
    if (p == "startTaskFailures") {
        auto render = [&] {
            Json rules = Json::array();
            for (const auto& f : world_.start_task_faults)
                rules.push_back({{"image", f.image}, {"share", f.share}});
            return Json{{"rules", rules}};
        };
        if (c.method == "GET") return MakeJson(200, render());
        if (c.method == "DELETE") {
            world_.start_task_faults.clear();
            return MakeEmpty(204);
        }
        if (c.method == "PUT" || c.method == "POST") {
            auto doc = Json::parse(c.req.body(), nullptr, false);
            std::vector<StartTaskFault> rules;
            bool ok = !doc.is_discarded() && doc.is_object() && doc.contains("rules") &&
                      doc["rules"].is_array();
            for (const auto& r : ok ? doc["rules"] : Json::array()) {
                if (!r.is_object() || !r.contains("image") || !r["image"].is_string() ||
                    !r.contains("share") || !r["share"].is_number() ||
                    r["share"].get<double>() < 0 || r["share"].get<double>() > 1) {
                    ok = false;
                    break;
                }
                rules.push_back({r["image"].get<std::string>(), r["share"].get<double>()});
            }
            if (!ok) {
                return MakeJson(400, {{"error",
                                       "startTaskFailures: body {\"rules\": [{\"image\": "
                                       "ID_OR_VERSION, \"share\": 0..1}]}"}});
            }
            world_.start_task_faults = std::move(rules);
            return MakeJson(200, render());
        }
    }
    return MakeJson(404, {{"error", "unknown admin endpoint " + c.path}});
}

// ---------------------------------------------------------------- AAD and IMDS

Reply Simulator::Aad(Ctx& c, const std::string& tenant_id) {
    c.auth_kind = "none";
    auto aad_error = [&](unsigned status, const std::string& error, int code,
                         const std::string& desc) {
        const std::string trace = Uuid(rng_);
        const std::string corr = Uuid(rng_);
        return MakeJson(
            status, {{"error", error},
                     {"error_description", "AADSTS" + std::to_string(code) + ": " + desc +
                                               " Trace ID: " + trace + " Correlation ID: " + corr +
                                               " Timestamp: " + FormatIso(c.now)},
                     {"error_codes", {code}},
                     {"timestamp", FormatIso(c.now)},
                     {"trace_id", trace},
                     {"correlation_id", corr},
                     {"error_uri", c.Base() + "/error?code=" + std::to_string(code)}});
    };
    if (c.method != "POST")
        return aad_error(405, "invalid_request", 900561,
                         "The endpoint only accepts POST requests.");
    auto form = ParseForm(c.req.body());
    std::string client_id = ToLower(form["client_id"]);
    std::string secret = form["client_secret"];
    const std::string auth = c.Header("Authorization");
    if (auth.rfind("Basic ", 0) == 0) {
        if (auto dec = Base64Decode(auth.substr(6))) {
            const auto colon = dec->find(':');
            if (colon != std::string::npos) {
                client_id = ToLower(PercentDecode(dec->substr(0, colon), true));
                secret = PercentDecode(dec->substr(colon + 1), true);
            }
        }
    }
    const Tenant* tenant = nullptr;
    for (const auto& t : world_.tenants) {
        const bool any = tenant_id == "adfs" || tenant_id == "organizations";
        const bool has_client =
            std::any_of(t.clients.begin(), t.clients.end(),
                        [&](const Client& cl) { return cl.client_id == client_id; });
        if (t.id == tenant_id || (any && has_client)) tenant = &t;
    }
    if (tenant == nullptr) {
        return aad_error(400, "invalid_request", 90002,
                         "Tenant '" + tenant_id +
                             "' not found. Check to make sure you have the correct tenant ID and "
                             "are signing into the correct cloud.");
    }
    if (form["grant_type"] != "client_credentials") {
        return aad_error(
            400, "unsupported_grant_type", 70003,
            "The app requested an unsupported grant type '" + form["grant_type"] + "'.");
    }
    const Client* client = nullptr;
    for (const auto& cl : tenant->clients) {
        if (cl.client_id == client_id) client = &cl;
    }
    if (client == nullptr) {
        return aad_error(400, "unauthorized_client", 700016,
                         "Application with identifier '" + client_id +
                             "' was not found in the directory '" + tenant_id + "'.");
    }
    const std::string scope = form["scope"];
    const std::string suffix = "/.default";
    if (scope.size() <= suffix.size() ||
        scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return aad_error(400, "invalid_scope", 1002012,
                         "The provided value for scope " + scope +
                             " is not valid. Client credential flows must have a scope value with "
                             "/.default suffixed to the resource identifier (application ID URI).");
    }
    std::string resource = scope.substr(0, scope.size() - suffix.size());
    if (resource.empty() || resource.back() != '/') resource += "/";
    if (form.count("client_assertion") != 0U) {
        if (form["client_assertion_type"] !=
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            return aad_error(400, "invalid_request", 7000216,
                             "'client_assertion_type' must be "
                             "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.");
        }
        if (!client->federated || !JwtPayload(form["client_assertion"])) {
            return aad_error(401, "invalid_client", 700027,
                             "Client assertion failed signature validation.");
        }
    } else if (secret.empty()) {
        return aad_error(401, "invalid_client", 7000218,
                         "The request body must contain the following parameter: "
                         "'client_assertion' or 'client_secret'.");
    } else if (secret != client->secret) {
        return aad_error(
            401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app '" +
                client_id + "'.");
    }
    c.auth_kind = "client-credentials";
    const auto life = static_cast<std::int64_t>(options_.token_lifetime);
    return MakeJson(
        200, {{"token_type", "Bearer"},
              {"expires_in", life},
              {"ext_expires_in", life},
              {"access_token", NewToken(tenant->id, client->object_id, client_id, resource)}});
}

Reply Simulator::Imds(Ctx& c) {
    auto err = [&](unsigned status, const std::string& e, const std::string& d) {
        return MakeJson(status, {{"error", e}, {"error_description", d}});
    };
    if (c.method != "GET") return err(405, "method_not_allowed", "Not allowed");
    if (c.Header("Metadata") != "true") {
        return err(400, "invalid_request", "Required metadata header not specified");
    }
    if (c.Q("api-version").empty())
        return err(400, "invalid_request", "Required query variable 'api-version' is missing");
    std::string resource = c.Q("resource");
    if (resource.empty())
        return err(400, "invalid_request", "Required query variable 'resource' is missing");
    if (!world_.managed_identity) return err(400, "invalid_request", "Identity not found");
    const auto& mi = *world_.managed_identity;
    const std::string cid = ToLower(c.Q("client_id"));
    if (!cid.empty() && cid != mi.client_id)
        return err(400, "invalid_request", "Identity not found");
    const auto now = static_cast<std::int64_t>(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    const auto life = static_cast<std::int64_t>(options_.token_lifetime);
    std::string aud = resource;
    if (aud.back() != '/') aud += "/";
    c.auth_kind = "imds";
    return MakeJson(200, {{"access_token", NewToken(mi.tenant_id, mi.object_id, mi.client_id, aud)},
                          {"client_id", mi.client_id},
                          {"expires_in", std::to_string(life)},
                          {"expires_on", std::to_string(now + life)},
                          {"ext_expires_in", std::to_string(life)},
                          {"not_before", std::to_string(now)},
                          {"resource", resource},
                          {"token_type", "Bearer"}});
}

}  // namespace pw::sim
