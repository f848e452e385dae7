#pragma once

// End-to-end fixture: a generated world in poolwarden-sim (child process, port 0, accelerated
// time) and the real poolwarden binary (child process) with a generated daemon file and pool
// files. Assertions read the simulator's state (/_sim/state) and request log (/_sim/requests).

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <thread>

#include "../sim/sim_fixture.hpp"

namespace pw::e2e {

using Json = nlohmann::json;
using simtest::Send;
using simtest::SimProcess;
using namespace std::chrono_literals;

inline constexpr const char* kSub = "11111111-1111-1111-1111-111111111111";
inline const std::string kGallery =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/";
inline const std::string kRender140 = kGallery + "render/versions/1.4.0";
inline const std::string kLegacy200 = kGallery + "legacy-win/versions/2.0.0";

/// Gives the image definition `image` of every gallery of `world` SecurityType TrustedLaunch.
inline void MarkTrustedLaunch(Json& world, const std::string& image) {
    for (auto& g : world["galleries"])
        for (auto& img : g["images"])
            if (img["name"] == image)
                img["properties"]["features"] =
                    Json::array({{{"name", "SecurityType"}, {"value", "TrustedLaunch"}}});
}

/// The example world, loaded as JSON for tests to modify.
inline Json ExampleWorld() {
    std::ifstream in(simtest::ExampleWorld());
    return Json::parse(in);
}

/// The render/1.4.0 version object inside a world.
inline Json& RenderVersion(Json& world) {
    for (auto& g : world["galleries"])
        for (auto& img : g["images"])
            if (img["name"] == "render")
                for (auto& v : img["versions"])
                    if (v["name"] == "1.4.0") return v;
    throw std::runtime_error("no render/1.4.0 in the world");
}

/// Adds a Batch account (local name = account name) to a world.
inline void AddWorldAccount(Json& world, const std::string& name, const std::string& location) {
    Json a = world["batchAccounts"][0];
    a["name"] = name;
    a["location"] = location;
    a["pools"] = Json::array();
    world["batchAccounts"].push_back(a);
}

/// A CloudPool as the simulator's world holds it.
inline Json WorldPool(const std::string& id, int dedicated, int low, bool owned,
                      const std::string& image = kRender140) {
    Json md = Json::array({{{"name", "team"}, {"value", "vfx"}}});
    if (owned) md.push_back({{"name", "poolwarden.io/managed-by"}, {"value", "poolwarden"}});
    return {{"id", id},
            {"vmSize", "standard_d4s_v3"},
            {"virtualMachineConfiguration",
             {{"imageReference", {{"virtualMachineImageId", image}}},
              {"nodeAgentSKUId", "batch.node.ubuntu 22.04"}}},
            {"targetDedicatedNodes", dedicated},
            {"targetLowPriorityNodes", low},
            {"currentDedicatedNodes", dedicated},
            {"currentLowPriorityNodes", low},
            {"taskSlotsPerNode", 4},
            {"allocationState", "steady"},
            {"state", "active"},
            {"metadata", md}};
}

/// A pool file entry (YAML) for the render image.
inline std::string PoolYaml(const std::string& id, const std::string& account, int dedicated,
                            int low = 0, const std::string& image = kRender140,
                            const std::string& extra = "") {
    std::string y = "  - id: " + id + "\n    account: " + account +
                    "\n    vmSize: Standard_D4s_v3\n    image: " + image +
                    "\n    nodeAgentSkuId: batch.node.ubuntu 22.04\n";
    if (dedicated >= 0) {
        y += "    scale:\n      targetDedicatedNodes: " + std::to_string(dedicated) +
             "\n      targetLowPriorityNodes: " + std::to_string(low) + "\n";
    }
    y += "    taskSlotsPerNode: 4\n    metadata:\n      team: vfx\n" + extra;
    return y;
}

/// The `auth:` lines for the simulator's demo tenant and client (secret in ./client-secret).
inline const std::string kClientSecretAuth =
    "  method: clientSecret\n"
    "  tenantId: 22222222-2222-2222-2222-222222222222\n"
    "  clientId: 33333333-3333-3333-3333-333333333333\n"
    "  clientSecretFile: client-secret\n";

/// A daemon file for poolwarden-sim on `sim_port`: the cloud endpoints, `auth` (the lines
/// under `auth:`), one account entry per name (account name = local name), then `rest`.
inline std::string DaemonYaml(std::uint16_t sim_port, const std::vector<std::string>& accounts,
                              const std::string& rest,
                              const std::string& auth = kClientSecretAuth) {
    const std::string base = "http://127.0.0.1:" + std::to_string(sim_port) + "/";
    std::string y = "cloud:\n  resourceManager: " + base + "\n  authorityHost: " + base +
                    "\n  batchResource: https://batch.core.windows.net/\n"
                    "  managementResource: https://management.core.windows.net/\n"
                    "  imdsEndpoint: " +
                    base + "metadata/identity/oauth2/token\nauth:\n" + auth + "accounts:\n";
    for (const auto& a : accounts)
        y += "  - name: " + a + "\n    subscriptionId: " + kSub +
             "\n    resourceGroup: rg-batch\n    accountName: " + a + "\n";
    return y + rest;
}

/// The poolwarden binary as a child process (stderr to a log file).
class DaemonProcess {
  public:
    DaemonProcess(std::vector<std::string> args, const std::filesystem::path& log) : log_(log) {
        args.insert(args.begin(), PW_DAEMON_BINARY);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_addopen(&fa, 1, (log.string() + ".out").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot start poolwarden");
        posix_spawn_file_actions_destroy(&fa);
    }
    ~DaemonProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    pid_t pid() const { return pid_; }
    void Signal(int sig) {
        if (pid_ > 0) kill(pid_, sig);
    }
    bool Running() {
        if (pid_ <= 0) return false;
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == 0) return true;
        pid_ = -1;
        exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    /// Waits up to `timeout` for the process to end; returns its exit status or -1.
    int Wait(std::chrono::milliseconds timeout = 30s) {
        auto end = std::chrono::steady_clock::now() + timeout;
        while (Running()) {
            if (std::chrono::steady_clock::now() > end) return -1;
            std::this_thread::sleep_for(20ms);
        }
        return exit_;
    }
    /// SIGTERM, then the exit status.
    int Stop() {
        if (!Running()) return exit_;
        Signal(SIGTERM);
        return Wait();
    }
    std::string Log() const {
        std::ifstream in(log_);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    std::string Stdout() const {
        std::ifstream in(log_.string() + ".out");
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    pid_t pid_ = -1;
    int exit_ = -1;
    std::filesystem::path log_;
};

/// The port of the daemon's endpoints, read from its log (`listen: 127.0.0.1:0`); 0 if it
/// does not say within `timeout`.
inline std::uint16_t ListeningPort(const DaemonProcess& daemon,
                                   std::chrono::milliseconds timeout = 15s) {
    static const std::regex re(R"(endpoints listening.*address\W+127\.0\.0\.1:(\d+))");
    const auto end = std::chrono::steady_clock::now() + timeout;
    do {
        std::smatch m;
        const std::string log = daemon.Log();
        if (std::regex_search(log, m, re)) return static_cast<std::uint16_t>(std::stoi(m[1]));
        std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < end);
    return 0;
}

/// A simulator with a generated world plus a config directory for poolwarden.
class E2E {
  public:
    /// `sim_args`: more simulator options (e.g. --request-log-limit for long runs).
    E2E(const Json& world, double time_scale, std::vector<std::string> accounts = {"renderbatch"},
        const std::vector<std::string>& sim_args = {})
        : dir_(MakeTempDir()) {
        std::ofstream(dir_ / "world.json") << world.dump(2);
        std::vector<std::string> args = {"--port",
                                         "0",
                                         "--state",
                                         (dir_ / "world.json").string(),
                                         "--time-scale",
                                         std::to_string(time_scale),
                                         "--lro-retry-after",
                                         "1"};
        args.insert(args.end(), sim_args.begin(), sim_args.end());
        sim_ = std::make_unique<SimProcess>(args);
        std::filesystem::create_directories(dir_ / "pools.d");
        {
            std::ofstream s(dir_ / "client-secret");
            s << simtest::kSecret;
        }
        chmod((dir_ / "client-secret").c_str(), 0600);
        WriteDaemonFile(accounts);
    }
    ~E2E() {
        daemon_.reset();
        sim_.reset();
        std::error_code ec;
        if (!getenv("PW_E2E_KEEP")) std::filesystem::remove_all(dir_, ec);
    }

    void WriteDaemonFile(const std::vector<std::string>& accounts, const std::string& extra = "") {
        std::ofstream(dir_ / "poolwarden.yaml")
            << DaemonYaml(sim_->port(), accounts,
                          "reconcile:\n  interval: 1s\n  concurrency: 4\npoolsDir: pools.d\n"
                          "listen: 127.0.0.1:0\n" +
                              extra);
    }
    void WritePoolFile(const std::string& name, const std::string& body) {
        auto tmp = dir_ / (".tmp-" + name);
        std::ofstream(tmp) << body;
        std::filesystem::rename(tmp, dir_ / "pools.d" / name);
    }

    /// Starts `poolwarden <verb> --config <dir>/poolwarden.yaml [args]`.
    DaemonProcess& Start(const std::string& verb = "run", std::vector<std::string> args = {}) {
        std::vector<std::string> all = {verb, "--config", (dir_ / "poolwarden.yaml").string()};
        all.insert(all.end(), args.begin(), args.end());
        daemon_.reset();
        daemon_ = std::make_unique<DaemonProcess>(all, dir_ / "poolwarden.log");
        return *daemon_;
    }
    DaemonProcess& daemon() { return *daemon_; }

    Json State() { return Send(sim_->port(), "GET", "/_sim/state").json(); }
    /// Requests the daemon made (not the admin API, not token requests).
    std::vector<Json> Requests() {
        std::vector<Json> out;
        const Json all = Send(sim_->port(), "GET", "/_sim/requests").json();
        for (const auto& r : all["requests"]) {
            std::string path = r["path"];
            if (path.rfind("/_sim/", 0) == 0 || path.find("/oauth2/") != std::string::npos)
                continue;
            out.push_back(r);
        }
        return out;
    }
    std::vector<Json> Writes() {
        std::vector<Json> out;
        for (auto& r : Requests())
            if (r["method"] != "GET" && r["method"] != "HEAD") out.push_back(r);
        return out;
    }
    static int CountWrites(const std::vector<Json>& writes, const std::string& method,
                           const std::string& path_part) {
        int n = 0;
        for (const auto& w : writes) {
            std::string path = w["path"];
            if (w["method"] == method && path.find(path_part) != std::string::npos) ++n;
        }
        return n;
    }
    void Advance(double seconds) {
        Send(sim_->port(), "POST", "/_sim/advance?seconds=" + std::to_string(seconds));
    }

    /// The pool `id` of account `account` in the simulator, or null.
    Json Pool(const std::string& account, const std::string& id) {
        const Json state = State();
        for (const auto& a : state["batchAccounts"])
            if (a["name"] == account)
                for (const auto& p : a["pools"])
                    if (p["id"] == id) return p;
        return nullptr;
    }
    Json Version(const std::string& image, const std::string& version) {
        const Json state = State();
        for (const auto& g : state["galleries"])
            for (const auto& img : g["images"])
                if (img["name"] == image)
                    for (const auto& v : img["versions"])
                        if (v["name"] == version) return v;
        return nullptr;
    }
    static bool Steady(const Json& p) {
        return !p.is_null() && p["allocationState"] == "steady" &&
               p.value("currentDedicatedNodes", -1) == p.value("targetDedicatedNodes", -2) &&
               p.value("currentLowPriorityNodes", -1) == p.value("targetLowPriorityNodes", -2);
    }
    /// Waits until the pool is steady with `nodes` dedicated nodes.
    bool WaitForSteadySize(const std::string& account, const std::string& pool, int nodes,
                           std::chrono::milliseconds timeout) {
        return WaitFor(
            [&] {
                auto p = Pool(account, pool);
                return Steady(p) && p["currentDedicatedNodes"] == nodes;
            },
            timeout);
    }
    /// Polls `pred` until true or `timeout`.
    static bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
        auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            if (pred()) return true;
            std::this_thread::sleep_for(200ms);
        }
        return pred();
    }
    const std::filesystem::path& dir() const { return dir_; }
    std::uint16_t port() const { return sim_->port(); }

  private:
    static std::filesystem::path MakeTempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pw-e2e-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
        return tmpl;
    }
    std::filesystem::path dir_;
    std::unique_ptr<SimProcess> sim_;
    std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace pw::e2e
