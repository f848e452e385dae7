#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>

#include "metrics/metrics.hpp"
#include "metrics/pool_rows.hpp"

namespace pw::metrics {

using detail::FamilyInfo;
using detail::kAllocationStates;
using detail::kConditions;
using detail::kPoolFamilies;
using detail::PoolRow;

namespace {

/// Appends one gauge family to a text exposition, serializing a bounded chunk of samples at a
/// time (prometheus-cpp's TextSerializer writes each chunk; the HELP and TYPE lines are kept
/// from the family's first chunk only), so that a family of many pools never exists whole as
/// ClientMetric objects.
class ChunkedGauge {
  public:
    /// `header_written`: an earlier piece of the exposition began this family.
    ChunkedGauge(std::string& out, const FamilyInfo& info, bool header_written)
        : out_(out), header_written_(header_written) {
        family_[0].name = info.name;
        family_[0].help = info.help;
        family_[0].type = prometheus::MetricType::Gauge;
    }
    ChunkedGauge(const ChunkedGauge&) = delete;
    ChunkedGauge& operator=(const ChunkedGauge&) = delete;
    ~ChunkedGauge() { flush(); }

    /// Labels in name order (the order the registry's families use).
    void add(std::initializer_list<std::pair<const char*, std::string_view>> labels, double value) {
        auto& m = family_[0].metric.emplace_back();
        m.label.reserve(labels.size());
        for (const auto& [name, v] : labels) m.label.push_back({name, std::string(v)});
        m.gauge.value = value;
        if (family_[0].metric.size() >= kChunk) flush();
    }
    bool header_written() const { return header_written_ || !family_[0].metric.empty(); }

  private:
    static constexpr std::size_t kChunk = 512;

    void flush() {
        if (family_[0].metric.empty()) return;
        std::string text = prometheus::TextSerializer().Serialize(family_);
        std::size_t start = 0;
        if (header_written_)
            while (start < text.size() && text[start] == '#') {
                auto nl = text.find('\n', start);
                start = nl == std::string::npos ? text.size() : nl + 1;
            }
        out_.append(text, start);
        family_[0].metric.clear();
        header_written_ = true;
    }

    std::string& out_;
    std::vector<prometheus::MetricFamily> family_{1};
    bool header_written_ = false;
};

/// Adds one pool's samples of pool family `family` (an index into kPoolFamilies).
void AddPoolSamples(ChunkedGauge& g, std::size_t family, const PoolRow& r) {
    static constexpr std::array<const char*, 2> kKinds = {"dedicated", "lowPriority"};
    switch (family) {
        case 0: {
            auto node = [&](int kind, const char* state, int v) {
                g.add({{"account", r.account},
                       {"kind", kKinds[kind]},
                       {"pool", r.pool},
                       {"state", state}},
                      v);
            };
            node(0, "target", r.nodes[0]);
            node(1, "target", r.nodes[1]);
            node(0, "current", r.nodes[2]);
            node(1, "current", r.nodes[3]);
            if (r.desired_dedicated) node(0, "desired", *r.desired_dedicated);
            if (r.desired_low_priority) node(1, "desired", *r.desired_low_priority);
            break;
        }
        case 1:
            for (int s = 0; s < static_cast<int>(kAllocationStates.size()); ++s)
                g.add({{"account", r.account}, {"pool", r.pool}, {"state", kAllocationStates[s]}},
                      s == r.allocation ? 1 : 0);
            break;
        case 2:
            for (std::size_t c = 0; c < kConditions.size(); ++c)
                g.add({{"account", r.account}, {"condition", kConditions[c]}, {"pool", r.pool}},
                      r.conditions[c] ? 1 : 0);
            break;
        default:
            for (const auto& [code, n] : r.resize_errors)
                g.add({{"account", r.account}, {"code", code}, {"pool", r.pool}}, n);
    }
}

}  // namespace

Metrics::Exposition::Exposition(std::unique_ptr<State> state) : state_(std::move(state)) {}
Metrics::Exposition::~Exposition() = default;
Metrics::Exposition::Exposition(Exposition&&) noexcept = default;
Metrics::Exposition& Metrics::Exposition::operator=(Exposition&&) noexcept = default;

bool Metrics::Exposition::next(std::string& out) {
    auto& st = *state_;
    const auto start = out.size();
    while (out.size() - start < st.piece_size) {
        if (st.family < st.families.size()) {
            // One family's ClientMetric objects at a time, never the whole registry's.
            out += prometheus::TextSerializer().Serialize(st.families[st.family++]->Collect());
            continue;
        }
        const auto pool_family = st.family - st.families.size();
        if (pool_family >= kPoolFamilies.size()) return false;
        const auto& rows = *st.pools;
        ChunkedGauge g(out, *kPoolFamilies[pool_family], st.header_written);
        constexpr std::size_t kRows = 128;
        const auto end = std::min(rows.size(), st.row + kRows);
        for (; st.row < end; ++st.row) AddPoolSamples(g, pool_family, rows[st.row]);
        st.header_written = g.header_written();
        if (st.row == rows.size()) {
            ++st.family;
            st.row = 0;
            st.header_written = false;
        }
    }
    return st.family < st.families.size() + kPoolFamilies.size();
}

}  // namespace pw::metrics
