// Table-driven decoding of the pool properties declared in model/pool_fields.cpp.
#include <nlohmann/json.hpp>

#include "codec/decode.hpp"

namespace pw::codec {
namespace {

using Json = nlohmann::json;
using model::FieldKind;
using model::PropValue;

struct Problem {
    std::string text;
};

PropValue Object(const Json& j, const model::ObjectSpec& spec, const std::string& path,
                 std::optional<Problem>& problem);

PropValue Any(const Json& j) {
    PropValue v;
    if (j.is_object()) {
        for (const auto& [k, item] : j.items()) v.members.push_back({k, Any(item)});
    } else if (j.is_array()) {
        v.kind = PropValue::Kind::List;
        for (const auto& item : j) v.items.push_back(Any(item));
    } else if (j.is_boolean()) {
        v.kind = PropValue::Kind::Bool;
        v.boolean = j.get<bool>();
    } else if (j.is_number_integer()) {
        v.kind = PropValue::Kind::Int;
        v.integer = j.get<std::int64_t>();
    } else {
        v.kind = PropValue::Kind::String;
        v.text = j.is_string() ? j.get<std::string>() : j.dump();
    }
    return v;
}

std::optional<PropValue> Scalar(const Json& j, FieldKind kind, const std::string& path,
                                std::optional<Problem>& problem) {
    PropValue v;
    switch (kind) {
        case FieldKind::Bool:
            if (!j.is_boolean()) break;
            v.kind = PropValue::Kind::Bool;
            v.boolean = j.get<bool>();
            return v;
        case FieldKind::Int:
            if (!j.is_number_integer()) break;
            v.kind = PropValue::Kind::Int;
            v.integer = j.get<std::int64_t>();
            return v;
        default:
            if (!j.is_string()) break;
            v.kind = PropValue::Kind::String;
            v.text = j.get<std::string>();
            return v;
    }
    if (!problem) problem = Problem{path + ": unexpected JSON type"};
    return std::nullopt;
}

std::optional<PropValue> Member(const Json& j, const model::FieldSpec& f, const std::string& path,
                                std::optional<Problem>& problem) {
    auto type_error = [&](const char* what) -> std::optional<PropValue> {
        if (!problem) problem = Problem{path + ": expected " + what};
        return std::nullopt;
    };
    switch (f.kind) {
        case FieldKind::Object:
            if (!j.is_object()) return type_error("object");
            return Object(j, *f.object, path, problem);
        case FieldKind::Json:
            if (!j.is_object()) return type_error("object");
            return Any(j);
        case FieldKind::StringMap: {
            if (!j.is_object()) return type_error("object");
            PropValue v;
            for (const auto& [k, item] : j.items())
                if (auto s = Scalar(item, FieldKind::String, path + "." + k, problem))
                    v.members.push_back({k, *s});
            return v;
        }
        case FieldKind::ObjectList:
        case FieldKind::StringList:
        case FieldKind::EnumList: {
            if (!j.is_array()) return type_error("array");
            PropValue v;
            v.kind = PropValue::Kind::List;
            for (std::size_t i = 0; i < j.size(); ++i) {
                const std::string at = path + "[" + std::to_string(i) + "]";
                if (f.kind == FieldKind::ObjectList) {
                    if (!j[i].is_object()) return type_error("array of objects");
                    v.items.push_back(Object(j[i], *f.object, at, problem));
                } else if (auto s = Scalar(j[i], FieldKind::String, at, problem)) {
                    v.items.push_back(*s);
                }
            }
            return v;
        }
        default:
            return Scalar(j, f.kind, path, problem);
    }
}

PropValue Object(const Json& j, const model::ObjectSpec& spec, const std::string& path,
                 std::optional<Problem>& problem) {
    PropValue out;
    for (const auto& f : spec.fields) {
        if (f.secret()) continue;
        auto it = j.find(std::string(f.rest_name()));
        if (it == j.end() || it->is_null()) continue;
        const std::string at = (path.empty() ? "" : path + ".") + std::string(f.rest_name());
        if (auto v = Member(*it, f, at, problem)) out.members.push_back({std::string(f.key), *v});
    }
    return out;
}

Decoded<model::PropValue> Decode(std::string_view body, bool start_task) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return pw::Err{std::string("expected a JSON object")};
    std::optional<Problem> problem;
    PropValue out;
    if (!start_task) {
        out = Object(j, model::PoolFields(), "", problem);
    } else if (auto st = j.find("startTask"); st != j.end() && st->is_object()) {
        out = Object(*st, model::StartTaskFields(), "startTask", problem);
    }
    if (problem) return pw::Err{problem->text};
    return out;
}

}  // namespace

const std::string& PoolPropertiesSelect() {
    static const std::string select = [] {
        std::string out = kPoolSelect;
        for (const auto& f : model::PoolFields().fields) {
            const std::string name(f.rest_name());
            if (("," + std::string(kPoolSelect) + ",").find("," + name + ",") == std::string::npos)
                out += "," + name;
        }
        return out;
    }();
    return select;
}

Decoded<model::PropValue> DecodePoolProperties(std::string_view pool_body) {
    return Decode(pool_body, false);
}

Decoded<model::PropValue> DecodeStartTaskProperties(std::string_view pool_body) {
    return Decode(pool_body, true);
}

}  // namespace pw::codec
