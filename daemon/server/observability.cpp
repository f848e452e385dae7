#include "server/observability.hpp"

#include <fmt/format.h>

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
    // The reconciler stamps `finished` with the pass's logical time (= started); the wall time
    // of the pass runs from `started` (the loop's clock reading) to now.
    auto took = std::chrono::duration<double>(std::chrono::system_clock::now() - report.started);
    RecordCycle(report, report.started == reconcile::TimePoint{} ? 0.0 : took.count(), metrics_);
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
    s.metrics = [this, &status] {
        UpdateMetrics(*status.get(), metrics_);
        return metrics_.serialize();
    };
    s.status = [&status, last = std::make_shared<std::size_t>(0)] {
        auto text = reconcile::RenderStatus(*status.get(), *last + *last / 8);
        *last = text.size();
        return text;
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
    auto parsed = ParseListen(listen_);
    if (!parsed) return pw::Err{parsed.error()};
    auto [host, port] = *parsed;
    http::ServerOptions options;
    options.host = host;
    options.port = port;
    options.read_timeout = std::chrono::seconds(30);
    options.write_timeout = std::chrono::seconds(30);
    options.handler_timeout = std::chrono::seconds(10);
    options.body_limit = 64U * 1024U;
    auto handler = [src = std::make_shared<Sources>(sources(status))](
                       const http::Request& request) -> asio::awaitable<http::Reply> {
        co_return http::Reply{Handle(*src, request)};
    };
    server_ = std::make_unique<http::Server>(executor, options, handler);
    try {
        server_->Start();
    } catch (const boost::system::system_error& e) {
        server_.reset();
        return pw::Err{fmt::format("listen {}: {}", listen_, e.code().message())};
    }
    auto bound = server_->endpoint();
    if (!bound.address().is_loopback())
        log::Write(spdlog::level::warn,
                   "observability endpoints listen on a non-loopback address; /status and "
                   "/metrics are readable by anyone who can reach it",
                   {{"listen", listen_}});
    log::Write(spdlog::level::info, "observability endpoints listening",
               {{"address", fmt::format("{}:{}", bound.address().to_string(), bound.port())}});
    return bound.port();
}

void Observability::stop() {
    if (server_) server_->Stop();
}

}  // namespace pw::server
