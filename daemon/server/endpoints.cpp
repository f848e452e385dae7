#include "server/endpoints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>

namespace pw::server {

namespace bhttp = boost::beast::http;

namespace {

std::string Seconds(std::chrono::steady_clock::duration d) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
}

http::Response Text(const http::Request& req, bhttp::status status, std::string body,
                    std::string_view content_type = "text/plain; charset=utf-8") {
    http::Response res{status, req.version()};
    res.set(bhttp::field::server, "poolwarden");
    res.set(bhttp::field::content_type, content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

constexpr std::string_view kIndex =
    "poolwarden\n"
    "/metrics  Prometheus metrics\n"
    "/healthz  liveness: a reconcile cycle finished within 3 intervals\n"
    "/readyz   readiness: config, token, observation (?exclude=name)\n"
    "/status   pools and image versions as JSON (poolwarden status)\n";

}  // namespace

Health CheckHealth(const HealthSource& source) {
    const auto now = source.now();
    const auto interval = source.interval();
    const auto limit = 3 * interval;
    const auto last = source.last_cycle();
    const auto since = last ? now - *last : now - source.started;
    Health h;
    h.ok = since <= limit;
    if (last) {
        h.message = fmt::format("{}: last reconcile cycle finished {} ago (limit {})",
                                h.ok ? "ok" : "unhealthy", Seconds(since), Seconds(limit));
    } else {
        h.message = fmt::format("{}: no reconcile cycle finished yet, started {} ago (limit {})",
                                h.ok ? "ok" : "unhealthy", Seconds(since), Seconds(limit));
    }
    return h;
}

Readiness CheckReadiness(const std::vector<ReadinessCheck>& checks,
                         const std::vector<std::string>& exclude) {
    Readiness r;
    r.ok = true;
    for (const auto& c : checks) {
        if (std::find(exclude.begin(), exclude.end(), c.name) != exclude.end()) {
            r.body += fmt::format("[+]{} excluded: ok\n", c.name);
            continue;
        }
        auto failure = c.failure();
        if (failure) {
            r.ok = false;
            r.body += fmt::format("[-]{} failed: {}\n", c.name, *failure);
        } else {
            r.body += fmt::format("[+]{} ok\n", c.name);
        }
    }
    r.body += r.ok ? "readyz check passed\n" : "readyz check failed\n";
    return r;
}

http::Response Handle(const Sources& sources, const http::Request& req) {
    const bool head = req.method() == bhttp::verb::head;
    if (!head && req.method() != bhttp::verb::get) {
        auto res = Text(req, bhttp::status::method_not_allowed, "method not allowed\n");
        res.set(bhttp::field::allow, "GET, HEAD");
        return res;
    }
    auto url = boost::urls::parse_origin_form(std::string_view(req.target()));
    http::Response res;
    if (!url) {
        res = Text(req, bhttp::status::bad_request, "bad request target\n");
    } else if (url->path() == "/metrics") {
        res = Text(req, bhttp::status::ok, sources.metrics(), kMetricsType);
    } else if (url->path() == "/healthz") {
        auto h = CheckHealth(sources.health);
        res = Text(req, h.ok ? bhttp::status::ok : bhttp::status::service_unavailable,
                   h.message + "\n");
    } else if (url->path() == "/readyz") {
        std::vector<std::string> exclude;
        for (auto param : url->params())
            if (param.key == "exclude") exclude.push_back(param.value);
        auto r = CheckReadiness(sources.readiness, exclude);
        res = Text(req, r.ok ? bhttp::status::ok : bhttp::status::service_unavailable,
                   std::move(r.body));
    } else if (url->path() == "/status") {
        res = Text(req, bhttp::status::ok, sources.status(), "application/json");
    } else if (url->path() == "/") {
        res = Text(req, bhttp::status::ok, std::string(kIndex));
    } else {
        res = Text(req, bhttp::status::not_found, "not found\n");
    }
    if (head) res.body().clear();  // Content-Length stays the GET body's.
    return res;
}

http::Reply Answer(const Sources& sources, const http::Request& req) {
    if (req.method() == bhttp::verb::get) {
        auto url = boost::urls::parse_origin_form(std::string_view(req.target()));
        const bool metrics = url && url->path() == "/metrics" && sources.metrics_stream;
        const bool status = url && url->path() == "/status" && sources.status_stream;
        if (metrics || status) {
            http::Reply reply;
            reply.response = Text(req, bhttp::status::ok, "",
                                  metrics ? kMetricsType : std::string_view("application/json"));
            reply.response.erase(bhttp::field::content_length);
            reply.body = metrics ? sources.metrics_stream() : sources.status_stream();
            return reply;
        }
    }
    return http::Reply{Handle(sources, req)};
}

}  // namespace pw::server
