#include "server/observability.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>

#include "log/log.hpp"
#include "version.hpp"

namespace pw::server {

namespace asio = boost::asio;

Result<std::pair<std::string, std::uint16_t>, std::string> ParseListen(std::string_view listen) {
    std::string_view host, port;
    if (!listen.empty() && listen.front() == '[') {
        auto close = listen.find(']');
        if (close != std::string_view::npos && close + 1 < listen.size() &&
            listen[close + 1] == ':') {
            host = listen.substr(1, close - 1);
            port = listen.substr(close + 2);
        }
    } else if (auto colon = listen.rfind(':'); colon != std::string_view::npos) {
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
    }
    auto bad = [&] {
        return pw::Err{
            fmt::format("listen: expected host:port (e.g. 127.0.0.1:9464 or [::1]:9464), "
                        "got '{}'",
                        listen)};
    };
    if (host.empty() || port.empty() || port.size() > 5) return bad();
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return bad();
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return bad();
    std::string h(host == "localhost" ? "127.0.0.1" : host);
    boost::system::error_code ec;
    asio::ip::make_address(h, ec);
    if (ec) return pw::Err{fmt::format("listen: '{}' is not a numeric IP address", host)};
    return std::pair{h, static_cast<std::uint16_t>(value)};
}

Observability::Observability(const config::DaemonConfig& daemon,
                             std::function<std::chrono::milliseconds()> interval)
    : listen_(daemon.listen),
      max_connections_(static_cast<std::size_t>(std::max(1, daemon.listen_max_connections))),
      interval_(std::move(interval)),
      metrics_(kVersion),
      observer_(metrics_, daemon.cloud),
      started_(std::chrono::steady_clock::now()) {}

Observability::~Observability() { stop(); }

void Observability::config_loaded(bool clean) {
    auto now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    metrics_.config_reload(clean, now);
    config_loaded_ = true;
}

void Observability::cycle_finished(const reconcile::CycleReport& report) {
    // Measured on the monotonic clock: a wall-clock step must not distort the histogram.
    RecordCycle(report, std::chrono::duration<double>(report.duration).count(), metrics_);
    last_cycle_ = std::chrono::steady_clock::now().time_since_epoch().count();
    ++cycles_;
    if (!report.incomplete) {
        observed_ = true;
        return;
    }
    std::string why;
    for (const auto& [name, health] : report.observation.accounts)
        if (!health.complete) why += (why.empty() ? "" : ", ") + name;
    why = why.empty() ? "some image versions could not be read" : "accounts not observed: " + why;
    std::lock_guard lock(mutex_);
    unobserved_ = std::move(why);
}

Sources Observability::sources(const reconcile::StatusStore& status) {
    Sources s;
    // The per-pool rows are built for each scrape from the snapshot and freed with its
    // exposition: none are kept between scrapes. The snapshot itself is not held while the
    // body is sent (a held snapshot makes the next cycle publish into a copy).
    s.metrics_stream = [this, &status] {
        auto snapshot = status.get();
        UpdateMetricsButPools(*snapshot, metrics_);
        auto e = std::make_shared<metrics::Metrics::Exposition>(
            metrics_.exposition(snapshot->pools.size(), PoolSamples(*snapshot)));
        return http::BodySource([e](std::string& out) { return e->next(out); });
    };
    s.metrics = [stream = s.metrics_stream] {
        auto body = stream();
        std::string out;
        while (body(out)) {
        }
        return out;
    };
    s.status = [&status, last = std::make_shared<std::size_t>(0)] {
        auto text = reconcile::RenderStatus(*status.get(), *last + *last / 8);
        *last = text.size();
        return text;
    };
    s.status_stream = [&status] {
        auto r = std::make_shared<reconcile::StatusRenderer>(status.get());
        return http::BodySource([r](std::string& out) { return r->next(out); });
    };
    s.health.started = started_;
    s.health.interval = interval_;
    s.health.last_cycle = [this]() -> std::optional<SteadyTime> {
        auto ticks = last_cycle_.load();
        if (ticks == 0) return std::nullopt;
        return SteadyTime(SteadyTime::duration(ticks));
    };
    s.readiness = {
        {"config",
         [this]() -> std::optional<std::string> {
             if (config_loaded_) return std::nullopt;
             return "no configuration loaded yet";
         }},
        {"token",
         [this]() -> std::optional<std::string> {
             if (observer_.token_acquired()) return std::nullopt;
             auto failures = observer_.token_failures();
             if (failures == 0) return "no Entra ID token acquired yet";
             return fmt::format(
                 "no Entra ID token acquired yet ({} failed attempt(s); see the "
                 "log)",
                 failures);
         }},
        {"observation",
         [this]() -> std::optional<std::string> {
             if (observed_) return std::nullopt;
             if (cycles_ == 0) return "no reconcile cycle finished yet";
             std::lock_guard lock(mutex_);
             return "no complete observation yet (" + unobserved_ + ")";
         }},
    };
    return s;
}

Result<std::uint16_t, std::string> Observability::start(asio::any_io_executor executor,
                                                        const reconcile::StatusStore& status) {
    executor_ = executor;
    sources_ = std::make_shared<Sources>(sources(status));
    auto server = bind(listen_);
    if (!server) return pw::Err{std::move(server).error()};
    server_ = std::move(*server);
    return server_->port();
}

Result<std::uint16_t, std::string> Observability::rebind(const std::string& listen,
                                                         int max_connections) {
    if (!server_) return pw::Err{std::string("listen: the endpoints are not started")};
    auto parsed = ParseListen(listen);
    if (!parsed) return pw::Err{parsed.error()};
    const auto cap = static_cast<std::size_t>(std::max(1, max_connections));
    if (auto current = ParseListen(listen_); current && *current == *parsed) {
        listen_ = listen;  // the same address spelled differently
        if (cap != max_connections_) server_->set_max_connections(cap);
        max_connections_ = cap;
        return server_->port();
    }
    const auto previous_cap = max_connections_;
    max_connections_ = cap;
    auto server = bind(listen);
    if (!server) {
        max_connections_ = previous_cap;
        return pw::Err{std::move(server).error()};
    }
    server_->Stop();
    server_ = std::move(*server);
    listen_ = listen;
    return server_->port();
}

Result<std::unique_ptr<http::Server>, std::string> Observability::bind(const std::string& listen) {
    auto parsed = ParseListen(listen);
    if (!parsed) return pw::Err{parsed.error()};
    auto [host, port] = *parsed;
    http::ServerOptions options;
    options.host = host;
    options.port = port;
    // A local user opening thousands of connections costs at most max_connections_ file
    // descriptors (the rest are closed at once), each for at most idle_timeout.
    options.max_connections = max_connections_;
    options.idle_timeout = kIdleTimeout;
    options.read_timeout = std::chrono::seconds(10);
    options.write_timeout = std::chrono::seconds(30);
    options.handler_timeout = std::chrono::seconds(10);
    options.body_limit = 64U * 1024U;
    auto handler = [src = sources_](const http::Request& request) -> asio::awaitable<http::Reply> {
        co_return Answer(*src, request);
    };
    auto server = std::make_unique<http::Server>(executor_, options, handler);
    try {
        server->Start();
    } catch (const boost::system::system_error& e) {
        return pw::Err{fmt::format("listen {}: {}", listen, e.code().message())};
    }
    auto bound = server->endpoint();
    if (!bound.address().is_loopback())
        log::Write(spdlog::level::warn,
                   "observability endpoints listen on a non-loopback address; /status and "
                   "/metrics are readable by anyone who can reach it",
                   {{"listen", listen}});
    log::Write(spdlog::level::info, "observability endpoints listening",
               {{"address", fmt::format("{}:{}", bound.address().to_string(), bound.port())}});
    return server;
}

void Observability::stop() {
    if (server_) server_->Stop();
}

}  // namespace pw::server
