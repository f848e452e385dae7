#pragma once

// Leader election fixtures (issue 18), shared by tests/e2e/leader_e2e_test.cpp and the leader
// soak (tests/soak/leader_soak_test.cpp): Azurite over HTTPS holding the lease blob, poolwarden
// instances with leaderElection on, and the request-log check that writer windows never
// interleave.

#include <spawn.h>

#include <cstdio>
#include <set>

#include "e2e_fixture.hpp"

namespace pw::e2e::leader {

namespace fs = std::filesystem;

inline std::string Slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// Output of a shell command (test setup only: openssl, curl).
inline std::string Shell(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    pclose(f);
    return out;
}

inline fs::path AzuriteBlob() {
    if (const char* p = getenv("PW_AZURITE_PREFIX"))
        return fs::path(p) / "node_modules/.bin/azurite-blob";
    const char* cache = getenv("XDG_CACHE_HOME");
    fs::path base =
        cache ? fs::path(cache) : fs::path(getenv("HOME") ? getenv("HOME") : "/") / ".cache";
    return base / "poolwarden/azurite-3.37.0/node_modules/.bin/azurite-blob";
}

/// azurite-blob on a free loopback port, HTTPS with a self-signed certificate and
/// `--oauth basic` (Bearer tokens need both, ../shared/azurite-facts.md). Stopped with the object.
class Azurite {
  public:
    explicit Azurite(const fs::path& dir) : dir_(dir) {
        const auto bin = AzuriteBlob();
        if (!fs::exists(bin))
            throw std::runtime_error(bin.string() + " missing: run scripts/install-azurite.sh");
        Shell(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
            "subjectAltName=IP:127.0.0.1,DNS:localhost -addext "
            "basicConstraints=critical,CA:TRUE -keyout '" +
            (dir / "azurite-key.pem").string() + "' -out '" + (dir / "azurite-cert.pem").string() +
            "' 2>/dev/null");
        for (int attempt = 0; attempt < 3 && port_ == 0; ++attempt) {
            const int port = FreePort();
            if (Spawn(port)) port_ = port;
        }
        if (port_ == 0)
            throw std::runtime_error("azurite did not start: " + Slurp(dir / "azurite.log"));
    }
    ~Azurite() { Stop(); }
    Azurite(const Azurite&) = delete;
    Azurite& operator=(const Azurite&) = delete;

    int port() const { return port_; }
    fs::path cert() const { return dir_ / "azurite-cert.pem"; }
    std::string url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(port_) + "/devstoreaccount1" + path;
    }
    /// `curl` over HTTPS with a bearer token; returns the HTTP status.
    int Put(const std::string& path, const std::string& token) const {
        auto out =
            Shell("curl -s -o /dev/null -w '%{http_code}' --cacert '" + cert().string() +
                  "' -X PUT -H 'Authorization: Bearer " + token +
                  "' -H 'x-ms-version: 2023-11-03' -H 'Content-Length: 0' '" + url(path) + "'");
        return std::atoi(out.c_str());
    }

    /// Stops Azurite and starts it again on the same port and folder (its leases are lost,
    /// azurite-facts.md); false when it did not come back.
    bool Restart() {
        Stop();
        return Spawn(port_);
    }
    void Stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

  private:
    bool Spawn(int port) {
        const auto bin = AzuriteBlob();
        std::vector<std::string> args = {bin.string(),
                                         "--blobHost",
                                         "127.0.0.1",
                                         "--blobPort",
                                         std::to_string(port),
                                         "--location",
                                         (dir_ / "azurite").string(),
                                         "--disableTelemetry",
                                         "--skipApiVersionCheck",
                                         "--loose",
                                         "--oauth",
                                         "basic",
                                         "--cert",
                                         (dir_ / "azurite-cert.pem").string(),
                                         "--key",
                                         (dir_ / "azurite-key.pem").string()};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        const auto log = (dir_ / "azurite.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
        if (pid_ <= 0) throw std::runtime_error("cannot start azurite-blob");
        if (E2E::WaitFor(
                [&] { return Slurp(log).find("successfully listens") != std::string::npos; }, 20s))
            return true;
        Stop();
        return false;
    }
    static int FreePort() {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        close(fd);
        return ntohs(a.sin_port);
    }
    fs::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

/// One poolwarden instance with leaderElection on.
struct Instance {
    std::string name;
    std::unique_ptr<DaemonProcess> proc;
    std::uint16_t port = 0;
    std::string prefix;   ///< Its client request ids' first 8 hex digits.
    bool paused = false;  ///< SIGSTOPped: its endpoints would not answer.

    Json Status() const {
        try {
            return Send(port, "GET", "/status").json();
        } catch (...) {
            return Json();
        }
    }
    std::string Role() const {
        auto s = Status();
        if (!s.is_object() || !s.contains("leaderElection")) return "";
        return s["leaderElection"].value("role", "");
    }
};

/// Writes the daemon file of instance `name` (leaderElection on, lease 15 s, renew 5 s).
inline fs::path InstanceConfig(E2E& e, const Azurite& az, const std::string& name) {
    const auto file = e.dir() / (name + ".yaml");
    std::ofstream(file) << DaemonYaml(
        e.port(), {"renderbatch"},
        "reconcile:\n  interval: 1s\n  concurrency: 4\npoolsDir: pools.d\nlisten: 127.0.0.1:0\n"
        "tls:\n  caFile: " +
            az.cert().string() +
            "\nleaderElection:\n  enabled: true\n  blobUrl: " + az.url("/poolwarden/leader") +
            "\n  leaseDuration: 15s\n  renewEvery: 5s\n  identity: " + name + "\n");
    return file;
}

/// The client request id prefix a poolwarden process logged ("" when not found).
inline std::string LoggedPrefix(const std::string& log) {
    static const std::regex re(R"(client request ids ([0-9a-f]{8})-)");
    std::smatch m;
    return std::regex_search(log, m, re) ? std::string(m[1]) : std::string();
}

inline Instance StartInstance(E2E& e, const Azurite& az, const std::string& name) {
    Instance in;
    in.name = name;
    const auto file = InstanceConfig(e, az, name);
    in.proc = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"run", "--config", file.string()}, e.dir() / (name + ".log"));
    in.port = ListeningPort(*in.proc);
    E2E::WaitFor(
        [&] {
            in.prefix = LoggedPrefix(in.proc->Log());
            return !in.prefix.empty();
        },
        10s);
    return in;
}

/// The instances reporting role leader.
inline std::vector<Instance*> Leaders(std::vector<Instance>& all) {
    std::vector<Instance*> out;
    for (auto& i : all)
        if (!i.paused && i.proc->Running() && i.Role() == "leader") out.push_back(&i);
    return out;
}

/// The writer of a logged request: its client request id's first 8 hex digits.
inline std::string PrefixOf(const Json& request) {
    return request.value("clientRequestId", std::string()).substr(0, 8);
}

/// Waits until one instance other than `not_this` leads; returns it (or null) and the wait.
inline std::pair<Instance*, double> WaitNewLeader(std::vector<Instance>& all,
                                                  const Instance* not_this,
                                                  std::chrono::steady_clock::time_point since) {
    Instance* found = nullptr;
    E2E::WaitFor(
        [&] {
            for (auto* l : Leaders(all))
                if (l != not_this) found = l;
            return found != nullptr;
        },
        40s);
    return {found, std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count()};
}

/// The first writer (client request id prefix) that writes again after a later writer had
/// started, given the writers of all writes in log order; empty when writer windows never
/// interleave (no two instances could both have believed they led).
inline std::string FirstInterleavedWriter(const std::vector<std::string>& writers) {
    std::vector<std::string> order;
    for (const auto& w : writers)
        if (order.empty() || order.back() != w) order.push_back(w);
    std::set<std::string> seen;
    for (const auto& w : order)
        if (!seen.insert(w).second) return w;
    return "";
}

}  // namespace pw::e2e::leader
