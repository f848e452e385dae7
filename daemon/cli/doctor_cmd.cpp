#include <fmt/core.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/app.hpp"
#include "azure/observer.hpp"
#include "cli/commands.hpp"
#include "cli/doctor.hpp"
#include "config/load.hpp"
#include "log/log.hpp"

namespace pw::cli {
namespace {

struct DoctorOptions {
    std::string config = "/etc/poolwarden/poolwarden.yaml";
    std::string output = "text";
};

std::string Env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

/// Token outcomes per resource (the clients report each fetch here).
class TokenRecorder final : public azure::RequestObserver {
  public:
    explicit TokenRecorder(DoctorReads& reads) : reads_(reads) {}
    void on_token_refresh(std::string_view resource, bool ok) override {
        auto [it, fresh] = reads_.tokens.emplace(std::string(resource), ok);
        if (!fresh) it->second = it->second || ok;
    }

  private:
    DoctorReads& reads_;
};

azure::Error Refused(DoctorReads& reads, std::string what) {
    reads.refused_writes.push_back(what);
    return azure::Error{azure::ErrorKind::Client,
                        0,
                        "ReadOnly",
                        "poolwarden doctor never writes (" + what + " refused)",
                        std::nullopt,
                        false};
}

/// The real clients behind a read-only front: reads pass through (the Batch account GETs and
/// VM size lists recorded for the doctor's account checks), every write is refused before it
/// reaches the network.
///
/// Thread safety: use from the daemon's strand.
class ReadOnlyClients final : public app::AzureClients, azure::BatchApi, azure::ArmApi {
  public:
    ReadOnlyClients(std::unique_ptr<app::AzureClients> inner, DoctorReads& reads)
        : inner_(std::move(inner)), reads_(reads) {}
    azure::BatchApi& batch() override { return *this; }
    azure::ArmApi& arm() override { return *this; }
    void shutdown() override { inner_->shutdown(); }

    boost::asio::awaitable<azure::Result<std::vector<model::ObservedPool>>> list_pools(
        const std::string& endpoint) override {
        co_return co_await inner_->batch().list_pools(endpoint);
    }
    boost::asio::awaitable<azure::Result<model::ObservedPool>> get_pool(
        const std::string& endpoint, const std::string& pool_id) override {
        co_return co_await inner_->batch().get_pool(endpoint, pool_id);
    }
    boost::asio::awaitable<azure::Result<Unit>> add_pool(
        const std::string&, const azure::PoolAddRequest& request) override {
        co_return Err{Refused(reads_, "add pool " + request.spec.id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> resize_pool(const std::string&,
                                                            const std::string& pool_id,
                                                            const azure::PoolResizeRequest&,
                                                            const std::string&) override {
        co_return Err{Refused(reads_, "resize pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> stop_resize(const std::string&,
                                                            const std::string& pool_id) override {
        co_return Err{Refused(reads_, "stop resize of pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> patch_pool(const std::string&,
                                                           const std::string& pool_id,
                                                           const azure::PoolPatchRequest&,
                                                           const std::string&) override {
        co_return Err{Refused(reads_, "patch pool " + pool_id)};
    }
    // evaluateautoscale changes nothing on the pool, but it is a POST, and doctor sends none.
    boost::asio::awaitable<azure::Result<azure::AutoScaleRun>> evaluate_auto_scale(
        const std::string&, const std::string& pool_id, const model::AutoScale&) override {
        co_return Err{Refused(reads_, "evaluate autoscale of pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> enable_auto_scale(const std::string&,
                                                                  const std::string& pool_id,
                                                                  const model::AutoScale&,
                                                                  const std::string&) override {
        co_return Err{Refused(reads_, "enable autoscale of pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> disable_auto_scale(
        const std::string&, const std::string& pool_id) override {
        co_return Err{Refused(reads_, "disable autoscale of pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<Unit>> delete_pool(const std::string&,
                                                            const std::string& pool_id,
                                                            const std::string&) override {
        co_return Err{Refused(reads_, "delete of pool " + pool_id)};
    }
    boost::asio::awaitable<azure::Result<model::NodeAgentSkuTable>> list_node_agent_skus(
        const std::string& endpoint) override {
        co_return co_await inner_->batch().list_node_agent_skus(endpoint);
    }
    boost::asio::awaitable<azure::Result<model::NodeCounts>> list_node_counts(
        const std::string& endpoint, const std::string& pool_id) override {
        co_return co_await inner_->batch().list_node_counts(endpoint, pool_id);
    }
    boost::asio::awaitable<azure::Result<std::string>> get_subscription_tenant(
        const std::string& subscription_id) override {
        co_return co_await inner_->arm().get_subscription_tenant(subscription_id);
    }
    boost::asio::awaitable<azure::Result<std::string>> get_provider_registration(
        const std::string& subscription_id, const std::string& provider_namespace) override {
        co_return co_await inner_->arm().get_provider_registration(subscription_id,
                                                                   provider_namespace);
    }
    boost::asio::awaitable<azure::Result<azure::AccountInfo>> get_batch_account(
        const model::AccountSpec& account) override {
        auto r = co_await inner_->arm().get_batch_account(account);
        if (r)
            reads_.accounts[account.name] = *r;
        else
            reads_.account_errors[account.name] = r.error();
        co_return r;
    }
    boost::asio::awaitable<azure::Result<std::vector<model::VmSku>>> list_supported_vm_skus(
        const std::string& subscription_id, const std::string& location) override {
        auto r = co_await inner_->arm().list_supported_vm_skus(subscription_id, location);
        if (!r) reads_.sku_errors[observe::SkuKey(subscription_id, location)] = r.error();
        co_return r;
    }
    boost::asio::awaitable<azure::Result<model::ObservedImage>> get_image(
        const std::string& image_definition_id) override {
        co_return co_await inner_->arm().get_image(image_definition_id);
    }
    boost::asio::awaitable<azure::Result<std::vector<model::ImageVersionListing>>>
    list_image_versions(const std::string& image_definition_id) override {
        co_return co_await inner_->arm().list_image_versions(image_definition_id);
    }
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> get_image_version(
        const std::string& image_version_id) override {
        co_return co_await inner_->arm().get_image_version(image_version_id);
    }
    boost::asio::awaitable<azure::Result<model::ObservedImageVersion>> update_target_regions(
        const std::string& image_version_id, const std::vector<model::TargetRegion>&) override {
        co_return Err{Refused(reads_, "update target regions of " + image_version_id)};
    }

  private:
    std::unique_ptr<app::AzureClients> inner_;
    DoctorReads& reads_;
};

int RunDoctor(const DoctorOptions& opt) {
    log::Setup(log::Format::Text, spdlog::level::critical);  // every problem is a row
    std::vector<DoctorCheck> checks;
    auto print = [&] {
        fmt::print("{}", opt.output == "json" ? RenderDoctorJson(checks) + "\n"
                                              : RenderDoctorText(checks));
        return DoctorExitCode(checks);
    };
    auto loaded = config::LoadConfig(opt.config);
    if (!loaded) {
        checks = ConfigChecks(opt.config, nullptr, loaded.error());
        return print();
    }
    checks = ConfigChecks(opt.config, &*loaded, {});
    for (auto& c : SecretFileChecks(*loaded, Env)) checks.push_back(std::move(c));
    checks.push_back(CredentialsDirectoryCheck(*loaded, Env));
    checks.push_back(ClockSkewProbe(loaded->daemon, Env));
    checks.push_back(ListenAddressCheck(loaded->daemon.listen));

    // One read-only observation and plan, as live `plan` makes it (app::Mode::PlanLive).
    DoctorReads reads;
    TokenRecorder recorder(reads);
    std::optional<std::vector<DoctorCheck>> azure;
    app::Options run;
    run.config = opt.config;
    run.mode = app::Mode::PlanLive;
    run.clients = [&](const config::DaemonConfig& d, boost::asio::any_io_executor ex)
        -> Result<std::unique_ptr<app::AzureClients>, std::string> {
        auto made = app::MakeAzureClients(d, std::move(ex), &recorder);
        if (!made) {
            reads.clients_error = made.error();
            return Err{std::move(made).error()};
        }
        return std::unique_ptr<app::AzureClients>(
            std::make_unique<ReadOnlyClients>(std::move(*made), reads));
    };
    run.on_plan_report = [&](const model::DesiredState& declared,
                             const reconcile::CycleReport& report) {
        azure = AzureChecks(declared, report, reads);
    };
    int code = 0;
    std::string failure;
    try {
        code = app::Run(run);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!azure && !failure.empty()) {
        azure = {DoctorCheck{"local", "", "", "azure", DoctorStatus::Fail,
                             "the read-only pass failed: " + failure,
                             "run poolwarden plan --config " + opt.config + " to see why"}};
    }
    if (!azure) {
        if (!reads.clients_error.empty()) {
            azure = AzureChecks(loaded->desired(), reconcile::CycleReport{}, reads);
        } else {
            azure = {DoctorCheck{"local", "", "", "azure", DoctorStatus::Fail,
                                 fmt::format("the read-only pass did not finish (exit {})", code),
                                 "run poolwarden plan --config " + opt.config + " to see why"}};
        }
    }
    for (auto& c : *azure) checks.push_back(std::move(c));
    return print();
}

}  // namespace

void AddDoctorCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "doctor",
        "Run every check once (config, secrets, clock, listen address, live Azure read-only): "
        "OK / WARN / FAIL per check; exit 1 on any FAIL");
    auto opt = std::make_shared<DoctorOptions>();
    cmd->add_option("--config,-c", opt->config, "Daemon file")->capture_default_str();
    cmd->add_option("--output,-o", opt->output, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    cmd->callback([opt, &exit_code] { exit_code = RunDoctor(*opt); });
}

}  // namespace pw::cli
