// Secrets never leave the process: a full reconcile by the poolwarden binary against
// poolwarden-sim at trace level (text and JSON logs) with faults and short-lived tokens, then
// every output a user or a scraper can see (stderr, stdout, /metrics, /status, /healthz,
// /readyz, `poolwarden status`, `poolwarden plan`, `poolwarden validate`, the output of a
// crash) is searched for the client secret, the federated assertion, every access token
// the simulator issued, and every secret a pool file names by ...File.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "../e2e/e2e_fixture.hpp"

namespace pw::security {
namespace {

namespace fs = std::filesystem;
using e2e::DaemonProcess;
using e2e::Json;
using simtest::Send;
using simtest::SimProcess;
using namespace std::chrono_literals;

std::string Base64(const std::string& in) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(in[i]) << 16U) |
                       (static_cast<unsigned char>(in[i + 1]) << 8U) |
                       static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += kAlphabet[(n >> 6U) & 63U];
        out += kAlphabet[n & 63U];
    }
    if (i + 1 == in.size()) {
        const auto n = static_cast<unsigned char>(in[i]) << 16U;
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += "==";
    } else if (i + 2 == in.size()) {
        const auto n = (static_cast<unsigned char>(in[i]) << 16U) |
                       (static_cast<unsigned char>(in[i + 1]) << 8U);
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += kAlphabet[(n >> 6U) & 63U];
        out += '=';
    }
    return out;
}

std::string Base64Url(const std::string& in) {
    std::string s = Base64(in);
    for (char& c : s) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

/// Runs a command, returns stdout and stderr together.
std::string Capture(const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

/// A secret and the forms it could leak in.
struct Needle {
    std::string what;
    std::string value;
};

/// The needles every output is searched for: the secret (raw, in HTTP Basic form) or the
/// assertion, and every token the simulator issued (whole and its unique payload segment).
std::vector<Needle> Needles(std::uint16_t sim_port, const std::vector<Needle>& secrets) {
    std::vector<Needle> out = secrets;
    const Json tokens = Send(sim_port, "GET", "/_sim/tokens").json()["tokens"];
    int i = 0;
    for (const auto& t : tokens) {
        const std::string token = t;
        out.push_back({"access token #" + std::to_string(i), token});
        const auto d1 = token.find('.');
        const auto d2 = token.find('.', d1 + 1);
        out.push_back(
            {"payload of access token #" + std::to_string(i), token.substr(d1 + 1, d2 - d1 - 1)});
        ++i;
    }
    return out;
}

/// Fails for each needle found in an output, naming both.
void ExpectClean(const std::map<std::string, std::string>& outputs,
                 const std::vector<Needle>& needles) {
    for (const auto& [name, text] : outputs) {
        for (const auto& n : needles) {
            EXPECT_EQ(text.find(n.value), std::string::npos) << n.what << " appears in " << name;
        }
    }
}

/// A simulator with the example world (short tokens, some faults) and a config directory.
class SecretHygiene : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "pw-sec-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        // Tokens for 8 s: refreshed at half-life, several per resource during the run.
        sim_ = std::make_unique<SimProcess>(std::vector<std::string>{
            "--port", "0", "--state", simtest::ExampleWorld(), "--time-scale", "600",
            "--token-lifetime", "8", "--seed", "3"});
        fs::create_directories(dir_ / "pools.d");
        std::ofstream(dir_ / "pools.d" / "render.yaml")
            << "pools:\n" + e2e::PoolYaml("render-linux", "renderbatch", 2000, 1000);
        // Faults on every surface, including the token endpoint, so error paths get logged.
        Send(sim_->port(), "PUT", "/_sim/faults", R"({"rules":[
            {"path":"/oauth2/","probability":0.3,"status":500},
            {"path":".","probability":0.1,"status":429,"retryAfter":1},
            {"path":".","probability":0.05,"status":503},
            {"path":".","probability":0.03,"action":"reset"}]})");
    }
    void TearDown() override {
        daemon_.reset();
        sim_.reset();
        std::error_code ec;
        if (!dir_.empty() && !getenv("PW_E2E_KEEP")) fs::remove_all(dir_, ec);
    }

    void WriteDaemonFile(const std::string& auth) {
        std::ofstream(dir_ / "poolwarden.yaml") << e2e::DaemonYaml(
            sim_->port(), {"renderbatch"},
            "reconcile:\n  interval: 1s\npoolsDir: pools.d\nlisten: 127.0.0.1:0\n", auth);
    }
    /// clientSecret auth reading ./client-secret (mode 0600, with a trailing newline).
    void UseClientSecretFile() {
        std::ofstream(dir_ / "client-secret") << simtest::kSecret << "\n";
        fs::permissions(dir_ / "client-secret", fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        WriteDaemonFile(e2e::kClientSecretAuth);
    }
    std::string Config() const { return (dir_ / "poolwarden.yaml").string(); }

    void StartDaemon(const std::string& format, const std::string& log_name) {
        daemon_ = std::make_unique<DaemonProcess>(
            std::vector<std::string>{"run", "--config", Config(), "--log-level", "trace",
                                     "--log-format", format},
            dir_ / log_name);
    }

    std::uint16_t DaemonPort() { return e2e::ListeningPort(*daemon_); }

    static std::string Url(std::uint16_t port) {
        return "http://127.0.0.1:" + std::to_string(port);
    }
    /// The endpoints' bodies and the CLI's outputs (status, plan, validate) of a running daemon.
    std::map<std::string, std::string> Outputs(std::uint16_t port) const {
        std::map<std::string, std::string> out;
        for (const char* path : {"/metrics", "/status", "/healthz", "/readyz"})
            out[std::string("GET ") + path] = Send(port, "GET", path).body;
        const std::string bin = PW_DAEMON_BINARY;
        out["poolwarden status"] = Capture(bin + " status --url " + Url(port));
        out["poolwarden plan"] = Capture(bin + " plan -o json --config " + Config());
        out["poolwarden validate"] = Capture(bin + " validate --config " + Config());
        return out;
    }

    /// Waits for the pool to converge, then gathers every output of a full reconcile.
    std::map<std::string, std::string> RunAndCollect(const std::string& format) {
        StartDaemon(format, "poolwarden-" + format + ".log");
        const auto port = DaemonPort();
        EXPECT_NE(port, 0) << daemon_->Log();
        const bool converged = e2e::E2E::WaitFor(
            [&] {
                const Json state = Send(sim_->port(), "GET", "/_sim/state").json();
                for (const auto& p : state["batchAccounts"][0]["pools"])
                    if (p["id"] == "render-linux") return e2e::E2E::Steady(p);
                return false;
            },
            90s);
        EXPECT_TRUE(converged) << "no full reconcile happened";
        std::this_thread::sleep_for(9s);  // past a token lifetime: refreshes are logged too
        auto out = Outputs(port);
        out["poolwarden status -o json"] =
            Capture(std::string(PW_DAEMON_BINARY) + " status -o json --url " + Url(port));
        EXPECT_EQ(daemon_->Stop(), 0);
        out["stderr (" + format + ")"] = daemon_->Log();
        out["stdout (" + format + ")"] = daemon_->Stdout();
        // The outputs are real: the trace log shows token and Azure traffic, status the pool.
        EXPECT_THAT(out["stderr (" + format + ")"], ::testing::HasSubstr("render-linux"));
        EXPECT_THAT(out["stderr (" + format + ")"], ::testing::HasSubstr("refreshed via"));
        EXPECT_THAT(out["GET /status"], ::testing::HasSubstr("render-linux"));
        EXPECT_THAT(out["GET /metrics"], ::testing::HasSubstr("poolwarden_token_refreshes_total"));
        EXPECT_THAT(out["poolwarden status"], ::testing::HasSubstr("render-linux"));
        return out;
    }

    fs::path dir_;
    std::unique_ptr<SimProcess> sim_;
    std::unique_ptr<DaemonProcess> daemon_;
};

std::vector<Needle> ClientSecretNeedles() {
    return {{"the client secret", simtest::kSecret},
            {"the client secret in HTTP Basic form",
             Base64(std::string(simtest::kClient) + ":" + simtest::kSecret)}};
}

TEST_F(SecretHygiene, ClientSecretNeverInAnyOutputTextAndJsonLogs) {
    UseClientSecretFile();
    auto outputs = RunAndCollect("text");
    EXPECT_THAT(outputs["stderr (text)"], ::testing::HasSubstr("add_pool POST"));  // the writes
    auto json = RunAndCollect("json");
    outputs.insert(json.begin(), json.end());
    const auto needles = Needles(sim_->port(), ClientSecretNeedles());
    ASSERT_GE(needles.size(), 2U + 2U * 4U) << "several tokens must have been issued";
    ExpectClean(outputs, needles);
}

TEST_F(SecretHygiene, FederatedAssertionNeverInAnyOutput) {
    // A projected service-account token as Kubernetes writes it: an (unsigned) JWT.
    const std::string assertion =
        Base64Url(R"({"alg":"RS256","kid":"pw-test"})") + "." +
        Base64Url(R"({"aud":"api://AzureADTokenExchange","iss":"https://oidc.example",)"
                  R"("sub":"system:serviceaccount:batch:poolwarden","exp":4102444800,)"
                  R"("jti":"f3c1d2e4-secret-assertion-marker"})") +
        "." + Base64Url("not-a-real-signature-but-secret");
    std::ofstream(dir_ / "federated-token") << assertion;
    WriteDaemonFile(
        "  method: workloadIdentity\n  tenantId: 22222222-2222-2222-2222-222222222222\n"
        "  clientId: 33333333-3333-3333-3333-333333333333\n  federatedTokenFile: "
        "federated-token\n");
    auto outputs = RunAndCollect("json");
    EXPECT_THAT(outputs["stderr (json)"], ::testing::HasSubstr("add_pool POST"));
    const auto d1 = assertion.find('.');
    const auto d2 = assertion.rfind('.');
    auto needles =
        Needles(sim_->port(), {{"the federated assertion", assertion},
                               {"the assertion's payload", assertion.substr(d1 + 1, d2 - d1 - 1)},
                               {"the assertion's signature", assertion.substr(d2 + 1)}});
    ASSERT_GE(needles.size(), 3U + 2U * 2U) << "tokens must have been issued";
    // The simulator logged the daemon's assertion grant (redacted body), so the exchange ran.
    const auto log = Send(sim_->port(), "GET", "/_sim/requests").json()["requests"];
    const bool exchanged = std::any_of(log.begin(), log.end(), [](const Json& r) {
        return r["path"].get<std::string>().find("/oauth2/v2.0/token") != std::string::npos &&
               r["status"] == 200;
    });
    EXPECT_TRUE(exchanged);
    ExpectClean(outputs, needles);
}

TEST_F(SecretHygiene, ASecretPastedAsTheSecretFileIsNeverEchoed) {
    // A common slip: the secret itself where its file name belongs. The daemon cannot read
    // such a "file"; it must say so without repeating the value anywhere.
    WriteDaemonFile(std::string(e2e::kClientSecretAuth)
                        .replace(e2e::kClientSecretAuth.find("client-secret\n"),
                                 std::string("client-secret").size(), simtest::kSecret));
    StartDaemon("json", "pasted.log");
    const auto port = DaemonPort();
    ASSERT_NE(port, 0) << daemon_->Log();
    ASSERT_TRUE(e2e::E2E::WaitFor(
        [&] {
            return daemon_->Log().find("not a readable file") != std::string::npos &&
                   Send(port, "GET", "/status").body.find("not a readable file") !=
                       std::string::npos;
        },
        30s))
        << daemon_->Log();
    auto out = Outputs(port);
    EXPECT_EQ(daemon_->Stop(), 0);
    out["stderr (json)"] = daemon_->Log();
    out["stdout (json)"] = daemon_->Stdout();
    EXPECT_THAT(out["poolwarden validate"], ::testing::HasSubstr("not a readable file"));
    ExpectClean(out, {{"the client secret", simtest::kSecret}});
}

TEST_F(SecretHygiene, PoolSecretsFromFilesNeverInAnyOutput) {
    // Every secret a pool file can name by ...File, each with distinct bytes.
    const std::map<std::string, std::string> secrets = {
        {"registry-password", "pw-registry-secret-9f2c41"},
        {"task-registry-password", "pw-task-registry-secret-0d77e3"},
        {"blob-key", "pw-blob-account-key-71ad55"},
        {"blob-sas", "sv=2024-05-04&sr=c&sig=pw-blob-sas-secret-3c9a"},
        {"cifs-password", "pw-cifs-secret-4b1e08"},
        {"share-key", "pw-share-account-key-e2f6aa"},
        {"user-password", "pw-user-secret-58c0d1"},
        {"ssh-key", "-----BEGIN OPENSSH PRIVATE KEY-----\npw-ssh-secret-a6b3\n-----END"},
        {"protected.json", R"({"storageAccountKey": "pw-ext-protected-5be0f9"})"},
    };
    for (const auto& [file, value] : secrets) std::ofstream(dir_ / file) << value << "\n";
    const std::string extra = R"(    virtualMachineConfiguration:
      containerConfiguration:
        type: dockerCompatible
        containerRegistries:
          - {registryServer: cr.example, username: pull, passwordFile: registry-password}
      extensions:
        - {name: agent, publisher: p, type: t, protectedSettingsFile: protected.json}
    mountConfiguration:
      - azureBlobFileSystemConfiguration: {accountName: a, containerName: c, relativeMountPath: k, accountKeyFile: blob-key}
      - azureBlobFileSystemConfiguration: {accountName: a, containerName: d, relativeMountPath: s, sasKeyFile: blob-sas}
      - cifsMountConfiguration: {username: u, source: //h/s, relativeMountPath: cifs, passwordFile: cifs-password}
      - azureFileShareConfiguration: {accountName: a, azureFileUrl: https://a.file.core.windows.net/s, relativeMountPath: share, accountKeyFile: share-key}
    userAccounts:
      - name: runner
        passwordFile: user-password
        linuxUserConfiguration: {uid: 1000, gid: 1000, sshPrivateKeyFile: ssh-key}
    startTask:
      commandLine: /bin/true
      containerSettings:
        imageName: cr.example/tool:1
        registry: {registryServer: cr.example, username: pull, passwordFile: task-registry-password}
)";
    std::ofstream(dir_ / "pools.d" / "secret.yaml")
        << "pools:\n" + e2e::PoolYaml("secret-pool", "renderbatch", 2, 0, e2e::kRender140, extra);
    UseClientSecretFile();
    auto outputs = RunAndCollect("json");
    // The secrets were sent: the simulator's own state (not a poolwarden output) holds them.
    const std::string state = Send(sim_->port(), "GET", "/_sim/state").body;
    ASSERT_THAT(state, ::testing::HasSubstr("pw-registry-secret-9f2c41"))
        << "secret-pool was not created with its secrets";
    ASSERT_THAT(state, ::testing::HasSubstr("pw-ext-protected-5be0f9"));
    outputs["poolwarden plan (text)"] =
        Capture(std::string(PW_DAEMON_BINARY) + " plan --config " + Config());
    std::vector<Needle> needles = ClientSecretNeedles();
    for (const auto& [file, value] : secrets) needles.push_back({"pool secret " + file, value});
    needles.push_back({"a piece of the SAS", "pw-blob-sas-secret-3c9a"});
    needles.push_back({"a piece of the SSH key", "pw-ssh-secret-a6b3"});
    needles.push_back({"a protected setting", "pw-ext-protected-5be0f9"});
    ExpectClean(outputs, Needles(sim_->port(), needles));
}

TEST_F(SecretHygiene, CrashOutputHoldsNoSecret) {
    UseClientSecretFile();
    std::map<std::string, std::string> outputs;
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS}) {
        const std::string name = "crash by signal " + std::to_string(sig);
        StartDaemon("text", "crash-" + std::to_string(sig) + ".log");
        ASSERT_NE(DaemonPort(), 0) << daemon_->Log();
        // Wait until tokens are held in memory, then crash.
        ASSERT_TRUE(e2e::E2E::WaitFor(
            [&] {
                return !Send(sim_->port(), "GET", "/_sim/tokens").json()["tokens"].empty() &&
                       daemon_->Log().find("cycle") != std::string::npos;
            },
            30s));
        daemon_->Signal(sig);
        EXPECT_EQ(daemon_->Wait(10s), 128 + sig) << name << ": dies by the signal";
        outputs[name + " (stderr)"] = daemon_->Log();
        outputs[name + " (stdout)"] = daemon_->Stdout();
        daemon_.reset();
    }
    ExpectClean(outputs, Needles(sim_->port(), ClientSecretNeedles()));
}

}  // namespace
}  // namespace pw::security
