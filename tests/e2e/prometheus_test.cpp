// End-to-end: poolwarden-sim + `poolwarden run` with a copy of the example config + a real
// Prometheus (Debian `prometheus`) scraping the daemon every second. Queries go through
// Prometheus's HTTP API.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "../sim/sim_fixture.hpp"
#include "metrics/metrics.hpp"
#include "server/http_get.hpp"

namespace pw::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kRenderVersion =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";
const std::string kHpcVersion =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/hpc/versions/2.0.0";

std::string Slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// A child process with stdout and stderr appended to `log`; SIGTERM (then SIGKILL) on exit.
class Child {
  public:
    Child(std::vector<std::string> args, const fs::path& log) : log_(log) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int rc = posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
    }
    ~Child() { Stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    /// SIGTERM, up to 15 s, then SIGKILL; returns the exit status.
    int Stop() {
        if (pid_ <= 0) return exit_;
        kill(pid_, SIGTERM);
        auto end = std::chrono::steady_clock::now() + 15s;
        int status = 0;
        while (waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > end) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
        pid_ = -1;
        exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_;
    }
    bool Running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == 0) return true;
        pid_ = -1;
        exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    std::string Log() const { return Slurp(log_); }

  private:
    pid_t pid_ = -1;
    int exit_ = -1;
    fs::path log_;
};

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(200ms);
    }
    return pred();
}

std::uint16_t FreePort() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(
        io, {boost::asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(0)});
    return a.local_endpoint().port();
}

std::string UrlEncode(const std::string& s) {
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

/// Grafana template variables -> PromQL that matches everything.
std::string Substitute(std::string expr) {
    expr = std::regex_replace(expr, std::regex(R"(\$__(rate_)?interval)"), "1m");
    expr = std::regex_replace(expr, std::regex(R"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"), ".*");
    return expr;
}

/// `label_values(selector, label)` (a Grafana variable query) -> `selector`.
std::string VariableSelector(const std::string& query) {
    const std::string prefix = "label_values(";
    if (query.rfind(prefix, 0) != 0) return query;
    auto inner = query.substr(prefix.size(), query.size() - prefix.size() - 1);
    int depth = 0;
    std::size_t split = std::string::npos;
    for (std::size_t i = 0; i < inner.size(); ++i) {
        char c = inner[i];
        if (c == '(' || c == '{') ++depth;
        if (c == ')' || c == '}') --depth;
        if (c == ',' && depth == 0) split = i;
    }
    return split == std::string::npos ? inner : inner.substr(0, split);
}

void CollectExprs(const json& j, std::vector<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "expr" && it->is_string()) out.push_back(*it);
            CollectExprs(*it, out);
        }
        if (j.contains("type") && j["type"] == "query" && j.contains("query") &&
            j["query"].is_string())
            out.push_back(VariableSelector(j["query"]));
    } else if (j.is_array()) {
        for (const auto& e : j) CollectExprs(e, out);
    }
}

class PrometheusE2E : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::system("command -v prometheus >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "Debian's prometheus is not installed";
        std::string tmpl = (fs::temp_directory_path() / "pw-prom-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        prometheus_.reset();
        daemon_.reset();
        sim_.reset();
        std::error_code ec;
        if (!dir_.empty() && !getenv("PW_E2E_KEEP")) fs::remove_all(dir_, ec);
    }

    /// The example daemon file pointed at the simulator, listening on a free loopback port.
    void WriteConfig() {
        const fs::path examples = fs::path(PW_SOURCE_DIR) / "config/examples";
        fs::copy(examples / "pools.d", dir_ / "pools.d", fs::copy_options::recursive);
        fs::copy(examples / "demo-secrets", dir_ / "demo-secrets", fs::copy_options::recursive);
        fs::copy_file(examples / "client-secret", dir_ / "client-secret");
        fs::permissions(dir_ / "client-secret", fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        std::string y = Slurp(examples / "poolwarden.yaml");
        y = std::regex_replace(y, std::regex(R"(127\.0\.0\.1:18080)"),
                               "127.0.0.1:" + std::to_string(sim_->port()));
        y = std::regex_replace(y, std::regex(R"(listen: \S+)"), "listen: 127.0.0.1:0");
        ASSERT_THAT(y, HasSubstr("listen: 127.0.0.1:0"));
        std::ofstream(dir_ / "poolwarden.yaml") << y;
    }

    /// The daemon logs the bound address of its endpoints.
    std::uint16_t DaemonPort() {
        static const std::regex re(
            R"(observability endpoints listening.*address=127\.0\.0\.1:(\d+))");
        std::smatch m;
        std::uint16_t port = 0;
        WaitFor(
            [&] {
                auto log = daemon_->Log();
                if (!std::regex_search(log, m, re)) return false;
                port = static_cast<std::uint16_t>(std::stoi(m[1]));
                return true;
            },
            15s);
        return port;
    }

    json Query(const std::string& promql) {
        auto r = server::HttpGet(
            fmt::format("http://127.0.0.1:{}/api/v1/query?query={}", prom_port_, UrlEncode(promql)),
            10s);
        if (!r) return {{"status", "error"}, {"error", r.error()}};
        auto j = json::parse(r->body, nullptr, false);
        if (j.is_discarded()) return {{"status", "error"}, {"error", r->body}};
        return j;
    }

    fs::path dir_;
    std::unique_ptr<simtest::SimProcess> sim_;
    std::unique_ptr<Child> daemon_;
    std::unique_ptr<Child> prometheus_;
    std::uint16_t prom_port_ = 0;
};

TEST_F(PrometheusE2E, ScrapesTheDaemonAndEveryDashboardAndAlertExpressionEvaluates) {
    sim_ = std::make_unique<simtest::SimProcess>(std::vector<std::string>{
        "--port", "0", "--state", simtest::ExampleWorld(), "--time-scale", "60"});
    WriteConfig();
    daemon_ = std::make_unique<Child>(
        std::vector<std::string>{PW_DAEMON_BINARY, "run", "--config",
                                 (dir_ / "poolwarden.yaml").string(), "--interval", "1s"},
        dir_ / "poolwarden.log");
    const auto daemon_port = DaemonPort();
    ASSERT_NE(daemon_port, 0) << daemon_->Log();

    const fs::path alerts = fs::path(PW_SOURCE_DIR) / "deploy/prometheus/alerts.yml";
    std::ofstream(dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files:\n  - " << alerts.string() << "\n"
        << "scrape_configs:\n  - job_name: poolwarden\n    static_configs:\n"
        << "      - targets: [\"127.0.0.1:" << daemon_port << "\"]\n";
    bool ready = false;
    for (int attempt = 0; attempt < 3 && !ready; ++attempt) {  // the free port may be taken
        prometheus_.reset();
        prom_port_ = FreePort();
        prometheus_ = std::make_unique<Child>(
            std::vector<std::string>{
                "prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_)},
            dir_ / "prometheus.log");
        ready = WaitFor(
            [&] {
                auto r =
                    server::HttpGet(fmt::format("http://127.0.0.1:{}/-/ready", prom_port_), 2s);
                return prometheus_->Running() && r && r->status == 200;
            },
            30s);
    }
    ASSERT_TRUE(ready) << prometheus_->Log();

    // The example pool (2000 dedicated + 1000 low-priority) needs 10 replicas of render/1.4.0.
    const std::string required = "poolwarden_image_replicas{kind=\"required\",image_version=\"" +
                                 kRenderVersion + "\",region=\"eastus\"}";
    json last;
    bool scraped = WaitFor(
        [&] {
            last = Query(required);
            return last["status"] == "success" && last["data"]["result"].size() == 1;
        },
        60s);
    ASSERT_TRUE(scraped) << last.dump() << "\n" << daemon_->Log();
    EXPECT_EQ(last["data"]["result"][0]["value"][1], "10");
    // sim-hpc (8 VMs, pinned to hpc/2.0.0) and tools-latest (2 VMs, following hpc, whose 2.1.0
    // is excludeFromLatest) need one replica each of hpc/2.0.0.
    const std::string hpc = "poolwarden_image_replicas{kind=\"required\",image_version=\"" +
                            kHpcVersion + "\",region=\"eastus\"}";
    scraped = WaitFor(
        [&] {
            last = Query(hpc);
            return last["status"] == "success" && last["data"]["result"].size() == 1;
        },
        30s);
    ASSERT_TRUE(scraped) << last.dump() << "\n" << daemon_->Log();
    EXPECT_EQ(last["data"]["result"][0]["value"][1], "2");
    auto up = Query("up{job=\"poolwarden\"}");
    ASSERT_EQ(up["data"]["result"].size(), 1U) << up.dump();
    EXPECT_EQ(up["data"]["result"][0]["value"][1], "1");

    // Every expression of the dashboard (panels and variable queries) and of the alert rules.
    std::vector<std::string> exprs;
    CollectExprs(
        json::parse(Slurp(fs::path(PW_SOURCE_DIR) / "deploy/grafana/poolwarden-dashboard.json")),
        exprs);
    const auto dashboard_count = exprs.size();
    for (const auto& group : YAML::LoadFile(alerts.string())["groups"])
        for (const auto& rule : group["rules"]) exprs.push_back(rule["expr"].as<std::string>());
    ASSERT_GT(dashboard_count, 10U);
    ASSERT_GT(exprs.size(), dashboard_count + 5);

    // Every poolwarden_* name used must be a family the daemon registers (catches typos, which
    // PromQL would silently evaluate to nothing).
    std::set<std::string> families;
    for (const auto& n : metrics::Metrics("x").family_names()) families.insert(n);
    ASSERT_TRUE(families.count("poolwarden_image_replicas"));
    static const std::regex name(R"(poolwarden_\w+)");
    for (const auto& raw : exprs) {
        auto expr = Substitute(raw);
        auto r = Query(expr);
        EXPECT_EQ(r["status"], "success") << expr << "\n" << r.dump();
        for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) {
            auto n = std::regex_replace(it->str(), std::regex("_(bucket|sum|count)$"), "");
            EXPECT_TRUE(families.count(n)) << n << " (in " << raw << ") is not exposed";
        }
    }

    // The live exposition passes promtool's lint (HELP on every family, naming rules).
    auto live = server::HttpGet(fmt::format("http://127.0.0.1:{}/metrics", daemon_port), 5s);
    ASSERT_TRUE(live) << live.error();
    EXPECT_THAT(live->body, HasSubstr("poolwarden_azure_requests_total{code=\"200\",operation="
                                      "\"list_pools\",service=\"batch\"}"));
    std::ofstream(dir_ / "metrics.txt") << live->body;
    const std::string lint = "promtool check metrics < " + (dir_ / "metrics.txt").string() + " > " +
                             (dir_ / "lint.txt").string() + " 2>&1";
    EXPECT_EQ(std::system(lint.c_str()), 0) << Slurp(dir_ / "lint.txt");

    // Prometheus evaluated the alert rules itself without errors.
    bool evaluated = WaitFor(
        [&] {
            auto r =
                server::HttpGet(fmt::format("http://127.0.0.1:{}/api/v1/rules", prom_port_), 5s);
            if (!r) return false;
            auto j = json::parse(r->body, nullptr, false);
            if (j.is_discarded() || j["data"]["groups"].empty()) return false;
            for (const auto& rule : j["data"]["groups"][0]["rules"])
                if (rule.value("lastEvaluation", "").rfind("0001-", 0) == 0) return false;
            return true;
        },
        15s);
    EXPECT_TRUE(evaluated);
    auto rules = json::parse(
        server::HttpGet(fmt::format("http://127.0.0.1:{}/api/v1/rules", prom_port_), 5s)->body);
    ASSERT_FALSE(rules["data"]["groups"].empty());
    for (const auto& rule : rules["data"]["groups"][0]["rules"])
        EXPECT_EQ(rule["health"], "ok") << rule.dump();
    EXPECT_EQ(rules["data"]["groups"][0]["rules"].size(),
              9U);  // with PoolwardenRolloutHalted and PoolwardenNoLeader

    EXPECT_EQ(prometheus_->Stop(), 0) << prometheus_->Log();
    EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
}

}  // namespace
}  // namespace pw::e2e
