// Replacing the Azure clients at a reload (app::SwitchingClients): new calls go to the new
// clients once installed, a call in flight finishes on the old ones, which live until then.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "app/azure_clients.hpp"
#include "support/fake_azure.hpp"
#include "support/run.hpp"

namespace pw::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeAzure;

/// One set of clients: a FakeAzure world of its own.
class FakeClients final : public AzureClients {
  public:
    explicit FakeClients(int* shutdowns) : shutdowns_(shutdowns) {
        azure.add_account(testing::MakeAccount("eus"), "eastus");
    }
    azure::BatchApi& batch() override { return azure; }
    azure::ArmApi& arm() override { return azure; }
    void shutdown() override { ++*shutdowns_; }

    FakeAzure azure;

  private:
    int* shutdowns_;
};

const std::string kEndpoint = "https://eusbatch.eastus.batch.azure.com";

/// Runs one call to completion; true when it succeeded.
template <class T>
bool Call(boost::asio::awaitable<azure::Result<T>> call) {
    return testing::RunSync([](auto c) -> boost::asio::awaitable<bool> {
        co_return static_cast<bool>(co_await std::move(c));
    }(std::move(call)));
}

azure::PoolAddRequest Add(const std::string& id) {
    return {testing::MakePool(id, "eus", testing::kVersion140, 10), std::nullopt};
}

TEST(SwitchingClientsTest, StagedClientsServeOnlyCallsAfterInstall) {
    int shutdowns = 0;
    auto first = std::make_shared<FakeClients>(&shutdowns);
    auto second = std::make_shared<FakeClients>(&shutdowns);
    SwitchingClients clients(first);
    EXPECT_FALSE(clients.install()) << "nothing staged";

    clients.stage(second);
    EXPECT_TRUE(Call(clients.list_pools(kEndpoint)));
    EXPECT_EQ(first->azure.count("LIST pools"), 1) << "staged is not yet in force";
    EXPECT_EQ(second->azure.count("LIST pools"), 0);

    EXPECT_TRUE(clients.install());
    EXPECT_TRUE(Call(clients.list_pools(kEndpoint)));
    EXPECT_TRUE(Call(clients.get_batch_account(testing::MakeAccount("eus"))));
    EXPECT_EQ(first->azure.count("LIST pools"), 1);
    EXPECT_EQ(second->azure.count("LIST pools"), 1);
    EXPECT_EQ(second->azure.count("GET account"), 1);
}

TEST(SwitchingClientsTest, AWriteInFlightFinishesOnTheOldClientsWhichLiveUntilThen) {
    int shutdowns = 0;
    auto first = std::make_shared<FakeClients>(&shutdowns);
    first->azure.write_delay = 300ms;
    std::weak_ptr<FakeClients> old = first;
    SwitchingClients clients(std::move(first));

    boost::asio::io_context ctx;
    std::optional<azure::Result<Unit>> added;
    boost::asio::co_spawn(
        ctx,
        [&]() -> boost::asio::awaitable<void> {
            added = co_await clients.add_pool(kEndpoint, Add("p1"));
        },
        boost::asio::detached);
    ctx.run_for(50ms);  // the add is suspended in its write
    ASSERT_FALSE(added.has_value());

    auto second = std::make_shared<FakeClients>(&shutdowns);
    clients.stage(second);
    ASSERT_TRUE(clients.install());
    EXPECT_FALSE(old.expired()) << "the add in flight still holds the old clients";
    clients.shutdown();
    EXPECT_EQ(shutdowns, 2) << "shutdown reaches the clients in force and the old ones in use";

    boost::asio::co_spawn(
        ctx,
        [&]() -> boost::asio::awaitable<void> { (void)co_await clients.list_pools(kEndpoint); },
        boost::asio::detached);
    ctx.run();
    ASSERT_TRUE(added.has_value());
    EXPECT_TRUE(*added) << "the old clients' write completed";
    EXPECT_TRUE(old.expired()) << "old clients destroyed once their last call returned";
    EXPECT_EQ(second->azure.count("POST pool"), 0);
    EXPECT_EQ(second->azure.count("LIST pools"), 1) << "the next call went to the new clients";
}

TEST(SwitchingClientsTest, WriteGateRefusesWritesUnsentAndLetsReadsPass) {
    int shutdowns = 0;
    auto fake = std::make_shared<FakeClients>(&shutdowns);
    SwitchingClients clients(fake);
    std::optional<std::string> hold = "standby; pw-a leads";
    clients.set_write_gate([&] { return hold; });
    auto refused = testing::RunSync(
        [](SwitchingClients& c) -> boost::asio::awaitable<std::optional<azure::Error>> {
            auto r = co_await c.add_pool(kEndpoint, Add("p1"));
            if (r) co_return std::nullopt;
            co_return r.error();
        }(clients));
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->kind, azure::ErrorKind::Cancelled);
    EXPECT_EQ(refused->code, "NotLeader");
    EXPECT_FALSE(refused->request_sent);
    EXPECT_EQ(fake->azure.count("POST pool"), 0) << "never reaches Azure";
    EXPECT_FALSE(Call(clients.update_target_regions(testing::kVersion140, {})));
    EXPECT_TRUE(Call(clients.list_pools(kEndpoint))) << "reads pass";
    hold.reset();  // leading again
    EXPECT_TRUE(Call(clients.add_pool(kEndpoint, Add("p1"))));
    EXPECT_EQ(fake->azure.count("POST pool"), 1);
}

}  // namespace
}  // namespace pw::app
