#include "app/azure_clients.hpp"

#include "azure/stack.hpp"

namespace pw::app {

namespace {

class StackClients final : public AzureClients {
  public:
    explicit StackClients(std::unique_ptr<azure::AzureStack> stack) : stack_(std::move(stack)) {}

    azure::BatchApi& batch() override { return stack_->batch(); }
    azure::ArmApi& arm() override { return stack_->arm(); }
    void shutdown() override { stack_->shutdown(); }

  private:
    std::unique_ptr<azure::AzureStack> stack_;
};

}  // namespace

bool ClientSettingsChanged(const config::DaemonConfig& running, const config::DaemonConfig& next) {
    return !azure::AzureStack::SameSettings(running, next);
}

SwitchingClients::SwitchingClients(std::shared_ptr<AzureClients> initial)
    : current_(std::move(initial)) {}

bool SwitchingClients::install() {
    if (!staged_) return false;
    std::erase_if(retired_, [](const auto& w) { return w.expired(); });
    retired_.push_back(current_);
    current_ = std::move(staged_);
    staged_.reset();
    return true;
}

void SwitchingClients::shutdown() {
    current_->shutdown();
    if (staged_) staged_->shutdown();
    for (auto& w : retired_)
        if (auto old = w.lock()) old->shutdown();
}

// Each call copies current_ into its own frame: the clients it started on live until it ends.

boost::asio::awaitable<azure::Result<std::vector<model::ObservedPool>>>
SwitchingClients::list_pools(const std::string& endpoint) {
    auto c = current_;
    co_return co_await c->batch().list_pools(endpoint);
}

boost::asio::awaitable<azure::Result<model::ObservedPool>> SwitchingClients::get_pool(
    const std::string& endpoint, const std::string& pool_id) {
    auto c = current_;
    co_return co_await c->batch().get_pool(endpoint, pool_id);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::add_pool(
    const std::string& endpoint, const azure::PoolAddRequest& request) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().add_pool(endpoint, request);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::resize_pool(
    const std::string& endpoint, const std::string& pool_id,
    const azure::PoolResizeRequest& request, const std::string& if_match) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().resize_pool(endpoint, pool_id, request, if_match);
}

boost::asio::awaitable<azure::Result<azure::AutoScaleRun>> SwitchingClients::evaluate_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale) {
    auto c = current_;
    co_return co_await c->batch().evaluate_auto_scale(endpoint, pool_id, autoscale);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::enable_auto_scale(
    const std::string& endpoint, const std::string& pool_id, const model::AutoScale& autoscale,
    const std::string& if_match) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().enable_auto_scale(endpoint, pool_id, autoscale, if_match);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::disable_auto_scale(
    const std::string& endpoint, const std::string& pool_id) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().disable_auto_scale(endpoint, pool_id);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::delete_pool(
    const std::string& endpoint, const std::string& pool_id, const std::string& if_match) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().delete_pool(endpoint, pool_id, if_match);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::stop_resize(
    const std::string& endpoint, const std::string& pool_id) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().stop_resize(endpoint, pool_id);
}

boost::asio::awaitable<azure::Result<Unit>> SwitchingClients::patch_pool(
    const std::string& endpoint, const std::string& pool_id, const azure::PoolPatchRequest& request,
    const std::string& if_match) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->batch().patch_pool(endpoint, pool_id, request, if_match);
}

boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>>
SwitchingClients::list_node_agent_skus(const std::string& endpoint) {
    auto c = current_;
    co_return co_await c->batch().list_node_agent_skus(endpoint);
}

boost::asio::awaitable<azure::Result<model::NodeCounts>> SwitchingClients::list_node_counts(
    const std::string& endpoint, const std::string& pool_id) {
    auto c = current_;
    co_return co_await c->batch().list_node_counts(endpoint, pool_id);
}

boost::asio::awaitable<azure::Result<std::string>> SwitchingClients::get_subscription_tenant(
    const std::string& subscription_id) {
    auto c = current_;
    co_return co_await c->arm().get_subscription_tenant(subscription_id);
}

boost::asio::awaitable<azure::Result<std::string>> SwitchingClients::get_provider_registration(
    const std::string& subscription_id, const std::string& provider_namespace) {
    auto c = current_;
    co_return co_await c->arm().get_provider_registration(subscription_id, provider_namespace);
}

boost::asio::awaitable<azure::Result<azure::AccountInfo>> SwitchingClients::get_batch_account(
    const model::AccountSpec& account) {
    auto c = current_;
    co_return co_await c->arm().get_batch_account(account);
}

boost::asio::awaitable<azure::Result<std::vector<model::VmSku>>>
SwitchingClients::list_supported_vm_skus(const std::string& subscription_id,
                                         const std::string& location) {
    auto c = current_;
    co_return co_await c->arm().list_supported_vm_skus(subscription_id, location);
}

boost::asio::awaitable<azure::Result<model::ObservedImage>> SwitchingClients::get_image(
    const std::string& image_definition_id) {
    auto c = current_;
    co_return co_await c->arm().get_image(image_definition_id);
}

boost::asio::awaitable<azure::Result<std::vector<model::ImageVersionListing>>>
SwitchingClients::list_image_versions(const std::string& image_definition_id) {
    auto c = current_;
    co_return co_await c->arm().list_image_versions(image_definition_id);
}

boost::asio::awaitable<azure::Result<model::ObservedImageVersion>>
SwitchingClients::get_image_version(const std::string& image_version_id) {
    auto c = current_;
    co_return co_await c->arm().get_image_version(image_version_id);
}

boost::asio::awaitable<azure::Result<model::ObservedImageVersion>>
SwitchingClients::update_target_regions(const std::string& image_version_id,
                                        const std::vector<model::TargetRegion>& regions) {
    if (auto refused = refuse_write()) co_return pw::Err{std::move(*refused)};
    auto c = current_;
    co_return co_await c->arm().update_target_regions(image_version_id, regions);
}

std::optional<azure::Error> SwitchingClients::refuse_write() const {
    if (!write_gate_) return std::nullopt;
    auto why = write_gate_();
    if (!why) return std::nullopt;
    // Never sent: kind Cancelled, so the item is not put in backoff; the next pass retries.
    return azure::MakeError(azure::ErrorKind::Cancelled, "not written: " + *why, 0, "NotLeader",
                            false);
}

Result<std::unique_ptr<AzureClients>, std::string> MakeAzureClients(
    const config::DaemonConfig& daemon, boost::asio::any_io_executor executor,
    azure::RequestObserver* observer) {
    auto stack = azure::AzureStack::Create(std::move(executor), daemon, observer);
    if (!stack) return Err{std::move(stack).error()};
    return std::unique_ptr<AzureClients>(std::make_unique<StackClients>(std::move(stack).value()));
}

}  // namespace pw::app
