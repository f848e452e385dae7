#include "azure/stack.hpp"

#include <tuple>

#include "http/url.hpp"

namespace pw::azure {

pw::Result<std::unique_ptr<AzureStack>, std::string> AzureStack::Create(
    boost::asio::any_io_executor executor, const config::DaemonConfig& config,
    RequestObserver* observer, GetEnv env) {
    std::unique_ptr<AzureStack> stack(new AzureStack());
    http::ClientOptions options;
    options.ca_file = config.tls.ca_file;
    try {
        stack->http_ = std::make_unique<http::Client>(std::move(executor), options);
    } catch (const std::exception& e) {
        return pw::Err{std::string(e.what())};
    }
    auto rm = http::ParseUrl(config.cloud.resource_manager);
    if (!rm) return pw::Err{"cloud.resourceManager: " + rm.error()};
    auto fetcher =
        MakeTokenFetcher(config.auth, config.cloud, *stack->http_, std::move(env), observer);
    if (!fetcher) return pw::Err{std::move(fetcher).error()};
    stack->tokens_ = std::make_unique<TokenCache>(std::move(fetcher).value(), nullptr, observer);
    stack->limiter_ = std::make_unique<http::RateLimiter>(
        [limits = config.limits](const std::string& key) { return RateLimitFor(limits, key); });
    stack->transport_ = std::make_unique<Transport>(
        *stack->http_, *stack->tokens_, *stack->limiter_,
        TransportOptions{.retry = RetryPolicy{}, .random01 = nullptr, .observer = observer});
    BatchClientOptions batch;
    batch.resource = config.cloud.batch_resource;
    batch.plain_http_loopback = !rm->tls() && http::IsLoopbackHost(rm->host);
    stack->batch_ = std::make_unique<BatchClient>(*stack->transport_, batch);
    ArmClientOptions arm;
    arm.resource_manager = config.cloud.resource_manager;
    arm.resource = config.cloud.management_resource;
    stack->arm_ = std::make_unique<ArmClient>(*stack->transport_, arm);
    ArmPoolClientOptions arm_pools;
    arm_pools.resource_manager = config.cloud.resource_manager;
    arm_pools.resource = config.cloud.management_resource;
    stack->arm_pools_ = std::make_unique<ArmPoolClient>(*stack->transport_, arm_pools);
    stack->pools_ = std::make_unique<PoolApiRouter>(*stack->batch_, *stack->arm_pools_);
    return stack;
}

bool AzureStack::SameSettings(const config::DaemonConfig& a, const config::DaemonConfig& b) {
    auto cloud = [](const config::CloudEndpoints& c) {
        return std::tie(c.name, c.resource_manager, c.authority_host, c.batch_resource,
                        c.management_resource, c.imds_endpoint);
    };
    auto auth = [](const config::AuthConfig& x) {
        return std::tie(x.method, x.tenant_id, x.client_id, x.client_secret_file,
                        x.federated_token_file);
    };
    return cloud(a.cloud) == cloud(b.cloud) && auth(a.auth) == auth(b.auth) &&
           a.tls.ca_file == b.tls.ca_file && a.limits == b.limits;
}

void AzureStack::shutdown() {
    http_->shutdown();
    tokens_->shutdown();
}

}  // namespace pw::azure
