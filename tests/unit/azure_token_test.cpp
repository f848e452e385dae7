#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "azure/errors.hpp"
#include "azure/token.hpp"

namespace pw::azure {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;

/// A fetcher that takes 20 ms and hands out numbered tokens living `lifetime`.
class FakeFetcher final : public TokenFetcher {
  public:
    FakeFetcher(int* calls, SysClock::time_point* now, SysClock::duration lifetime, bool* fail)
        : calls_(calls), now_(now), lifetime_(lifetime), fail_(fail) {}
    net::awaitable<Result<AccessToken>> fetch(const std::string& resource) override {
        ++*calls_;
        net::steady_timer timer(co_await net::this_coro::executor, 20ms);
        co_await timer.async_wait(net::use_awaitable);
        if (*fail_)
            co_return pw::Err{
                MakeError(ErrorKind::Auth, "AADSTS7000215: invalid secret", 401, "invalid_client")};
        co_return AccessToken{resource + "#" + std::to_string(*calls_), *now_ + lifetime_};
    }
    std::string_view method() const override { return "fake"; }

  private:
    int* calls_;
    SysClock::time_point* now_;
    SysClock::duration lifetime_;
    bool* fail_;
};

struct Fixture {
    int calls = 0;
    bool fail = false;
    SysClock::time_point now = SysClock::time_point(std::chrono::seconds(1795862400));
    TokenCache cache;
    explicit Fixture(SysClock::duration lifetime = 1h)
        : cache(std::make_unique<FakeFetcher>(&calls, &now, lifetime, &fail),
                [this] { return now; }) {}

    Result<std::string> Get(const std::string& resource, bool force = false) {
        net::io_context io;
        std::optional<Result<std::string>> out;
        net::co_spawn(
            io, [&]() -> net::awaitable<void> { out = co_await cache.token(resource, force); },
            net::detached);
        io.run();
        return std::move(*out);
    }
};

TEST(TokenCacheTest, OneFetchInFlightHoweverManyWaiters) {
    Fixture f;
    net::io_context io;
    std::vector<std::optional<Result<std::string>>> results(50);
    for (auto& slot : results) {
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                slot = co_await f.cache.token("https://batch.core.windows.net/", false);
            },
            net::detached);
    }
    io.run();
    EXPECT_EQ(f.calls, 1);
    for (const auto& r : results) {
        ASSERT_TRUE(r && r->ok());
        EXPECT_EQ(r->value(), "https://batch.core.windows.net/#1");
    }
}

TEST(TokenCacheTest, OneTokenPerResource) {
    Fixture f;
    EXPECT_EQ(f.Get("https://batch.core.windows.net/").value(),
              "https://batch.core.windows.net/#1");
    EXPECT_EQ(f.Get("https://management.core.windows.net/").value(),
              "https://management.core.windows.net/#2");
    EXPECT_EQ(f.Get("https://batch.core.windows.net/").value(),
              "https://batch.core.windows.net/#1");
    EXPECT_EQ(f.calls, 2);
}

TEST(TokenCacheTest, RefreshesFiveMinutesBeforeExpiry) {
    Fixture f(1h);
    const auto start = f.now;
    EXPECT_EQ(f.Get("r").value(), "r#1");
    f.now = start + 54min + 59s;
    EXPECT_EQ(f.Get("r").value(), "r#1");
    EXPECT_EQ(f.calls, 1);
    f.now = start + 55min;
    EXPECT_EQ(f.Get("r").value(), "r#2");
    EXPECT_EQ(f.calls, 2);
}

TEST(TokenCacheTest, ShortLivedTokensRefreshAtHalfLife) {
    EXPECT_EQ(TokenCache::RefreshAt(SysClock::time_point{}, SysClock::time_point{} + 8min),
              SysClock::time_point{} + 4min);
    EXPECT_EQ(TokenCache::RefreshAt(SysClock::time_point{}, SysClock::time_point{} + 10min),
              SysClock::time_point{} + 5min);
    EXPECT_EQ(TokenCache::RefreshAt(SysClock::time_point{}, SysClock::time_point{} + 24h),
              SysClock::time_point{} + 24h - 5min);
    Fixture f(2min);
    EXPECT_EQ(f.Get("r").value(), "r#1");
    f.now += 59s;
    EXPECT_EQ(f.Get("r").value(), "r#1");
    f.now += 1s;
    EXPECT_EQ(f.Get("r").value(), "r#2");
}

TEST(TokenCacheTest, ForceRefreshFetchesANewToken) {
    Fixture f;
    EXPECT_EQ(f.Get("r").value(), "r#1");
    EXPECT_EQ(f.Get("r", true).value(), "r#2");
    EXPECT_EQ(f.Get("r").value(), "r#2");
}

TEST(TokenCacheTest, FailedRefreshKeepsAStillValidToken) {
    Fixture f(1h);
    EXPECT_EQ(f.Get("r").value(), "r#1");
    f.fail = true;
    f.now += 56min;  // due for refresh, 4 minutes left
    EXPECT_EQ(f.Get("r").value(), "r#1");
    f.now += 4min;  // expired
    auto r = f.Get("r");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Auth);
    EXPECT_NE(r.error().message.find("AADSTS7000215"), std::string::npos);
}

TEST(TokenCacheTest, WaitersShareAFailure) {
    Fixture f;
    f.fail = true;
    net::io_context io;
    int failures = 0;
    for (int i = 0; i < 5; ++i) {
        net::co_spawn(
            io,
            [&]() -> net::awaitable<void> {
                auto r = co_await f.cache.token("r", false);
                if (!r.ok() && r.error().code == "invalid_client") ++failures;
            },
            net::detached);
    }
    io.run();
    EXPECT_EQ(f.calls, 1);
    EXPECT_EQ(failures, 5);
}

/// A fetcher following a script, one step per call: how long it takes, and whether it then
/// throws instead of answering.
class ScriptedFetcher final : public TokenFetcher {
  public:
    struct Step {
        std::chrono::milliseconds delay;
        bool throws = false;
    };
    explicit ScriptedFetcher(std::vector<Step> steps, int* calls)
        : steps_(std::move(steps)), calls_(calls) {}
    net::awaitable<Result<AccessToken>> fetch(const std::string& resource) override {
        const Step step = steps_.at(static_cast<std::size_t>(*calls_));
        ++*calls_;
        net::steady_timer timer(co_await net::this_coro::executor, step.delay);
        co_await timer.async_wait(net::use_awaitable);
        if (step.throws) throw std::runtime_error("fetcher bug");
        co_return AccessToken{resource + "#" + std::to_string(*calls_), SysClock::now() + 1h};
    }
    std::string_view method() const override { return "scripted"; }

  private:
    std::vector<Step> steps_;
    int* calls_;
};

TEST(TokenCacheTest, AFetchThatThrowsDoesNotStrandItsWaiters) {
    int calls = 0;
    TokenCache cache(std::make_unique<ScriptedFetcher>(
        std::vector<ScriptedFetcher::Step>{{50ms, true}, {20ms}}, &calls));
    net::io_context io;
    bool leader_threw = false;
    std::optional<Result<std::string>> waiter, later;
    net::co_spawn(
        io, [&]() -> net::awaitable<void> { (void)co_await cache.token("r", false); },
        [&](std::exception_ptr e) { leader_threw = e != nullptr; });
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            waiter = co_await cache.token("r", false);
            later = co_await cache.token("r", false);
        },
        net::detached);
    io.run_for(5s);
    EXPECT_TRUE(leader_threw);
    ASSERT_TRUE(waiter) << "the waiter of the failed fetch still waits";
    ASSERT_TRUE(waiter->ok());
    EXPECT_EQ(waiter->value(), "r#2");
    ASSERT_TRUE(later && later->ok());
    EXPECT_EQ(later->value(), "r#2");
    EXPECT_EQ(calls, 2);
}

TEST(TokenCacheTest, ACancelledFetchDoesNotStrandItsWaiters) {
    using namespace net::experimental::awaitable_operators;
    int calls = 0;
    TokenCache cache(std::make_unique<ScriptedFetcher>(
        std::vector<ScriptedFetcher::Step>{{10s}, {20ms}, {20ms}}, &calls));
    net::io_context io;
    bool leader_timed_out = false;
    std::optional<Result<std::string>> waiter;
    // The first caller gives up after 50 ms (its deadline), abandoning the slow fetch.
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            net::steady_timer deadline(io, 50ms);
            auto r = co_await (cache.token("r", false) || deadline.async_wait(net::use_awaitable));
            leader_timed_out = r.index() == 1;
        },
        net::detached);
    net::co_spawn(
        io, [&]() -> net::awaitable<void> { waiter = co_await cache.token("r", false); },
        net::detached);
    io.run_for(5s);
    EXPECT_TRUE(leader_timed_out);
    ASSERT_TRUE(waiter) << "the waiter of the abandoned fetch still waits";
    ASSERT_TRUE(waiter->ok());
    EXPECT_EQ(waiter->value(), "r#2");
    EXPECT_EQ(calls, 2);
}

TEST(TokenParseTest, ClientCredentialsAndImdsShapes) {
    const auto now = SysClock::time_point(std::chrono::seconds(1000));
    auto aad = ParseTokenResponse(
        R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi"})", now);
    ASSERT_TRUE(aad);
    EXPECT_EQ(aad->value, "eyJ0eXAi");
    EXPECT_EQ(aad->expires_on, now + 3599s);
    // IMDS: numbers as strings.
    auto imds = ParseTokenResponse(
        R"({"access_token":"abc","expires_in":"3599","expires_on":"1541705014","resource":"https://batch.core.windows.net/","token_type":"Bearer"})",
        now);
    ASSERT_TRUE(imds);
    EXPECT_EQ(imds->expires_on, now + 3599s);
    const auto imds_now = SysClock::time_point(std::chrono::seconds(1541705014 - 3599));
    auto on_only =
        ParseTokenResponse(R"({"access_token":"abc","expires_on":"1541705014"})", imds_now);
    ASSERT_TRUE(on_only);
    EXPECT_EQ(on_only->expires_on, SysClock::time_point(std::chrono::seconds(1541705014)));
    auto neither = ParseTokenResponse(R"({"access_token":"abc"})", now);
    ASSERT_TRUE(neither);
    EXPECT_EQ(neither->expires_on, now + 5min);
}

TEST(TokenParseTest, LifetimesAreBoundedAndBadOnesAreTypedErrors) {
    const auto now = SysClock::time_point(std::chrono::seconds(1795862400));
    auto body = [](const std::string& members) {
        return R"({"access_token":"sekrit-token-value",)" + members + "}";
    };
    // Longer than Entra ID ever issues (1 day): believed only up to a day; no overflow.
    for (const char* huge : {R"("expires_in":9223372036854775807)",
                             R"("expires_in":"9223372036854775807")", R"("expires_in":86401)",
                             R"("expires_on":9223372036854775807)", R"("expires_in":9.0e15)"}) {
        SCOPED_TRACE(huge);
        auto t = ParseTokenResponse(body(huge), now);
        ASSERT_TRUE(t) << t.error();
        EXPECT_EQ(t->expires_on, now + 24h);
    }
    auto day = ParseTokenResponse(body(R"("expires_in":86400)"), now);
    ASSERT_TRUE(day);
    EXPECT_EQ(day->expires_on, now + 24h);
    // Not a number of seconds that fits, negative, or already expired: errors naming the member.
    const std::pair<const char*, const char*> bad[] = {
        {R"("expires_in":18446744073709551615)", "expires_in"},
        {R"("expires_in":"99999999999999999999")", "expires_in"},
        {R"("expires_in":1e300)", "expires_in"},
        {R"("expires_in":"3599 s")", "expires_in"},
        {R"("expires_in":true)", "expires_in"},
        {R"("expires_in":-1)", "expires_in"},
        {R"("expires_on":"-9223372036854775808")", "expires_on"},
        {R"("expires_on":1000)", "expires_on"},
    };
    for (const auto& [members, member] : bad) {
        SCOPED_TRACE(members);
        auto t = ParseTokenResponse(body(members), now);
        ASSERT_FALSE(t);
        EXPECT_NE(t.error().find(member), std::string::npos) << t.error();
        EXPECT_EQ(t.error().find("sekrit"), std::string::npos);
    }
}

TEST(TokenParseTest, ErrorsNeverContainTheBody) {
    auto r = ParseTokenResponse(R"({"token":"sekrit-token-value"})", SysClock::now());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().find("sekrit"), std::string::npos);
    EXPECT_FALSE(ParseTokenResponse("not json", SysClock::now()));
}

TEST(TokenScopeTest, ResourceToScope) {
    EXPECT_EQ(ScopeForResource("https://batch.core.windows.net/"),
              "https://batch.core.windows.net//.default");
    EXPECT_EQ(ScopeForResource("https://management.core.windows.net/"),
              "https://management.core.windows.net//.default");
}

TEST(MakeTokenFetcherTest, SharedKeyIsRefusedWithTheReason) {
    net::io_context io;
    http::Client client(io.get_executor(), {});
    config::AuthConfig auth;
    auth.method = "sharedKey";
    auto r = MakeTokenFetcher(auth, {}, client, [](const char*) { return std::string(); });
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("need Microsoft Entra ID"), std::string::npos) << r.error();
}

TEST(MakeTokenFetcherTest, EnvironmentFillsWhatConfigLeavesOut) {
    net::io_context io;
    http::Client client(io.get_executor(), {});
    config::AuthConfig auth;
    auth.method = "clientSecret";
    auto none = [](const char*) { return std::string(); };
    auto r = MakeTokenFetcher(auth, {}, client, none);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("AZURE_TENANT_ID"), std::string::npos);
    auto env = [](const char* name) -> std::string {
        std::string n = name;
        if (n == "AZURE_TENANT_ID") return "t";
        if (n == "AZURE_CLIENT_ID") return "c";
        if (n == "AZURE_CLIENT_SECRET") return "s";
        return "";
    };
    auto ok = MakeTokenFetcher(auth, {}, client, env);
    ASSERT_TRUE(ok) << ok.error();
    EXPECT_EQ((*ok)->method(), "clientSecret");
    auth.method = "workloadIdentity";
    auto wi = MakeTokenFetcher(auth, {}, client, env);
    ASSERT_FALSE(wi);
    EXPECT_NE(wi.error().find("AZURE_FEDERATED_TOKEN_FILE"), std::string::npos);
    auth.method = "managedIdentity";
    auto mi = MakeTokenFetcher(auth, {}, client, none);
    ASSERT_TRUE(mi);
    EXPECT_EQ((*mi)->method(), "managedIdentity");
}

/// A folder of its own under the temp directory, removed at the end.
struct TempFolder {
    std::filesystem::path path;
    TempFolder() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pw-token-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
        path = tmpl;
    }
    ~TempFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

TEST(ReadCredentialFileTest, BoundedRegularFilesOnly) {
    TempFolder dir;
    const auto file = (dir.path / "secret").string();
    std::ofstream(file) << "s3cret \n";
    EXPECT_EQ(ReadCredentialFile(file).value(), "s3cret");
    std::ofstream(file, std::ios::trunc) << std::string(kMaxCredentialFileBytes, 'a');
    EXPECT_EQ(ReadCredentialFile(file).value().size(), kMaxCredentialFileBytes);
    std::ofstream(file, std::ios::app) << "a";
    EXPECT_EQ(ReadCredentialFile(file).error(), "larger than 65536 bytes");
    std::ofstream(file, std::ios::trunc) << "\n";
    EXPECT_EQ(ReadCredentialFile(file).error(), "empty");
    EXPECT_EQ(ReadCredentialFile((dir.path / "missing").string()).error(),
              "not a readable file (No such file or directory)");
    EXPECT_EQ(ReadCredentialFile(dir.path.string()).error(),
              "not a readable file (not a regular file)");
    // Neither a device that never ends nor a FIFO nobody writes to blocks or fills memory.
    EXPECT_EQ(ReadCredentialFile("/dev/zero").error(), "not a readable file (not a regular file)");
    const auto fifo = (dir.path / "fifo").string();
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(ReadCredentialFile(fifo).error(), "not a readable file (not a regular file)");
}

/// The error of one fetch by `fetcher` (which fails before any request).
Error FetchError(TokenFetcher& fetcher) {
    net::io_context io;
    std::optional<Result<AccessToken>> out;
    net::co_spawn(
        io, [&]() -> net::awaitable<void> { out = co_await fetcher.fetch("https://batch/"); },
        net::detached);
    io.run_for(5s);
    if (!out || out->ok()) throw std::runtime_error("the fetch did not fail");
    return out->error();
}

TEST(MakeTokenFetcherTest, CredentialFileErrorsNeverEchoTheClientSecretFileValue) {
    TempFolder dir;
    net::io_context io;
    http::Client client(io.get_executor(), {});
    config::AuthConfig auth;
    auth.method = "clientSecret";
    auth.tenant_id = "t";
    auth.client_id = "c";
    auto none = [](const char*) { return std::string(); };
    // The secret itself pasted where its file belongs (resolved against the config folder).
    const std::string pasted = "Qx7~pasted.SECRET-value_1";
    auth.client_secret_file = (dir.path / pasted).string();
    auto fetcher = MakeTokenFetcher(auth, {}, client, none);
    ASSERT_TRUE(fetcher) << fetcher.error();
    auto error = FetchError(**fetcher);
    EXPECT_EQ(error.kind, ErrorKind::Auth);
    EXPECT_EQ(error.str().find(pasted), std::string::npos) << error.str();
    EXPECT_NE(error.message.find("auth.clientSecretFile (value not shown): not a readable file"),
              std::string::npos)
        << error.message;
    // A secret file far too large is refused without reading it all.
    auth.client_secret_file = (dir.path / "huge").string();
    std::ofstream(auth.client_secret_file) << std::string(1 << 20, 'x');
    fetcher = MakeTokenFetcher(auth, {}, client, none);
    ASSERT_TRUE(fetcher);
    EXPECT_NE(FetchError(**fetcher).message.find("larger than 65536 bytes"), std::string::npos);
    // The federated token file: the same bound; its path is not a secret and is named.
    auth = {};
    auth.method = "workloadIdentity";
    auth.tenant_id = "t";
    auth.client_id = "c";
    auth.federated_token_file = (dir.path / "huge").string();
    fetcher = MakeTokenFetcher(auth, {}, client, none);
    ASSERT_TRUE(fetcher);
    EXPECT_EQ(FetchError(**fetcher).message,
              "token for https://batch/ via workloadIdentity: federated token file " +
                  auth.federated_token_file + ": larger than 65536 bytes");
}

TEST(ClientSecretFileTest, ConfigFileThenSystemdCredentialThenEnvironment) {
    auto dir = std::filesystem::temp_directory_path() / ("pw-creds-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto env = [&](const char* name) -> std::string {
        return std::string(name) == "CREDENTIALS_DIRECTORY" ? dir.string() : "";
    };
    config::AuthConfig auth;
    auth.method = "clientSecret";
    auth.tenant_id = "t";
    auth.client_id = "c";
    // No credential file in $CREDENTIALS_DIRECTORY and no AZURE_CLIENT_SECRET: a clear error.
    EXPECT_EQ(ClientSecretFile(auth, env), "");
    net::io_context io;
    http::Client client(io.get_executor(), {});
    auto none = MakeTokenFetcher(auth, {}, client, env);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().find("$CREDENTIALS_DIRECTORY/client-secret"), std::string::npos)
        << none.error();
    std::ofstream(dir / "client-secret") << "s3cret\n";
    EXPECT_EQ(ClientSecretFile(auth, env), (dir / "client-secret").string());
    EXPECT_TRUE(MakeTokenFetcher(auth, {}, client, env));
    EXPECT_EQ(ClientSecretFile(auth, [](const char*) { return std::string(); }), "");
    auth.client_secret_file = "/etc/poolwarden/client-secret";
    EXPECT_EQ(ClientSecretFile(auth, env), "/etc/poolwarden/client-secret");
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pw::azure
