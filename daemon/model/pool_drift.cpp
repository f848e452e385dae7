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
    if (f.kind == FieldKind::Object) {
        Diff(want, *have, *f.object, path + ".", update, out);
        return;
    }
    if (f.kind == FieldKind::ObjectList && want.items.size() == have->items.size()) {
        for (std::size_t i = 0; i < want.items.size(); ++i)
            Diff(want.items[i], have->items[i], *f.object, path + "[" + std::to_string(i) + "].",
                 update, out);
        return;
    }
    bool same = f.kind == FieldKind::Enum
                    ? have->kind == PropValue::Kind::String && IEquals(want.text, have->text)
                    : want == *have;
    if (f.kind == FieldKind::EnumList && want.items.size() == have->items.size()) {
        same = true;
        for (std::size_t i = 0; i < want.items.size(); ++i)
            same = same && IEquals(want.items[i].text, have->items[i].text);
    }
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

std::vector<PropertyDrift> DiffProperties(const PropValue& want, const PropValue& have,
                                          const ObjectSpec& spec) {
    std::vector<PropertyDrift> out;
    Diff(want, have, spec, "", UpdateClass::Patchable, out);
    return out;
}

}  // namespace pw::model
