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

Result<std::unique_ptr<AzureClients>, std::string> MakeAzureClients(
    const config::DaemonConfig& daemon, boost::asio::any_io_executor executor,
    azure::RequestObserver* observer) {
    auto stack = azure::AzureStack::Create(std::move(executor), daemon, observer);
    if (!stack) return Err{std::move(stack).error()};
    return std::unique_ptr<AzureClients>(std::make_unique<StackClients>(std::move(stack).value()));
}

}  // namespace pw::app
