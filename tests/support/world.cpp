#include <spdlog/spdlog.h>

#include <cstdlib>
#include <stdexcept>

#include "support/run.hpp"

namespace pw::testing {

namespace {
// Component tests log every action; keep their output to warnings unless asked.
const bool kQuietLogs = [] {
    if (!std::getenv("PW_TEST_LOG")) spdlog::set_level(spdlog::level::warn);
    return true;
}();
}  // namespace

model::AccountSpec MakeAccount(const std::string& name) {
    model::AccountSpec a;
    a.name = name;
    a.subscription_id = kSub;
    a.resource_group = "rg-batch";
    a.account_name = name + "batch";
    return a;
}

model::PoolSpec MakePool(const std::string& id, const std::string& account,
                         const std::string& image, int dedicated, int low_priority) {
    model::PoolSpec p;
    p.id = id;
    p.account = account;
    p.vm_size = "Standard_D4s_v3";
    auto parsed = model::ParseImageVersionId(image);
    if (!parsed) throw std::invalid_argument("bad image id " + image);
    p.image = *parsed;
    p.node_agent_sku_id = "batch.node.ubuntu 22.04";
    p.fixed = model::FixedScale{dedicated, low_priority};
    p.task_slots_per_node = 4;
    p.start_task = model::StartTask{"/bin/sh -c 'echo ready'", true, true, 0, {}, {}};
    p.metadata = {{"team", "vfx"}};
    p.source_file = "pools.d/" + id + ".yaml";
    return p;
}

model::PoolSpec MakeAutoPool(const std::string& id, const std::string& account,
                             const std::string& image, int max_nodes) {
    auto p = MakePool(id, account, image, 0);
    p.fixed.reset();
    p.autoscale =
        model::AutoScale{"$TargetDedicatedNodes = 10;", std::chrono::minutes(15), max_nodes};
    return p;
}

}  // namespace pw::testing
