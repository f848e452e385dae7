#include "world.hpp"

// The VM sizes the simulator's Batch supports in every location, served as ARM's
// Location_ListSupportedVirtualMachineSkus answers them: SupportedSku {name, familyName,
// capabilities[{name, value}]} with string values [BM `#/definitions/SupportedSku`, example
// BMx/LocationListVirtualMachineSkus.json (Standard_A1: standardA0_A7Family, 1 vCPU, V1,
// LowPriorityCapable False)]. vCPU counts, families and Hyper-V generations of the other sizes
// are those of Microsoft's VM size pages; TrustedLaunchDisabled as Compute's resource SKU list
// names it (guess that Batch's list carries it). Sizes not in the table are not supported.
namespace pw::sim {

namespace {

struct SkuRow {
    const char* name;
    const char* family;
    int vcpus;
    const char* generations;
    bool low_priority;
    bool trusted_launch_disabled;
};

constexpr SkuRow kSkus[] = {
    {"Standard_A1", "standardA0_A7Family", 1, "V1", false, true},
    {"Standard_A1_v2", "standardAv2Family", 1, "V1", true, true},
    {"Standard_A2_v2", "standardAv2Family", 2, "V1", true, true},
    {"Standard_A4_v2", "standardAv2Family", 4, "V1", true, true},
    {"Standard_D4", "standardDFamily", 8, "V1", true, true},
    {"Standard_D2_v3", "standardDv3Family", 2, "V1,V2", true, false},
    {"Standard_D4_v3", "standardDv3Family", 4, "V1,V2", true, false},
    {"Standard_D8_v3", "standardDv3Family", 8, "V1,V2", true, false},
    {"Standard_D2s_v3", "standardDSv3Family", 2, "V1,V2", true, false},
    {"Standard_D4s_v3", "standardDSv3Family", 4, "V1,V2", true, false},
    {"Standard_D8s_v3", "standardDSv3Family", 8, "V1,V2", true, false},
    {"Standard_D16s_v3", "standardDSv3Family", 16, "V1,V2", true, false},
    {"Standard_D32s_v3", "standardDSv3Family", 32, "V1,V2", true, false},
    {"Standard_D2s_v5", "standardDSv5Family", 2, "V1,V2", true, false},
    {"Standard_D4s_v5", "standardDSv5Family", 4, "V1,V2", true, false},
    {"Standard_D8s_v5", "standardDSv5Family", 8, "V1,V2", true, false},
    {"Standard_D8ds_v5", "standardDDSv5Family", 8, "V1,V2", true, false},
    {"Standard_E4s_v3", "standardESv3Family", 4, "V1,V2", true, false},
    {"Standard_E8s_v3", "standardESv3Family", 8, "V1,V2", true, false},
    {"Standard_E32ds_v5", "standardEDSv5Family", 32, "V1,V2", true, false},
    {"Standard_F2s_v2", "standardFSv2Family", 2, "V1,V2", true, false},
    {"Standard_F4s_v2", "standardFSv2Family", 4, "V1,V2", true, false},
    {"Standard_F8s_v2", "standardFSv2Family", 8, "V1,V2", true, false},
    {"Standard_F16s_v2", "standardFSv2Family", 16, "V1,V2", true, false},
    {"Standard_DC2s_v2", "standardDCSv2Family", 2, "V2", false, true},
    {"Standard_NC6", "standardNCFamily", 6, "V1", true, true},
    {"Standard_NC24", "standardNCFamily", 24, "V1", true, true},
    {"Standard_HB120rs_v3", "standardHBrsv3Family", 120, "V1,V2", false, false},
};

const SkuRow* FindRow(const std::string& vm_size) {
    const std::string want = ToLower(vm_size);
    for (const auto& row : kSkus)
        if (ToLower(row.name) == want) return &row;
    return nullptr;
}

}  // namespace

Json World::SupportedSkusJson() {
    Json out = Json::array();
    for (const auto& row : kSkus) {
        auto cap = [](const char* name, const std::string& value) {
            return Json{{"name", name}, {"value", value}};
        };
        out.push_back({{"name", row.name},
                       {"familyName", row.family},
                       {"capabilities",
                        Json::array({cap("vCPUs", std::to_string(row.vcpus)),
                                     cap("vCPUsAvailable", std::to_string(row.vcpus)),
                                     cap("HyperVGenerations", row.generations),
                                     cap("CpuArchitectureType", "x64"),
                                     cap("LowPriorityCapable", row.low_priority ? "True" : "False"),
                                     cap("EphemeralOSDiskSupported", "True"),
                                     cap("TrustedLaunchDisabled",
                                         row.trusted_launch_disabled ? "True" : "False")})}});
    }
    return out;
}

std::string World::FamilyOf(const std::string& vm_size) {
    const SkuRow* row = FindRow(vm_size);
    return row ? row->family : "";
}

int World::SkuCores(const std::string& vm_size) {
    const SkuRow* row = FindRow(vm_size);
    return row ? row->vcpus : 0;
}

Json FamilyQuotasJson(const Account& a) {
    Json out = Json::array();
    for (const auto& [name, quota] : a.family_quotas)
        out.push_back({{"name", name}, {"coreQuota", quota}});
    return out;
}

}  // namespace pw::sim
