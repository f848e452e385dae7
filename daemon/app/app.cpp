#include "app/app.hpp"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "app/config_state.hpp"
#include "app/dir_watch.hpp"
#include "app/service.hpp"
#include "leader/leadership.hpp"
#include "log/log.hpp"
#include "planner/planner.hpp"
#include "reconcile/loop.hpp"
#include "server/observability.hpp"

namespace pw::app {

namespace asio = boost::asio;

namespace {

std::string JoinErrors(const std::vector<config::ConfigError>& errors) {
    std::string out;
    for (const auto& e : errors) out += (out.empty() ? "" : "\n") + e.str();
    return out;
}

void LogFileErrors(const ConfigState& cfg) {
    for (const auto& f : cfg.files()) {
        if (f.valid) continue;
        for (const auto& e : f.errors)
            log::Write(spdlog::level::err, "pool file rejected",
                       {{"file", f.file},
                        {"error", e},
                        {"inForce", f.using_last_good ? "last good version" : "nothing"}});
    }
}

void PublishConfig(reconcile::StatusStore& status, const ConfigState& cfg, std::string error) {
    status.update([&](reconcile::StatusSnapshot& s) {
        s.config_files = cfg.files();
        s.config_error = std::move(error);
    });
}

/// The daemon's io_context. Coroutines still suspended when run() returns (the shutdown grace
/// expired during a stalled write, say) live on in its pending operations; destroy_pending()
/// destroys them while everything they refer to (clients, reconciler, status, ...) still
/// exists. Left to ~io_context, which runs after Run()'s other locals are gone, their cleanup
/// (a connection going back to its client's pool, ...) would touch freed memory.
class IoContext : public asio::io_context {
  public:
    explicit IoContext(int concurrency_hint) : asio::io_context(concurrency_hint) {}
    /// execution_context::shutdown(): every service drops its pending operations, destroying
    /// their handlers and the coroutine frames they own. I/O objects may still be destroyed
    /// afterwards, as within ~io_context, which shuts the services down again (a no-op then).
    void destroy_pending() { shutdown(); }
};

/// run(), then destroy_pending() (also when a handler throws).
void RunThenDestroyPending(IoContext& ctx) {
    try {
        ctx.run();
    } catch (...) {
        ctx.destroy_pending();
        throw;
    }
    ctx.destroy_pending();
}

std::chrono::milliseconds Interval(const Options& opt, const ConfigState& cfg) {
    if (opt.interval_override.count() > 0) return opt.interval_override;
    return cfg.daemon().reconcile.interval;
}

/// 3 instead of 0 when `run` would delete orphaned pools and the caller did not allow it.
int DeletionExit(int code, const model::DesiredState& desired, const model::Plan& plan,
                 bool allowed) {
    const auto pending = planner::PendingDeletions(desired, plan);
    if (pending.empty()) return code;
    fmt::print(stderr,
               "{} orphaned pool(s) would be deleted by poolwarden run (prune.mode delete): {}{}\n",
               pending.size(), fmt::join(pending, ", "),
               allowed ? "" : "; pass --allow-delete to accept (exit status 3)");
    return code == 0 && !allowed ? 3 : code;
}

std::string NotLeaderMessage(const leader::LeaderView& v) {
    std::string who = v.holder.empty() ? "another instance" : v.holder;
    if (!v.last_error.empty())
        return fmt::format(
            "apply --once: the leader lease could not be taken ({}); nothing was written",
            v.last_error);
    return fmt::format(
        "apply --once: {} holds the leader lease{}; nothing was written (exit status 4). "
        "While instances of `poolwarden run` lead, let them apply the files, or stop them "
        "first; `poolwarden plan` shows what would change",
        who,
        v.since ? fmt::format(" (since {:%Y-%m-%dT%H:%M:%SZ})",
                              std::chrono::floor<std::chrono::seconds>(*v.since))
                : "");
}

}  // namespace

int Run(const Options& opt) {
#if defined(__GLIBC__)
    // Buffers from 256 KiB up (pool-list pages, the /metrics and /status text) are mapped for
    // each use and given back when freed. By default glibc raises this threshold to the size
    // of the largest buffer freed, after which such buffers stay in the heap and the RSS with
    // them.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
    auto loaded = ConfigState::Load(opt.config);
    if (!loaded) {
        for (const auto& e : loaded.error()) fmt::print(stderr, "{}\n", e.str());
        fmt::print(stderr, "{}: {} error(s); not starting\n", opt.config.string(),
                   loaded.error().size());
        return 1;
    }
    ConfigState cfg = std::move(*loaded);
    for (const auto& w : cfg.daemon().warnings)
        log::Write(spdlog::level::warn, "config warning", {{"warning", w.str()}});
    LogFileErrors(cfg);

    IoContext ctx(1);
    server::Observability obs(cfg.daemon(), [&] { return Interval(opt, cfg); });
    obs.config_loaded(!cfg.has_file_errors());
    reconcile::StatusStore status;
    // systemd (run mode): READY=1 once /readyz's config and token checks pass (or a pass
    // observed everything) and the listener is up; WATCHDOG=1 only while the loop moves.
    const auto readiness = obs.sources(status).readiness;
    bool observed_once = false;
    const reconcile::Loop* loop_ptr = nullptr;
    ServiceNotifier service(
        ctx.get_executor(),
        [&] { return observed_once || server::CheckReadiness(readiness, {"observation"}).ok; },
        [&] { return loop_ptr != nullptr && loop_ptr->in_pass(); },
        opt.mode == Mode::Run ? notify::Notifier::watchdog_interval() : std::nullopt);
    ProgressObserver progress(
        obs.observer(), [&] { service.progress(); },
        [&](bool ok) {
            if (opt.mode == Mode::Run) service.token_fetched(ok);
        });
    auto factory =
        opt.clients
            ? opt.clients
            : ClientFactory([&progress](const config::DaemonConfig& d, asio::any_io_executor ex) {
                  return MakeAzureClients(d, ex, &progress);
              });
    auto made = factory(cfg.daemon(), ctx.get_executor());
    if (!made) {
        fmt::print(stderr, "{}: {}\n", opt.config.string(), made.error());
        return 1;
    }
    SwitchingClients clients(std::shared_ptr<AzureClients>(std::move(*made)));

    PublishConfig(status, cfg, "");
    reconcile::Reconciler::Options ropt;
    ropt.concurrency = cfg.daemon().reconcile.concurrency;
    // Leader election (issue 18): only the lease holder writes, in run mode and in apply
    // --once (which takes part for its one pass, so that it never writes beside a running
    // leader). Its settings are read at start; a reload does not change them.
    std::unique_ptr<leader::LeaseStack> lease_stack;
    std::unique_ptr<leader::Leadership> leadership;
    if (opt.mode != Mode::PlanLive && cfg.daemon().leader_election.enabled) {
        auto built = leader::LeaseStack::Create(ctx.get_executor(), cfg.daemon(), &progress);
        if (!built) {
            fmt::print(stderr, "{}: leaderElection: {}\n", opt.config.string(), built.error());
            return 1;
        }
        lease_stack = std::move(*built);
        const auto& le = cfg.daemon().leader_election;
        obs.metrics().set_leader(false);

        leadership = std::make_unique<leader::Leadership>(
            lease_stack->client(),
            leader::ElectorSettings{le.lease_duration, le.renew_every,
                                    leader::SafetyMargin(le.lease_duration)},
            le.identity,
            leader::LeadershipEvents{
                .on_role =
                    [&obs](bool leading) {
                        obs.metrics().set_leader(leading);
                        obs.metrics().leader_transition();
                    },
                .on_call = [&obs](bool ok, double s) { obs.metrics().lease_renew(ok, s); },
                .on_view =
                    [&status](const leader::LeaderView& v) {
                        status.update([&](reconcile::StatusSnapshot& s) {
                            s.leadership = reconcile::LeadershipStatus{
                                v.leader ? "leader" : "standby", v.identity, v.holder, v.since,
                                v.last_error};
                        });
                    }});
        // guess: a write reaches Azure within 2 s of the check; the lease must be proven that
        // much longer beyond its safety margin (Batch and ARM take no lease id to fence with).
        auto hold = [&leadership] {
            return leadership->write_hold(std::chrono::milliseconds(2000));
        };
        ropt.write_hold = hold;
        clients.set_write_gate(hold);
    }
    reconcile::Reconciler rec(clients, clients, status, ropt, planner::MakePlan);

    std::atomic<bool> stop{false};
    int exit_code = 0;
    asio::signal_set signals(ctx, SIGINT, SIGTERM, SIGHUP);
    std::exception_ptr failure;
    auto finish = [&](std::exception_ptr e) {
        failure = e;
        signals.cancel();
        clients.shutdown();
        ctx.stop();
    };

    if (opt.mode != Mode::Run) {
        signals.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            log::Write(spdlog::level::warn, "signal received; finishing in-flight writes");
            stop = true;
        });
        asio::co_spawn(
            ctx,
            [&]() -> asio::awaitable<void> {
                auto now = std::chrono::system_clock::now();
                const auto desired = cfg.desired();
                if (opt.mode == Mode::PlanLive) {
                    auto r = co_await rec.plan_once(*desired, now);
                    if (opt.on_plan_report) opt.on_plan_report(*desired, r);
                    for (const auto& [name, h] : r.observation.accounts)
                        if (!h.complete && !opt.on_plan_report)
                            fmt::print(stderr,
                                       "account {}: not observed ({}); its pools are left "
                                       "out of the plan\n",
                                       name, h.error);
                    if (opt.print_plan) opt.print_plan(r.plan);
                    exit_code = r.ok() && !cfg.has_file_errors() ? 0 : 2;
                    exit_code = DeletionExit(exit_code, *desired, r.plan, opt.allow_delete);
                } else {
                    if (leadership) {
                        asio::co_spawn(ctx, leadership->run(), asio::detached);
                        const auto& le = cfg.daemon().leader_election;
                        if (!co_await leadership->first_answer(le.renew_every + le.renew_every)) {
                            exit_code = 4;
                            fmt::print(stderr, "{}\n", NotLeaderMessage(leadership->view()));
                            co_await leadership->shutdown();
                            lease_stack->shutdown();
                            co_return;
                        }
                    }
                    auto r = co_await rec.reconcile_once(*desired, now, &stop);
                    if (leadership) {
                        co_await leadership->shutdown();
                        lease_stack->shutdown();
                    }
                    if (opt.on_cycle) opt.on_cycle(r, status);
                    exit_code = r.ok() && !cfg.has_file_errors() ? 0 : 2;
                    fmt::print("{}: {} action(s), {} write(s), {} failed{}{}\n",
                               r.converged() ? "converged"
                               : r.ok()      ? "in progress (waiting)"
                                             : "errors",
                               r.plan.actions.size(), r.writes, r.failed,
                               r.incomplete ? ", some accounts or images not observed" : "",
                               cfg.has_file_errors() ? ", rejected pool files" : "");
                    exit_code = DeletionExit(exit_code, *desired, r.plan, opt.allow_delete);
                }
            },
            finish);
        RunThenDestroyPending(ctx);
        if (failure) std::rethrow_exception(failure);
        return exit_code;
    }

    if (auto port = obs.start(ctx.get_executor(), status); !port) {
        fmt::print(stderr, "{}: {}\n", opt.config.string(), port.error());
        return 1;
    }
    service.listening();
    // Between passes (the loop asks for the desired state as a pass starts): clients staged
    // by a reload go in force, with the account and image caches of the old ones dropped, and
    // reconcile.concurrency applies.
    reconcile::Loop loop(rec,
                         [&] {
                             service.progress();
                             if (clients.install()) rec.invalidate_caches();
                             rec.set_concurrency(cfg.daemon().reconcile.concurrency);
                             return cfg.desired();
                         },
                         {Interval(opt, cfg), 0.1});
    loop_ptr = &loop;
    loop.on_cycle([&](const reconcile::CycleReport& r) {
        obs.cycle_finished(r);
        if (opt.on_cycle) opt.on_cycle(r, status);
        if (!r.incomplete) observed_once = true;
        service.progress();
        service.cycle_finished(
            StatusLine(*status.get(), std::chrono::duration<double>(r.duration).count()));
        // The pass's observation, plan and previous status are freed by now: give the free
        // heap pages back, so that the steady state's RSS is what the daemon holds.
        malloc_trim(0);
    });

    DirWatcher watcher(ctx.get_executor(), cfg.daemon().pools_dir);
    if (!watcher.ok())
        log::Write(spdlog::level::warn, "cannot watch poolsDir; reload with SIGHUP",
                   {{"poolsDir", cfg.daemon().pools_dir.string()}});
    auto reject = [&](const char* why, const std::vector<config::ConfigError>& errors) {
        for (const auto& e : errors)
            log::Write(spdlog::level::err, "daemon file rejected; the running config stays",
                       {{"trigger", why}, {"error", e.str()}});
        PublishConfig(status, cfg, JoinErrors(errors));
        obs.config_loaded(false);
    };
    // A reload applies whole or not at all. First everything that can fail: reading the files,
    // building new clients when auth, cloud or tls changed, binding the new listen address.
    // Any failure rejects the reload with its reason (log, /status configError, the reload
    // metric) and the running configuration, clients and listener stay. Then the commit,
    // which cannot fail; the loop picks up the clients and concurrency at its next pass.
    auto reload = [&](const char* why) {
        auto next = cfg.read();
        if (!next) return reject(why, next.error());
        const config::DaemonConfig& d = next->daemon;
        auto cannot_apply = [&](std::string message) {
            reject(why, {config::ConfigError{opt.config.string(), 0, 0, "", std::move(message)}});
        };
        std::vector<std::string> applied;
        std::shared_ptr<AzureClients> fresh;
        if (ClientSettingsChanged(cfg.daemon(), d)) {
            auto built = factory(d, ctx.get_executor());
            if (!built) return cannot_apply(built.error());
            fresh = std::move(*built);
            applied.emplace_back("clients (auth, cloud, tls)");
        }
        if (d.listen != cfg.daemon().listen) {
            if (auto port = obs.rebind(d.listen, d.listen_max_connections); !port)
                return cannot_apply(port.error());
            applied.push_back("listen " + d.listen);
        }
        if (d.reconcile.concurrency != cfg.daemon().reconcile.concurrency)
            applied.push_back(fmt::format("concurrency {}", d.reconcile.concurrency));
        if (d.pools_dir != cfg.daemon().pools_dir) {
            watcher.set_dir(d.pools_dir);
            applied.push_back("poolsDir " + d.pools_dir.string());
        }
        if (d.leader_election != cfg.daemon().leader_election)
            log::Write(spdlog::level::warn,
                       "leaderElection changed in the daemon file; it applies at the next start "
                       "(this process keeps the election settings it started with)",
                       {{"trigger", why}});
        cfg.commit(std::move(*next));
        if (fresh) clients.stage(std::move(fresh));
        std::string changes;
        for (const auto& a : applied) changes += (changes.empty() ? "" : ", ") + a;
        log::Write(spdlog::level::info, "configuration reloaded",
                   {{"trigger", why},
                    {"pools", std::to_string(cfg.desired()->pools.size())},
                    {"applied", changes.empty() ? "files" : "files, " + changes}});
        LogFileErrors(cfg);
        PublishConfig(status, cfg, "");
        obs.config_loaded(!cfg.has_file_errors());
        if (opt.interval_override.count() == 0) loop.set_interval(cfg.daemon().reconcile.interval);
        loop.trigger();
    };

    asio::steady_timer grace(ctx);
    bool stopping = false;
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                service.reloading();
                reload("SIGHUP");
                service.reloaded();
            } else if (!stopping) {
                stopping = true;
                service.stopping();
                log::Write(spdlog::level::info,
                           "stopping: no new writes; waiting for in-flight writes",
                           {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                            {"grace", fmt::format("{}s", opt.shutdown_grace.count())}});
                loop.stop();
                watcher.cancel();
                grace.expires_after(opt.shutdown_grace);
                grace.async_wait([&](boost::system::error_code gec) {
                    if (gec) return;
                    log::Write(spdlog::level::warn,
                               "shutdown grace expired; exiting with writes in flight");
                    clients.shutdown();
                    ctx.stop();
                });
            }
            wait_signal();
        });
    };
    wait_signal();
    service.start();
    asio::co_spawn(ctx, watcher.run([&] { reload("poolsDir changed"); }), asio::detached);
    log::Write(spdlog::level::info, "poolwarden running",
               {{"config", opt.config.string()},
                {"pools", std::to_string(cfg.desired()->pools.size())},
                {"accounts", std::to_string(cfg.daemon().accounts.size())}});
    if (leadership) asio::co_spawn(ctx, leadership->run(), asio::detached);
    auto run_then_release = [&]() -> asio::awaitable<void> {
        co_await loop.run();
        // In-flight writes are done: give the lease up so a standby takes over at once.
        if (leadership) co_await leadership->shutdown();
        if (lease_stack) lease_stack->shutdown();
    };
    asio::co_spawn(ctx, run_then_release(), [&](std::exception_ptr e) {
        log::Write(spdlog::level::info, "stopped");
        grace.cancel();
        service.cancel();
        watcher.cancel();
        finish(e);
    });
    RunThenDestroyPending(ctx);
    if (failure) std::rethrow_exception(failure);
    return 0;
}

}  // namespace pw::app
