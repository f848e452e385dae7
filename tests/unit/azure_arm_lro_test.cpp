// The ARM client's long-running-operation polling against an in-process server playing ARM:
// malformed operation status bodies end as typed errors, never as exceptions.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include "azure/arm_client.hpp"
#include "azure/errors.hpp"
#include "http/server.hpp"

namespace pw::azure {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

const std::string kVersionId =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
    "Microsoft.Compute/galleries/g/images/i/versions/1.0.0";

class StaticTokens final : public TokenSource {
  public:
    net::awaitable<Result<std::string>> token(const std::string&, bool) override {
        co_return std::string("token");
    }
};

/// ARM answering the PATCH with 202 and an Azure-AsyncOperation URL whose status body is
/// `operation_body`.
class ArmLroTest : public ::testing::Test {
  protected:
    void Start(std::string operation_body) {
        arm_.reset();
        transport_.reset();
        client_.reset();
        server_.reset();
        operation_body_ = std::move(operation_body);
        server_ = std::make_unique<http::Server>(
            io_.get_executor(), http::ServerOptions{},
            [this](const http::Request& req) -> net::awaitable<http::Reply> {
                http::Reply reply;
                auto& res = reply.response;
                res.set(bhttp::field::content_type, "application/json");
                const std::string target(req.target());
                if (req.method() == bhttp::verb::patch) {
                    res.result(bhttp::status::accepted);
                    res.set("Azure-AsyncOperation", base_ + "operations/op1?api-version=x");
                    res.set("Retry-After", "0");
                } else if (target.find("/operations/op1") != std::string::npos) {
                    ++polls_;
                    res.result(bhttp::status::ok);
                    res.body() = operation_body_;
                } else {
                    res.result(bhttp::status::not_found);
                    res.body() = R"({"error":{"code":"NotFound","message":"no"}})";
                }
                co_return reply;
            });
        server_->Start();
        base_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/";
        client_ = std::make_unique<http::Client>(io_.get_executor(), http::ClientOptions{});
        transport_ = std::make_unique<Transport>(
            *client_, tokens_, limiter_,
            TransportOptions{.retry = {}, .random01 = [] { return 0.5; }});
        ArmClientOptions options;
        options.resource_manager = base_;
        options.lro_poll_interval = 10ms;
        options.deadline = 5s;
        options.attempt_timeout = 2s;
        options.lro_deadline = 5s;
        arm_ = std::make_unique<ArmClient>(*transport_, options);
    }
    void TearDown() override {
        if (server_) server_->Stop();
    }

    /// Runs the PATCH; an exception escaping the client fails the test.
    Result<model::ObservedImageVersion> Patch() {
        std::optional<Result<model::ObservedImageVersion>> out;
        std::exception_ptr escaped;
        net::co_spawn(
            io_,
            [&]() -> net::awaitable<void> {
                const std::vector<model::TargetRegion> regions = {
                    {"East US", 2, "Standard_LRS", ""}};
                auto result = co_await arm_->update_target_regions(kVersionId, regions);
                out.emplace(std::move(result));
                server_->Stop();
                client_->shutdown();
            },
            [&](std::exception_ptr e) {
                escaped = e;
                server_->Stop();
                client_->shutdown();
            });
        io_.run_for(10s);
        if (escaped) {
            try {
                std::rethrow_exception(escaped);
            } catch (const std::exception& e) {
                ADD_FAILURE() << "exception escaped the ARM client: " << e.what();
            }
        }
        if (!out) throw std::runtime_error("the PATCH did not finish");
        return std::move(*out);
    }

    net::io_context io_;
    std::string base_;
    std::string operation_body_;
    int polls_ = 0;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<http::Client> client_;
    StaticTokens tokens_;
    http::RateLimiter limiter_{DefaultRateLimit};
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<ArmClient> arm_;
};

TEST_F(ArmLroTest, FailedOperationCarriesItsErrorCode) {
    Start(R"({"status":"Failed","error":{"code":"ReplicationFailed","message":"busy"}})");
    auto r = Patch();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Server);
    EXPECT_EQ(r.error().code, "ReplicationFailed");
    EXPECT_EQ(r.error().message, "busy");
    EXPECT_EQ(polls_, 1);
}

TEST_F(ArmLroTest, NonStringCodeInTheOperationErrorIsADecodeError) {
    Start(R"({"status":"Failed","error":{"code":409,"message":"busy"}})");
    auto r = Patch();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Decode);
    EXPECT_NE(r.error().message.find("error.code: expected string, got integer"), std::string::npos)
        << r.error().str();
}

TEST_F(ArmLroTest, NonStringMessageOrStatusIsADecodeError) {
    for (const char* body : {R"({"status":"Failed","error":{"code":"X","message":{"a":1}}})",
                             R"({"status":["Failed"]})", R"([1,2])"}) {
        SCOPED_TRACE(body);
        io_.restart();
        Start(body);
        auto r = Patch();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind, ErrorKind::Decode) << r.error().str();
    }
}

}  // namespace
}  // namespace pw::azure
