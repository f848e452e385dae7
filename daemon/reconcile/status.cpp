#include "reconcile/status.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "model/resource_id.hpp"

namespace pw::reconcile {

const Condition* PoolStatus::condition(std::string_view type) const {
    for (const auto& c : conditions)
        if (c.type == type) return &c;
    return nullptr;
}

const PoolStatus* StatusSnapshot::pool(std::string_view id) const {
    for (const auto& p : pools)
        if (model::ResourceKey(p.id) == model::ResourceKey(id)) return &p;
    return nullptr;
}

const ImageVersionStatus* StatusSnapshot::image_version(std::string_view id) const {
    for (const auto& v : image_versions)
        if (model::ResourceKey(v.id) == model::ResourceKey(id)) return &v;
    return nullptr;
}

std::shared_ptr<const StatusSnapshot> StatusStore::get() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void StatusStore::update(const std::function<void(StatusSnapshot&)>& fn) {
    std::lock_guard lock(mutex_);
    // Only this store holds it, and get() cannot hand it out before the lock is released: no
    // reader can see it half-edited. (A streamed /status holds its snapshot while it is sent.)
    if (snapshot_.use_count() == 1) {
        fn(*snapshot_);
        return;
    }
    auto next = std::make_shared<StatusSnapshot>(*snapshot_);
    fn(*next);
    snapshot_ = std::move(next);
}

namespace {

std::string Rfc3339(TimePoint tp) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

}  // namespace

}  // namespace pw::reconcile

namespace pw::reconcile {
namespace {

/// Writes JSON text as nlohmann's dump(2) does (two-space indent, `": "`, members in the
/// order the caller gives, which must be the sorted order dump() uses).
class JsonWriter {
  public:
    explicit JsonWriter(std::string& out) : out_(&out) {}

    /// Writes from now on at the end of `out` (the levels open so far stay open).
    void retarget(std::string& out) { out_ = &out; }

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    /// A member name; the member's value follows.
    void key(std::string_view k) {
        item();
        string(k);
        *out_ += ": ";
        pending_key_ = true;
    }
    void value(std::string_view s) {
        item();
        string(s);
    }
    void value(const char* s) { value(std::string_view(s)); }
    void value(bool b) {
        item();
        *out_ += b ? "true" : "false";
    }
    void value(long long n) {
        item();
        *out_ += fmt::format_int(n).str();
    }
    void value(unsigned long long n) {
        item();
        *out_ += fmt::format_int(n).str();
    }
    void value(int n) { value(static_cast<long long>(n)); }

    template <class T>
    void member(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

  private:
    struct Level {
        bool empty = true;
    };

    void item() {
        if (pending_key_) {
            pending_key_ = false;
            return;
        }
        if (levels_.empty()) return;
        *out_ += levels_.back().empty ? "\n" : ",\n";
        levels_.back().empty = false;
        out_->append(2 * levels_.size(), ' ');
    }
    void open(char c) {
        item();
        *out_ += c;
        levels_.push_back({});
    }
    void close(char c) {
        bool empty = levels_.back().empty;
        levels_.pop_back();
        if (!empty) {
            *out_ += '\n';
            out_->append(2 * levels_.size(), ' ');
        }
        *out_ += c;
    }

    /// nlohmann's escaping: `"` `\` and control characters; other UTF-8 as is.
    void string(std::string_view s) {
        *out_ += '"';
        std::size_t i = 0;
        while (i < s.size()) {
            auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x80) {
                std::size_t n = Utf8Length(s, i);
                if (n == 0) {
                    *out_ += "\xEF\xBF\xBD";
                    ++i;
                } else {
                    out_->append(s, i, n);
                    i += n;
                }
                continue;
            }
            switch (c) {
                case '"':
                    *out_ += "\\\"";
                    break;
                case '\\':
                    *out_ += "\\\\";
                    break;
                case '\b':
                    *out_ += "\\b";
                    break;
                case '\f':
                    *out_ += "\\f";
                    break;
                case '\n':
                    *out_ += "\\n";
                    break;
                case '\r':
                    *out_ += "\\r";
                    break;
                case '\t':
                    *out_ += "\\t";
                    break;
                default:
                    if (c < 0x20)
                        *out_ += fmt::format("\\u{:04x}", c);
                    else
                        *out_ += static_cast<char>(c);
            }
            ++i;
        }
        *out_ += '"';
    }

    /// The length of the well-formed UTF-8 sequence at `i`, or 0.
    static std::size_t Utf8Length(std::string_view s, std::size_t i) {
        auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
        auto cont = [&](std::size_t k) { return k < s.size() && (at(k) & 0xC0) == 0x80; };
        unsigned char c = at(i);
        if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
        if (c >= 0xE0 && c <= 0xEF) {
            if (!cont(i + 1) || !cont(i + 2)) return 0;
            if (c == 0xE0 && at(i + 1) < 0xA0) return 0;  // overlong
            if (c == 0xED && at(i + 1) > 0x9F) return 0;  // surrogate
            return 3;
        }
        if (c >= 0xF0 && c <= 0xF4) {
            if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
            if (c == 0xF0 && at(i + 1) < 0x90) return 0;
            if (c == 0xF4 && at(i + 1) > 0x8F) return 0;
            return 4;
        }
        return 0;
    }

    std::string* out_;
    std::vector<Level> levels_;
    bool pending_key_ = false;
};

void Write(JsonWriter& w, const ActionRecord& a) {
    w.begin_object();
    w.member("at", Rfc3339(a.at));
    w.member("kind", a.kind);
    w.member("reason", a.reason);
    w.member("result", a.result);
    w.end_object();
}

void Write(JsonWriter& w, const ErrorRecord& e) {
    w.begin_object();
    w.member("at", Rfc3339(e.at));
    if (!e.code.empty()) w.member("code", e.code);
    w.member("message", e.message);
    if (e.next_retry) w.member("nextRetry", Rfc3339(*e.next_retry));
    w.member("terminal", e.terminal);
    w.end_object();
}

void Write(JsonWriter& w, const model::Finding& f) {
    w.begin_object();
    w.member("code", f.code);
    if (!f.image_version.empty()) w.member("imageVersion", f.image_version);
    w.member("message", f.message);
    w.member("severity", model::ToString(f.severity));
    w.end_object();
}

void Write(JsonWriter& w, const PoolStatus::NodeCounts& n) {
    w.begin_object();
    w.member("dedicated", n.dedicated);
    w.member("lowPriority", n.low_priority);
    w.end_object();
}

void Write(JsonWriter& w, const PoolStatus& p) {
    w.begin_object();
    w.member("account", p.account);
    if (!p.allocation_state.empty()) w.member("allocationState", p.allocation_state);
    w.key("conditions");
    w.begin_array();
    for (const auto& c : p.conditions) {
        w.begin_object();
        w.member("message", c.message);
        w.member("reason", c.reason);
        w.member("since", Rfc3339(c.since));
        w.member("status", c.status ? "True" : "False");
        w.member("type", c.type);
        w.end_object();
    }
    w.end_array();
    if (p.current_nodes) w.member("currentNodes", *p.current_nodes);
    if (!p.source_file.empty()) w.member("file", p.source_file);
    w.key("findings");
    w.begin_array();
    for (const auto& f : p.findings) Write(w, f);
    w.end_array();
    w.member("id", p.id);
    if (p.last_action) {
        w.key("lastAction");
        Write(w, *p.last_action);
    }
    if (p.last_error) {
        w.key("lastError");
        Write(w, *p.last_error);
    }
    if (p.desired_nodes || p.observed_target || p.observed_current) {
        w.key("nodes");
        w.begin_object();
        if (p.observed_current) {
            w.key("current");
            Write(w, *p.observed_current);
        }
        if (p.desired_nodes) {
            w.key("desired");
            Write(w, *p.desired_nodes);
        }
        if (p.observed_target) {
            w.key("target");
            Write(w, *p.observed_target);
        }
        w.end_object();
    }
    if (!p.resize_errors.empty()) {
        w.key("resizeErrors");
        w.begin_object();
        for (const auto& [code, n] : p.resize_errors) w.member(code, n);
        w.end_object();
    }
    if (p.target_nodes) w.member("targetNodes", *p.target_nodes);
    w.end_object();
}

void Write(JsonWriter& w, const ImageVersionStatus& v) {
    w.begin_object();
    w.member("id", v.id);
    if (v.last_action) {
        w.key("lastAction");
        Write(w, *v.last_action);
    }
    if (v.last_error) {
        w.key("lastError");
        Write(w, *v.last_error);
    }
    if (!v.provisioning_state.empty()) w.member("provisioningState", v.provisioning_state);
    w.key("regions");
    w.begin_array();
    for (const auto& r : v.regions) {
        w.begin_object();
        w.member("currentReplicas", r.current);
        w.member("progress", r.progress);
        w.member("region", r.region);
        w.member("replicationState", r.replication_state);
        w.member("requiredReplicas", r.required);
        w.end_object();
    }
    w.end_array();
    if (!v.aggregated_state.empty()) w.member("replicationState", v.aggregated_state);
    w.end_object();
}

}  // namespace

struct StatusRenderer::Impl {
    explicit Impl(std::shared_ptr<const StatusSnapshot> snap, std::string& first)
        : snapshot(std::move(snap)), w(first) {}

    void head() {
        const auto& s = *snapshot;
        w.begin_object();
        w.key("accounts");
        w.begin_array();
        for (const auto& a : s.accounts) {
            w.begin_object();
            if (!a.error.empty()) w.member("error", a.error);
            if (!a.location.empty()) w.member("location", a.location);
            w.member("name", a.name);
            w.member("observed", a.observed);
            w.member("pools", a.pools_observed);
            w.end_object();
        }
        w.end_array();
        if (!s.config_error.empty()) w.member("configError", s.config_error);
        w.key("configFiles");
        w.begin_array();
        for (const auto& f : s.config_files) {
            w.begin_object();
            w.key("errors");
            w.begin_array();
            for (const auto& e : f.errors) w.value(e);
            w.end_array();
            w.member("file", f.file);
            w.member("usingLastGood", f.using_last_good);
            w.member("valid", f.valid);
            w.end_object();
        }
        w.end_array();
        w.key("imageVersions");
        w.begin_array();
        for (const auto& v : s.image_versions) Write(w, v);
        w.end_array();
        if (s.last_cycle) {
            const auto& c = *s.last_cycle;
            w.key("lastCycle");
            w.begin_object();
            w.member("actions", c.actions);
            w.member("converged", c.converged);
            w.member("failed", c.failed);
            w.member("finished", Rfc3339(c.finished));
            w.member("id", static_cast<unsigned long long>(c.id));
            if (c.requeue_after)
                w.member("requeueAfterSeconds", static_cast<long long>(c.requeue_after->count()));
            w.member("started", Rfc3339(c.started));
            w.member("writes", c.writes);
            w.end_object();
        }
        if (s.leadership) {
            const auto& l = *s.leadership;
            w.key("leaderElection");
            w.begin_object();
            w.member("identity", l.identity);
            if (!l.last_error.empty()) w.member("lastError", l.last_error);
            w.member("leader", l.leader);
            w.member("role", l.role);
            if (l.since) w.member("since", Rfc3339(*l.since));
            w.end_object();
        }
        w.key("orphanedPools");
        w.begin_array();
        for (const auto& f : s.findings) {
            if (f.code != "Orphaned") continue;
            w.begin_object();
            w.member("account", f.account);
            w.member("id", f.pool);
            w.member("message", f.message);
            w.end_object();
        }
        w.end_array();
        w.key("pools");
        w.begin_array();
    }

    void tail(std::string& out) {
        w.end_array();
        w.key("rollouts");
        w.begin_array();
        for (const auto& g : snapshot->rollouts) {
            w.begin_object();
            w.member("halted", g.halted);
            w.member("name", g.name);
            w.key("pools");
            w.begin_array();
            for (const auto& p : g.pools) {
                w.begin_object();
                w.member("account", p.account);
                if (!p.detail.empty()) w.member("detail", p.detail);
                w.member("id", p.pool);
                if (p.next_window) w.member("nextWindow", Rfc3339(*p.next_window));
                if (p.since) w.member("since", Rfc3339(*p.since));
                w.member("step", model::ToString(p.step));
                w.end_object();
            }
            w.end_array();
            w.end_object();
        }
        w.end_array();
        w.member("updated", Rfc3339(snapshot->updated));
        w.end_object();
        out += '\n';
    }

    std::shared_ptr<const StatusSnapshot> snapshot;
    JsonWriter w;
    bool started = false;
    std::size_t next_pool = 0;
};

StatusRenderer::StatusRenderer(std::shared_ptr<const StatusSnapshot> snapshot,
                               std::size_t piece_size)
    : piece_size_(std::max<std::size_t>(1, piece_size)) {
    std::string unused;
    impl_ = std::make_unique<Impl>(std::move(snapshot), unused);
}

StatusRenderer::~StatusRenderer() = default;
StatusRenderer::StatusRenderer(StatusRenderer&&) noexcept = default;
StatusRenderer& StatusRenderer::operator=(StatusRenderer&&) noexcept = default;

bool StatusRenderer::next(std::string& out) {
    auto& i = *impl_;
    i.w.retarget(out);
    const auto start = out.size();
    if (!i.started) {
        i.started = true;
        i.head();
    }
    const auto& pools = i.snapshot->pools;
    while (i.next_pool < pools.size() && out.size() - start < piece_size_)
        Write(i.w, pools[i.next_pool++]);
    if (i.next_pool < pools.size()) return true;
    if (i.next_pool == pools.size()) {
        ++i.next_pool;
        i.tail(out);
    }
    return false;
}

std::string RenderStatus(const StatusSnapshot& s, std::size_t size_hint) {
    std::string out;
    out.reserve(size_hint);
    // Not owned: `s` outlives the renderer.
    StatusRenderer r(std::shared_ptr<const StatusSnapshot>(std::shared_ptr<void>(), &s),
                     std::size_t(-1));
    while (r.next(out)) {
    }
    return out;
}

}  // namespace pw::reconcile
