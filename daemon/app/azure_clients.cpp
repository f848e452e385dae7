#include "app/azure_clients.hpp"

#include "azure/arm_client.hpp"
#include "azure/batch_client.hpp"
#include "azure/observer.hpp"
#include "azure/token.hpp"
#include "azure/transport.hpp"
#include "http/client.hpp"
#include "http/rate_limit.hpp"
#include "http/url.hpp"

namespace pw::app {

namespace {

bool IsLoopbackHttp(const std::string& url) {
    for (const char* prefix : {"http://127.", "http://localhost", "http://[::1]"})
        if (url.rfind(prefix, 0) == 0) return true;
    return false;
}

class RealClients final : public AzureClients {
  public:
    RealClients(const config::DaemonConfig& daemon, boost::asio::any_io_executor ex,
                azure::RequestObserver* observer)
        : http_(ex,
                [&] {
                    http::ClientOptions o;
                    o.ca_file = daemon.tls.ca_file;
                    return o;
                }()),
          limiter_(azure::DefaultRateLimit) {
        observer_ = observer;
    }

    Result<Unit, std::string> init(const config::DaemonConfig& daemon) {
        auto fetcher =
            azure::MakeTokenFetcher(daemon.auth, daemon.cloud, http_, azure::ProcessEnv, observer_);
        if (!fetcher) return Err{fetcher.error()};
        tokens_ = std::make_unique<azure::TokenCache>(std::move(*fetcher), nullptr, observer_);
        azure::TransportOptions topt;
        topt.observer = observer_;
        transport_ = std::make_unique<azure::Transport>(http_, *tokens_, limiter_, topt);
        azure::BatchClientOptions bopt;
        bopt.resource = daemon.cloud.batch_resource;
        bopt.plain_http_loopback = IsLoopbackHttp(daemon.cloud.resource_manager);
        batch_ = std::make_unique<azure::BatchClient>(*transport_, bopt);
        azure::ArmClientOptions aopt;
        aopt.resource_manager = daemon.cloud.resource_manager;
        aopt.resource = daemon.cloud.management_resource;
        arm_ = std::make_unique<azure::ArmClient>(*transport_, aopt);
        return Unit{};
    }

    azure::BatchApi& batch() override { return *batch_; }
    azure::ArmApi& arm() override { return *arm_; }
    void shutdown() override {
        if (tokens_) tokens_->shutdown();
        http_.shutdown();
    }

  private:
    azure::RequestObserver* observer_ = nullptr;
    http::Client http_;
    http::RateLimiter limiter_;
    std::unique_ptr<azure::TokenCache> tokens_;
    std::unique_ptr<azure::Transport> transport_;
    std::unique_ptr<azure::BatchClient> batch_;
    std::unique_ptr<azure::ArmClient> arm_;
};

}  // namespace

Result<std::unique_ptr<AzureClients>, std::string> MakeAzureClients(
    const config::DaemonConfig& daemon, boost::asio::any_io_executor executor,
    azure::RequestObserver* observer) {
    auto clients = std::make_unique<RealClients>(daemon, executor, observer);
    auto ok = clients->init(daemon);
    if (!ok) return Err{ok.error()};
    return std::unique_ptr<AzureClients>(std::move(clients));
}

}  // namespace pw::app
