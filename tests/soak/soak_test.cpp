// Chaos soak (ctest label soak, about 3 minutes): the poolwarden binary against poolwarden-sim
// in accelerated time with 50 pools over 5 accounts in 3 regions and 5 image versions, random
// spec changes, fault injection, short-lived tokens and SIGKILLs (some in the middle of a
// replica LRO or right after a pool create). Then the faults stop and the simulator's state
// and request log are checked. Fixed seeds; figures printed as a table.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../e2e/e2e_fixture.hpp"
#include "chaos_faults.hpp"

namespace pw::soak {
namespace {

using e2e::Json;
using simtest::Send;
using simtest::SimProcess;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr double kTimeScale = 100;  // simulated seconds per real second
constexpr auto kChaos = 95s;        // faults, spec changes and kills
constexpr auto kSettle = 30s;       // faults and spec changes, one daemon (RSS measured)
constexpr auto kConverge = 120s;    // after the faults stop
constexpr int kVmsPerReplica = 300;
constexpr std::uint32_t kSeed = 20261128;

const std::vector<std::string> kAccounts = {"eusa", "eusb", "weua", "weub", "seaa"};
const std::vector<std::string> kRegions = {"eastus", "eastus", "westeurope", "westeurope",
                                           "southeastasia"};
const std::vector<std::string> kVersions = {"1.4.0", "1.5.0", "1.6.0", "1.7.0", "1.8.0"};
const std::vector<std::string> kUnowned = {"team-a-legacy", "team-b-manual", "ops-scratch"};
const std::string kConflict = "team-a-legacy";  // declared in a pool file, owned by someone else

std::string VersionId(const std::string& v) { return e2e::kGallery + "render/versions/" + v; }

/// The poolwarden binary as a child process (stderr appended to a log file); SIGKILLed when
/// destroyed.
using e2e::DaemonProcess;

/// Minutes of an ISO-8601 duration PT#H#M#S (-1 when not of that form).
double IsoMinutes(const std::string& d) {
    if (d.rfind("PT", 0) != 0) return -1;
    double total = 0;
    std::string num;
    for (std::size_t i = 2; i < d.size(); ++i) {
        const char c = d[i];
        if ((c >= '0' && c <= '9') || c == '.') {
            num += c;
            continue;
        }
        if (num.empty()) return -1;
        const double v = std::stod(num);
        num.clear();
        if (c == 'H')
            total += v * 60;
        else if (c == 'M')
            total += v;
        else if (c == 'S')
            total += v / 60;
        else
            return -1;
    }
    return num.empty() ? total : -1;
}

struct Spec {
    std::string id;
    int account = 0;
    int version = 0;
    int dedicated = 0;
    int low = 0;
    int floor_minutes = 0;  ///< resizeTimeout floor in the pool file (0: none)
    bool declared = true;
};

/// The rule in minutes: max(floor, 15m, ceil(N/1000) x 15m).
int ExpectedTimeoutMinutes(int nodes, int floor_minutes) {
    return std::max({15, floor_minutes, ((nodes + 999) / 1000) * 15});
}

long ProcKb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return 0;
}

Json World() {
    Json w = e2e::ExampleWorld();
    Json base = e2e::RenderVersion(w);
    auto& versions = [&]() -> Json& {
        for (auto& g : w["galleries"])
            for (auto& img : g["images"])
                if (img["name"] == "render") return img["versions"];
        throw std::runtime_error("no render image");
    }();
    for (std::size_t i = 1; i < kVersions.size(); ++i) {
        Json v = base;
        v["name"] = kVersions[i];
        versions.push_back(v);
    }
    Json account = w["batchAccounts"][0];
    w["batchAccounts"] = Json::array();
    for (std::size_t i = 0; i < kAccounts.size(); ++i) {
        Json a = account;
        a["name"] = kAccounts[i];
        a["location"] = kRegions[i];
        a["dedicatedCoreQuota"] = 200000;
        a["lowPriorityCoreQuota"] = 100000;
        a["pools"] = Json::array();
        w["batchAccounts"].push_back(a);
    }
    // Unowned pools (no poolwarden marker): never written to.
    w["batchAccounts"][0]["pools"].push_back(
        e2e::WorldPool(kConflict, 5, 0, false, VersionId(kVersions[0])));
    w["batchAccounts"][2]["pools"].push_back(
        e2e::WorldPool("team-b-manual", 40, 0, false, VersionId(kVersions[1])));
    w["batchAccounts"][4]["pools"].push_back(
        e2e::WorldPool("ops-scratch", 0, 3, false, VersionId(kVersions[2])));
    // LROs long enough (1.2 s real) to be killed in the middle of one.
    w["model"] = {{"lroSeconds", 120}};
    return w;
}

class Soak {
  public:
    Soak() : dir_(MakeTempDir()), rng_(kSeed) {
        std::ofstream(dir_ / "world.json") << World().dump(2);
        sim_ = std::make_unique<SimProcess>(std::vector<std::string>{
            "--port", "0", "--state", (dir_ / "world.json").string(), "--time-scale",
            std::to_string(kTimeScale), "--lro-retry-after", "1", "--seed", "7", "--token-lifetime",
            "30", "--request-log-limit", "2000000"});
        std::filesystem::create_directories(dir_ / "pools.d");
        std::ofstream(dir_ / "client-secret") << simtest::kSecret;
        chmod((dir_ / "client-secret").c_str(), 0600);
        std::ofstream(dir_ / "poolwarden.yaml")
            << e2e::DaemonYaml(sim_->port(), kAccounts,
                               "reconcile:\n  interval: 1s\n  concurrency: 8\npoolsDir: pools.d\n"
                               "listen: 127.0.0.1:0\n");
    }
    ~Soak() {
        daemon_.reset();
        sim_.reset();
        std::error_code ec;
        if (!getenv("PW_SOAK_KEEP")) std::filesystem::remove_all(dir_, ec);
    }

    std::mt19937& rng() { return rng_; }
    int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    void WriteFile(int file) {
        std::string body = "pools:\n";
        for (const auto& s : specs_) {
            if (!s.declared || file_of_.at(s.id) != file) continue;
            std::string extra =
                s.floor_minutes > 0
                    ? "    resizeTimeout: " + std::to_string(s.floor_minutes) + "m\n"
                    : "";
            body += e2e::PoolYaml(s.id, kAccounts[static_cast<std::size_t>(s.account)], s.dedicated,
                                  s.low, VersionId(kVersions[static_cast<std::size_t>(s.version)]),
                                  extra);
        }
        Put("f" + std::to_string(file) + ".yaml", body);
        broken_.erase(file);
    }
    void BreakFile(int file) {
        static const std::vector<std::string> junk = {
            "pools:\n  - id: [unterminated\n", "pools:\n\t- id: tabbed\n",
            "pools:\n  - id: x\n    account: nowhere\n    vmSize: a\n",
            std::string("\x00\x01\xff\xfe binary", 12)};
        Put("f" + std::to_string(file) + ".yaml",
            junk[static_cast<std::size_t>(Uniform(0, static_cast<int>(junk.size()) - 1))]);
        broken_.insert(file);
    }
    void Put(const std::string& name, const std::string& body) {
        auto tmp = dir_ / (".tmp-" + name);
        std::ofstream(tmp) << body;
        std::filesystem::rename(tmp, dir_ / "pools.d" / name);
    }

    void StartDaemon() {
        daemon_ = std::make_unique<DaemonProcess>(
            std::vector<std::string>{"run", "--config", (dir_ / "poolwarden.yaml").string(),
                                     "--log-level", "info"},
            dir_ / "poolwarden.log");
        ++starts_;
    }
    /// SIGKILL (recording a crash if the daemon had already died), then start again.
    void KillAndRestart() {
        CheckAlive();
        daemon_->Signal(SIGKILL);
        daemon_->Wait(10s);
        ++kills_;
        StartDaemon();
    }
    void CheckAlive() {
        if (!daemon_->Running()) {
            crashes_.push_back(daemon_->Wait(0ms));
            StartDaemon();
        }
    }
    DaemonProcess& daemon() { return *daemon_; }

    std::vector<Json> RequestsSince(std::uint64_t seq) {
        return Send(sim_->port(), "GET", "/_sim/requests?since=" + std::to_string(seq))
            .json()["requests"]
            .get<std::vector<Json>>();
    }
    std::uint64_t LastSeq() {
        auto r = RequestsSince(last_seq_);
        if (!r.empty()) last_seq_ = r.back()["seq"].get<std::uint64_t>();
        return last_seq_;
    }
    Json State() { return Send(sim_->port(), "GET", "/_sim/state").json(); }
    void Faults(bool on) {
        if (on)
            Send(sim_->port(), "PUT", "/_sim/faults", ChaosFaultRules().dump());
        else
            Send(sim_->port(), "DELETE", "/_sim/faults");
    }

    /// Grows a pool past its version's replicas, waits (<= 5 s) for the replica PATCH to be
    /// accepted, then SIGKILLs the daemon at once. Returns true if the kill hit a running LRO.
    bool KillMidLro(Spec& s) {
        const auto from = LastSeq();
        s.dedicated += 600;
        WriteFile(file_of_.at(s.id));
        const auto end = Clock::now() + 5s;
        while (Clock::now() < end) {
            for (const auto& r : RequestsSince(from)) {
                const std::string path = r["path"];
                if (r["method"] == "PATCH" && path.find("/versions/") != std::string::npos &&
                    r["status"] == 200) {
                    KillAndRestart();
                    std::string v = path.substr(path.rfind('/') + 1);
                    v = v.substr(0, v.find('?'));
                    const Json state = State();
                    for (const auto& g : state["galleries"])
                        for (const auto& img : g["images"])
                            for (const auto& ver : img["versions"])
                                if (ver["name"] == v && ver["provisioningState"] == "Updating")
                                    return true;
                    return false;
                }
            }
            std::this_thread::sleep_for(30ms);
        }
        return false;
    }
    /// Declares a new pool and SIGKILLs the daemon right after its create was answered.
    bool KillAfterCreate(const std::string& id, std::uint64_t from) {
        const auto end = Clock::now() + 10s;
        while (Clock::now() < end) {
            for (const auto& r : RequestsSince(from)) {
                const std::string body = r.value("body", std::string());
                if (r["method"] == "POST" && r["status"] == 201 &&
                    body.find("\"" + id + "\"") != std::string::npos) {
                    KillAndRestart();
                    return true;
                }
            }
            std::this_thread::sleep_for(30ms);
        }
        return false;
    }

    std::vector<Spec> specs_;
    std::map<std::string, int> file_of_;
    std::set<int> broken_;
    int kills_ = 0;
    int starts_ = 0;
    std::vector<int> crashes_;
    std::filesystem::path dir_;

  private:
    static std::filesystem::path MakeTempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pw-soak-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
        return tmpl;
    }
    std::mt19937 rng_;
    std::unique_ptr<SimProcess> sim_;
    std::unique_ptr<DaemonProcess> daemon_;
    std::uint64_t last_seq_ = 0;
};

int Required(const std::vector<Spec>& specs, int version, const std::string& region) {
    int vms = 0;
    for (const auto& s : specs)
        if (s.declared && s.id != kConflict && s.version == version &&
            kRegions[static_cast<std::size_t>(s.account)] == region)
            vms += s.dedicated + s.low;
    return vms == 0 ? 0 : std::min(100, (vms + kVmsPerReplica - 1) / kVmsPerReplica);
}

TEST(Soak, ChaosThenConvergence) {
    Soak soak;
    constexpr int kFiles = 10;
    constexpr int kInitial = 45;
    // 50 pools: 45 declared from the start, 5 declared during the chaos; a few large ones.
    for (int i = 0; i < 50; ++i) {
        Spec s;
        s.id = "pool-" + std::to_string(i);
        s.account = i % 5;
        s.version = soak.Uniform(0, 4);
        s.dedicated = i % 12 == 0 ? soak.Uniform(1000, 2000) : soak.Uniform(0, 300);
        s.low = soak.Uniform(0, 3) == 0 ? soak.Uniform(1, 100) : 0;
        s.floor_minutes = i % 7 == 0 ? 20 : 0;
        s.declared = i < kInitial;
        soak.file_of_[s.id] = i % kFiles;
        soak.specs_.push_back(s);
    }
    {
        Spec conflict;
        conflict.id = kConflict;
        conflict.account = 0;
        conflict.version = 0;
        soak.file_of_[conflict.id] = 0;
        soak.specs_.push_back(conflict);
    }
    for (int f = 0; f < kFiles; ++f) soak.WriteFile(f);
    soak.Faults(true);
    soak.StartDaemon();

    int mid_lro = 0;
    int after_create = 0;
    int spec_changes = 0;
    int next_new = kInitial;
    const auto chaos_end = Clock::now() + kChaos;
    while (Clock::now() < chaos_end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(soak.Uniform(500, 2000)));
        soak.CheckAlive();
        const int roll = soak.Uniform(0, 99);
        auto& s = soak.specs_[static_cast<std::size_t>(soak.Uniform(0, 49))];
        if (roll < 35 && s.declared) {  // grow or shrink
            s.dedicated = soak.Chance(0.5) ? s.dedicated + soak.Uniform(1, 400)
                                           : soak.Uniform(0, s.dedicated);
            soak.WriteFile(soak.file_of_.at(s.id));
            ++spec_changes;
        } else if (roll < 45 && next_new < 50) {  // a new pool, killed right after its create
            auto& n = soak.specs_[static_cast<std::size_t>(next_new++)];
            n.declared = true;
            const auto from = soak.LastSeq();
            soak.WriteFile(soak.file_of_.at(n.id));
            ++spec_changes;
            if (soak.Chance(0.5) && soak.KillAfterCreate(n.id, from)) ++after_create;
        } else if (roll < 55) {
            soak.BreakFile(soak.Uniform(0, kFiles - 1));
        } else if (roll < 65 && !soak.broken_.empty()) {
            soak.WriteFile(*soak.broken_.begin());
        } else if (roll < 85) {
            std::this_thread::sleep_for(std::chrono::milliseconds(soak.Uniform(0, 1500)));
            soak.KillAndRestart();
        } else if (s.declared && s.dedicated < 1500 &&
                   soak.broken_.count(soak.file_of_.at(s.id)) == 0) {
            if (soak.KillMidLro(s)) ++mid_lro;
            ++spec_changes;
        }
    }
    for (int f = 0; f < kFiles; ++f)
        if (soak.broken_.count(f) != 0) soak.WriteFile(f);
    while (next_new < 50) {
        soak.specs_[static_cast<std::size_t>(next_new)].declared = true;
        soak.WriteFile(soak.file_of_.at(soak.specs_[static_cast<std::size_t>(next_new++)].id));
    }

    // One daemon from here on: faults continue with a few spec changes, RSS is sampled.
    soak.KillAndRestart();
    std::this_thread::sleep_for(10s);
    const long rss_warm = ProcKb(soak.daemon().pid(), "VmRSS");
    const long hwm_warm = ProcKb(soak.daemon().pid(), "VmHWM");
    const auto settle_end = Clock::now() + kSettle - 10s;
    long rss_max = rss_warm;
    while (Clock::now() < settle_end) {
        std::this_thread::sleep_for(2s);
        auto& s = soak.specs_[static_cast<std::size_t>(soak.Uniform(0, 49))];
        s.dedicated = soak.Uniform(0, 400);
        soak.WriteFile(soak.file_of_.at(s.id));
        ++spec_changes;
        rss_max = std::max(rss_max, ProcKb(soak.daemon().pid(), "VmRSS"));
    }
    soak.Faults(false);

    // Convergence: sizes as declared, steady, replicas >= required in every region.
    auto converged = [&](std::string* why) {
        const Json state = soak.State();
        std::map<std::string, Json> pools;
        for (const auto& a : state["batchAccounts"])
            for (const auto& p : a["pools"])
                pools[a["name"].get<std::string>() + "/" + p["id"].get<std::string>()] = p;
        for (const auto& s : soak.specs_) {
            if (s.id == kConflict) continue;
            const auto key = kAccounts[static_cast<std::size_t>(s.account)] + "/" + s.id;
            auto it = pools.find(key);
            if (it == pools.end()) {
                *why = key + " missing";
                return false;
            }
            const Json& p = it->second;
            if (p["targetDedicatedNodes"] != s.dedicated || p["targetLowPriorityNodes"] != s.low ||
                !e2e::E2E::Steady(p)) {
                *why = key + " not at spec: " + p["allocationState"].get<std::string>() + " " +
                       std::to_string(p.value("currentDedicatedNodes", -1)) + "/" +
                       std::to_string(p.value("targetDedicatedNodes", -1)) + " want " +
                       std::to_string(s.dedicated) + "+" + std::to_string(s.low);
                return false;
            }
        }
        for (const auto& g : state["galleries"])
            for (const auto& img : g["images"])
                for (const auto& v : img["versions"]) {
                    const auto vi =
                        std::find(kVersions.begin(), kVersions.end(), v["name"].get<std::string>());
                    if (img["name"] != "render" || vi == kVersions.end()) continue;
                    for (const auto& region :
                         std::set<std::string>(kRegions.begin(), kRegions.end())) {
                        const int need =
                            Required(soak.specs_, static_cast<int>(vi - kVersions.begin()), region);
                        const double ready = v["replication"].value(region, 0.0);
                        if (ready + 1e-9 < need) {
                            *why = v["name"].get<std::string>() + " in " + region + ": " +
                                   std::to_string(ready) + " replicas, need " +
                                   std::to_string(need);
                            return false;
                        }
                    }
                }
        return true;
    };
    const auto converge_start = Clock::now();
    std::string why;
    const bool ok = e2e::E2E::WaitFor([&] { return converged(&why); }, kConverge);
    const double converge_s = std::chrono::duration<double>(Clock::now() - converge_start).count();
    soak.CheckAlive();
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(1s);
        rss_max = std::max(rss_max, ProcKb(soak.daemon().pid(), "VmRSS"));
    }
    const long hwm_end = ProcKb(soak.daemon().pid(), "VmHWM");
    EXPECT_TRUE(ok) << "not converged " << kConverge.count()
                    << " s after the faults stopped: " << why;

    // The request log.
    const auto log = soak.RequestsSince(0);
    std::map<std::string, int> creates;
    std::map<std::string, int> last_target;
    int unowned_writes = 0;
    int grows = 0;
    int early_grows = 0;
    int resizes = 0;
    int bad_timeouts = 0;
    int faulted = 0;
    int f429 = 0;
    int f5xx = 0;
    int freset = 0;
    int fstall = 0;
    int flatency = 0;
    int tokens = 0;
    int unauthorized = 0;
    int writes = 0;
    std::string first_problem;
    for (const auto& r : log) {
        if (r.contains("fault")) {
            ++faulted;
            const std::string f = r["fault"];
            if (f.find("status:429") != std::string::npos) ++f429;
            if (f.find("status:5") != std::string::npos) ++f5xx;
            if (f.find("reset") != std::string::npos) ++freset;
            if (f.find("stall") != std::string::npos) ++fstall;
            if (f.find("latency") != std::string::npos) ++flatency;
        }
        if (r["path"].get<std::string>().find("/oauth2/") != std::string::npos &&
            r["status"] == 200)
            ++tokens;
        if (r["status"] == 401) ++unauthorized;
        const std::string method = r["method"];
        const std::string path = r["path"];
        if (method == "GET" || method == "HEAD" || path.find("/oauth2/") != std::string::npos)
            continue;
        ++writes;
        for (const auto& u : kUnowned)
            if (path.find("/pools/" + u) != std::string::npos ||
                r.value("body", std::string()).find("\"id\":\"" + u + "\"") != std::string::npos)
                ++unowned_writes;
        if (!r.contains("imageReplicas")) continue;
        const Json& img = r["imageReplicas"];
        const std::string key =
            img["account"].get<std::string>() + "/" + img["pool"].get<std::string>();
        const bool create = path.find("/pools?") != std::string::npos && method == "POST";
        const bool resize = path.find("/resize") != std::string::npos;
        if (!create && !resize) continue;
        const int status = r["status"];
        const Json body = Json::parse(r.value("body", std::string("{}")), nullptr, false);
        if (!body.is_object()) continue;
        const int target =
            body.value("targetDedicatedNodes", 0) + body.value("targetLowPriorityNodes", 0);
        if (create && status == 201) ++creates[key];
        if (resize) ++resizes;
        const std::string id = img["pool"];
        int floor = 0;
        for (const auto& s : soak.specs_)
            if (s.id == id) floor = s.floor_minutes;
        // The floor may have been set by any spec seen so far; pools with a floor keep it.
        if ((resize || target > 0) &&
            std::abs(IsoMinutes(body.value("resizeTimeout", std::string())) -
                     ExpectedTimeoutMinutes(target, floor)) > 1e-6) {
            ++bad_timeouts;
            if (first_problem.empty())
                first_problem = "resizeTimeout " + body.value("resizeTimeout", std::string("-")) +
                                " for " + key + " to " + std::to_string(target);
        }
        const int before = last_target.count(key) != 0 ? last_target[key] : 0;
        if (target > before) {
            ++grows;
            const int need = (target + kVmsPerReplica - 1) / kVmsPerReplica;
            if (img.value("completed", 0) < std::min(100, need)) {
                ++early_grows;
                if (first_problem.empty())
                    first_problem = "grow of " + key + " to " + std::to_string(target) + " with " +
                                    std::to_string(img.value("completed", 0)) +
                                    " completed replicas";
            }
        }
        if (status >= 200 && status < 300) last_target[key] = target;
    }
    int duplicates = 0;
    for (const auto& [key, n] : creates)
        if (n > 1) duplicates += n - 1;

    const int exit_code = soak.daemon().Stop();
    const std::string daemon_log = soak.daemon().Log();
    const auto crashes = soak.crashes_;
    const double rss_growth = hwm_warm > 0 ? 100.0 * static_cast<double>(hwm_end - hwm_warm) /
                                                 static_cast<double>(hwm_warm)
                                           : 0;

    std::printf("\n== poolwarden chaos soak (seed %u, time scale %.0fx) ==\n", kSeed, kTimeScale);
    std::printf("%-44s %12s\n", "figure", "value");
    std::printf("%-44s %12zu\n", "requests logged", log.size());
    std::printf("%-44s %12d\n", "requests faulted", faulted);
    std::printf("%-44s %12d\n", "  429 with Retry-After", f429);
    std::printf("%-44s %12d\n", "  500/503", f5xx);
    std::printf("%-44s %12d\n", "  connection resets", freset);
    std::printf("%-44s %12d\n", "  stalls (1.5 s and 35 s)", fstall);
    std::printf("%-44s %12d\n", "  added latency", flatency);
    std::printf("%-44s %12d\n", "tokens issued (30 s lifetime)", tokens);
    std::printf("%-44s %12d\n", "401 answers (expired tokens)", unauthorized);
    std::printf("%-44s %12d\n", "writes (POST/PUT/PATCH)", writes);
    std::printf("%-44s %12d\n", "spec changes", spec_changes);
    std::printf("%-44s %12d\n", "daemon starts", soak.starts_);
    std::printf("%-44s %12d\n", "SIGKILLs", soak.kills_);
    std::printf("%-44s %12d\n", "  of which mid replica LRO", mid_lro);
    std::printf("%-44s %12d\n", "  of which right after a pool create", after_create);
    std::printf("%-44s %12zu\n", "crashes (unexpected exits)", crashes.size());
    std::printf("%-44s %12s\n", "converged after faults stopped", ok ? "yes" : "NO");
    std::printf("%-44s %12.1f\n", "  convergence time (s)", converge_s);
    std::printf("%-44s %12zu\n", "pools created", creates.size());
    std::printf("%-44s %12d\n", "duplicate pool creations", duplicates);
    std::printf("%-44s %12d\n", "writes to unowned pools", unowned_writes);
    std::printf("%-44s %12d\n", "pool grows (create or resize up)", grows);
    std::printf("%-44s %12d\n", "  before replicas were in place", early_grows);
    std::printf("%-44s %12d\n", "resizes", resizes);
    std::printf("%-44s %12d\n", "  wrong resizeTimeout (incl. creates)", bad_timeouts);
    std::printf("%-44s %12ld\n", "RSS after warm-up (KiB)", rss_warm);
    std::printf("%-44s %12ld\n", "peak RSS after warm-up (KiB)", rss_max);
    std::printf("%-44s %12ld\n", "VmHWM after warm-up (KiB)", hwm_warm);
    std::printf("%-44s %12ld\n", "VmHWM at the end (KiB)", hwm_end);
    std::printf("%-44s %11.1f%%\n", "peak RSS growth after warm-up", rss_growth);
    std::printf("%-44s %12d\n", "final SIGTERM exit code", exit_code);
    std::fflush(stdout);

    EXPECT_TRUE(crashes.empty()) << "daemon exited unexpectedly, first status "
                                 << (crashes.empty() ? 0 : crashes.front());
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(unowned_writes, 0);
    EXPECT_EQ(early_grows, 0) << first_problem;
    EXPECT_EQ(bad_timeouts, 0) << first_problem;
    EXPECT_GT(grows, 50) << "the soak must exercise growth";
    EXPECT_LE(rss_growth, 10.0);
    EXPECT_EQ(exit_code, 0) << "SIGTERM exits 0";
    const auto conflict = soak.State()["batchAccounts"][0]["pools"];
    for (const auto& p : conflict) {
        if (p["id"] == kConflict) {
            EXPECT_EQ(p["targetDedicatedNodes"], 5) << "unowned pool touched";
        }
    }
    if (::testing::Test::HasFailure()) {
        std::printf(
            "daemon log tail:\n%s\n",
            daemon_log.substr(daemon_log.size() > 6000 ? daemon_log.size() - 6000 : 0).c_str());
    }
}

}  // namespace
}  // namespace pw::soak
