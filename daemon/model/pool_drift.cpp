#include "model/pool_drift.hpp"

#include <algorithm>
#include <cctype>

#include "model/resource_id.hpp"

namespace pw::model {
namespace {

/// The REST default as a PropValue of the field's kind ("" when none or not a scalar).
bool EqualsDefault(const PropValue& v, const FieldSpec& f) {
    std::string_view d = f.rest_default;
    if (d.empty()) return false;
    switch (v.kind) {
        case PropValue::Kind::Bool:
            return (d == "true") == v.boolean && (d == "true" || d == "false");
        case PropValue::Kind::Int:
            return std::to_string(v.integer) == d;
        case PropValue::Kind::String:
            return d.size() >= 2 && IEquals(d.substr(1, d.size() - 2), v.text);
        default:
            return false;
    }
}

void Diff(const PropValue& want, const PropValue& have, const ObjectSpec& spec,
          const std::string& prefix, UpdateClass inherited, std::vector<PropertyDrift>& out);

/// Equality of free-form values (Json, StringMap): object members in any order, as JSON reads.
bool SameAny(const PropValue& a, const PropValue& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
        case PropValue::Kind::Object: {
            if (a.members.size() != b.members.size()) return false;
            for (const auto& m : a.members) {
                const PropValue* other = b.find(m.key);
                if (!other || !SameAny(m.value, *other)) return false;
            }
            return true;
        }
        case PropValue::Kind::List:
            if (a.items.size() != b.items.size()) return false;
            for (std::size_t i = 0; i < a.items.size(); ++i)
                if (!SameAny(a.items[i], b.items[i])) return false;
            return true;
        default:
            return a == b;
    }
}

/// One item of a list field: no drift between `want` and `have`.
bool SameItem(const PropValue& want, const PropValue& have, const FieldSpec& f) {
    switch (f.kind) {
        case FieldKind::ObjectList: {
            std::vector<PropertyDrift> found;
            Diff(want, have, *f.object, "", UpdateClass::Patchable, found);
            return found.empty();
        }
        case FieldKind::EnumList:
            return have.kind == PropValue::Kind::String && IEquals(want.text, have.text);
        default:
            return want == have;
    }
}

/// Lists compare as multisets: BatchService.json states no order for any list of the tables
/// (data disks are told apart by lun, extensions and user accounts by name, NSG rules by
/// priority; 2025-06-01.21.0 descriptions of DataDisk, VMExtension, UserAccount,
/// NetworkSecurityGroupRule), so a reordered list is not drift. Items left unmatched are
/// compared pairwise (deepest member) when as many remain on both sides, else the whole list
/// is reported.
void DiffList(const PropValue& want, const PropValue& have, const FieldSpec& f,
              const std::string& path, UpdateClass update, std::vector<PropertyDrift>& out) {
    if (have.kind != PropValue::Kind::List) {
        out.push_back({path, update, DescribeProp(want), DescribeProp(have)});
        return;
    }
    std::vector<bool> used(have.items.size(), false);
    std::vector<std::size_t> left_want;
    for (std::size_t i = 0; i < want.items.size(); ++i) {
        bool matched = false;
        for (std::size_t j = 0; j < have.items.size() && !matched; ++j) {
            if (used[j] || !SameItem(want.items[i], have.items[j], f)) continue;
            used[j] = matched = true;
        }
        if (!matched) left_want.push_back(i);
    }
    std::vector<std::size_t> left_have;
    for (std::size_t j = 0; j < have.items.size(); ++j)
        if (!used[j]) left_have.push_back(j);
    if (left_want.empty() && left_have.empty()) return;
    if (f.kind == FieldKind::ObjectList && left_want.size() == left_have.size()) {
        for (std::size_t k = 0; k < left_want.size(); ++k)
            Diff(want.items[left_want[k]], have.items[left_have[k]], *f.object,
                 path + "[" + std::to_string(left_want[k]) + "].", update, out);
        return;
    }
    out.push_back({path, update, DescribeProp(want), DescribeProp(have)});
}

void DiffValue(const PropValue& want, const PropValue* have, const FieldSpec& f,
               const std::string& path, UpdateClass update, std::vector<PropertyDrift>& out) {
    if (f.secret()) return;
    if (!have && f.kind == FieldKind::Object) {
        // An object Batch does not return: only its members that are not REST defaults drift.
        Diff(want, PropValue{}, *f.object, path + ".", update, out);
        return;
    }
    if (!have) {
        if (!EqualsDefault(want, f)) out.push_back({path, update, DescribeProp(want), "(absent)"});
        return;
    }
    switch (f.kind) {
        case FieldKind::Object:
            Diff(want, *have, *f.object, path + ".", update, out);
            return;
        case FieldKind::ObjectList:
        case FieldKind::StringList:
        case FieldKind::EnumList:
            DiffList(want, *have, f, path, update, out);
            return;
        default:
            break;
    }
    bool same = f.kind == FieldKind::Enum
                    ? have->kind == PropValue::Kind::String && IEquals(want.text, have->text)
                : f.kind == FieldKind::Json || f.kind == FieldKind::StringMap ? SameAny(want, *have)
                                                                              : want == *have;
    if (!same) out.push_back({path, update, DescribeProp(want), DescribeProp(*have)});
}

void Diff(const PropValue& want, const PropValue& have, const ObjectSpec& spec,
          const std::string& prefix, UpdateClass inherited, std::vector<PropertyDrift>& out) {
    for (const auto& m : want.members) {
        const FieldSpec* f = spec.find(m.key);
        if (!f) continue;
        UpdateClass update = f->update == UpdateClass::Inherit ? inherited : f->update;
        DiffValue(m.value, have.find(m.key), *f, prefix + m.key, update, out);
    }
}

}  // namespace

std::string DescribeProp(const PropValue& v) {
    switch (v.kind) {
        case PropValue::Kind::Bool:
            return v.boolean ? "true" : "false";
        case PropValue::Kind::Int:
            return std::to_string(v.integer);
        case PropValue::Kind::String:
            return "\"" + v.text + "\"";
        case PropValue::Kind::SecretFile:
            return "(secret file " + v.text + ")";
        case PropValue::Kind::List: {
            std::string out = "[";
            for (std::size_t i = 0; i < v.items.size(); ++i)
                out += (i ? ", " : "") + DescribeProp(v.items[i]);
            return out + "]";
        }
        case PropValue::Kind::Object: {
            std::string out = "{";
            for (std::size_t i = 0; i < v.members.size(); ++i)
                out += (i ? ", " : "") + v.members[i].key + ": " + DescribeProp(v.members[i].value);
            return out + "}";
        }
    }
    return "";
}

namespace {

void CollectSecretPaths(const PropValue& v, const std::string& path,
                        std::vector<std::string>& out) {
    if (v.kind == PropValue::Kind::SecretFile) out.push_back(path);
    for (std::size_t i = 0; i < v.items.size(); ++i)
        CollectSecretPaths(v.items[i], path + "[" + std::to_string(i) + "]", out);
    for (const auto& m : v.members)
        CollectSecretPaths(m.value, path.empty() ? m.key : path + "." + m.key, out);
}

}  // namespace

std::vector<std::string> SecretFilePaths(const PropValue& properties) {
    std::vector<std::string> out;
    CollectSecretPaths(properties, "", out);
    return out;
}

std::string DescribeDrift(const PropertyDrift& d) {
    return d.path + " " + d.have + " -> " + d.want;
}

std::vector<PropertyDrift> PoolPropertyDrift(const PoolSpec& spec, const ObservedProperties& have) {
    std::vector<PropertyDrift> out = DiffProperties(spec.properties, have.pool, PoolFields());
    if (!spec.start_task) return out;
    for (auto& d :
         DiffProperties(spec.start_task->properties, have.start_task, StartTaskFields())) {
        d.path = "startTask." + d.path;
        d.update = UpdateClass::Patchable;  // PATCH replaces the whole startTask
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<PropertyDrift> DiffProperties(const PropValue& want, const PropValue& have,
                                          const ObjectSpec& spec) {
    std::vector<PropertyDrift> out;
    Diff(want, have, spec, "", UpdateClass::Patchable, out);
    return out;
}

}  // namespace pw::model
