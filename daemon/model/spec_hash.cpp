#include "model/spec_hash.hpp"

#include <cstdint>
#include <cstdio>

#include "model/resource_id.hpp"

namespace pw::model {

namespace {

class Hasher {
  public:
    void add(std::string_view s) {
        for (char c : s) byte(static_cast<unsigned char>(c));
        byte(0xff);
    }
    void add(long long v) { add(std::to_string(v)); }
    /// A table-declared property tree (secrets by file path; their bytes are not read here).
    void add(const PropValue& v) {
        add(static_cast<long long>(v.kind));
        add(v.kind == PropValue::Kind::Int    ? std::to_string(v.integer)
            : v.kind == PropValue::Kind::Bool ? std::string(v.boolean ? "1" : "0")
                                              : v.text);
        add(static_cast<long long>(v.items.size()));
        for (const auto& item : v.items) add(item);
        add(static_cast<long long>(v.members.size()));
        for (const auto& m : v.members) {
            add(m.key);
            add(m.value);
        }
    }
    std::string hex() const {
        char out[17];
        std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h_));
        return out;
    }

  private:
    void byte(unsigned char b) {
        h_ ^= b;
        h_ *= 0x100000001b3ULL;
    }
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::string SpecHash(const PoolSpec& s) {
    Hasher h;
    h.add("v1");
    h.add(ResourceKey(s.id));
    h.add(s.account);
    h.add(s.vm_size);
    h.add(ResourceKey(s.image_reference()));  // the definition when following latest
    h.add(s.node_agent_sku_id);
    if (s.fixed) {
        h.add("fixed");
        h.add(s.fixed->target_dedicated_nodes);
        h.add(s.fixed->target_low_priority_nodes);
    }
    if (s.autoscale) {
        h.add("autoscale");
        h.add(s.autoscale->formula);
        h.add(s.autoscale->evaluation_interval.count());
        h.add(s.autoscale->max_nodes);
    }
    h.add(s.resize_timeout ? s.resize_timeout->count() : -1);
    h.add(s.node_deallocation_option);
    h.add(s.task_slots_per_node);
    if (s.start_task) {
        h.add("startTask");
        h.add(s.start_task->command_line);
        h.add(s.start_task->wait_for_success);
        h.add(s.start_task->elevated);
        h.add(s.start_task->max_task_retry_count);
        for (const auto& [k, v] : s.start_task->environment) {
            h.add(k);
            h.add(v);
        }
        // Only when set, so that pools declared before these properties keep their hash.
        if (!s.start_task->properties.members.empty()) h.add(s.start_task->properties);
    }
    if (!s.properties.members.empty()) {
        h.add("properties");
        h.add(s.properties);
    }
    if (!s.secret_digest.empty()) h.add(s.secret_digest);  // only when set: hashes stay
    h.add("metadata");
    for (const auto& [k, v] : s.metadata) {
        h.add(k);
        h.add(v);
    }
    return h.hex();
}

std::string RolloutTarget(const PoolSpec& s) {
    Hasher h;
    h.add("rollout-v1");
    h.add(s.vm_size);
    h.add(ResourceKey(s.image_reference()));
    h.add(s.node_agent_sku_id);
    h.add(s.task_slots_per_node);
    for (const auto& m : s.properties.members) {
        const FieldSpec* f = PoolFields().find(m.key);
        if (!f || f->update != UpdateClass::EmptyOnly) continue;
        h.add(m.key);
        h.add(m.value);
    }
    h.add(s.property_secret_digest);
    return h.hex();
}

}  // namespace pw::model
