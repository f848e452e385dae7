#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pw::model {

struct PropMember;

/// A value of a table-declared pool property (see PoolFields()), as validated from YAML. Keys of
/// an object are the YAML keys of its ObjectSpec, in table order; a secret is held as the path
/// of the file that holds it, never as the secret.
///
/// Thread safety: a value type.
struct PropValue {
    enum class Kind { Bool, Int, String, List, Object, SecretFile };
    Kind kind = Kind::Object;
    bool boolean = false;
    std::int64_t integer = 0;
    std::string text;      ///< String; SecretFile: the path as written in the pool file.
    std::string resolved;  ///< SecretFile: the path resolved against the daemon file's folder.
    std::vector<PropValue> items;     ///< List.
    std::vector<PropMember> members;  ///< Object.

    /// The member `key` of an object, or nullptr.
    const PropValue* find(std::string_view key) const;
    friend bool operator==(const PropValue& a, const PropValue& b);
};

/// One member of a PropValue object (a struct so that it can be declared before PropValue is
/// complete).
struct PropMember {
    std::string key;
    PropValue value;
    friend bool operator==(const PropMember& a, const PropMember& b);
};

/// What a table field holds.
enum class FieldKind {
    Bool,
    Int,             ///< 32-bit integer within [min, max].
    String,          ///< Non-empty string (max = length limit when > 0).
    Enum,            ///< One of `values`, spelled as the REST spec spells it.
    Object,          ///< A map described by `object`.
    ObjectList,      ///< A list of `object` maps (at most max_items when > 0).
    StringList,      ///< A list of non-empty strings.
    EnumList,        ///< A list of `values`.
    StringMap,       ///< A map of string keys to string values (e.g. resourceTags).
    Json,            ///< Any map, sent as given (e.g. extension settings).
    SecretFile,      ///< Path of a file whose bytes are sent as the REST member `rest`.
    JsonSecretFile,  ///< Path of a file holding a JSON object sent as the REST member `rest`.
};

/// How Azure lets a live pool's property change (Batch BatchPoolUpdateOptions, 2025-06-01.21.0
/// BatchService.json: "This field can be updated only when the pool is empty").
enum class UpdateClass {
    Inherit,    ///< A nested field: the class of the top-level field it sits under.
    Patchable,  ///< Changed in place by PATCH /pools/{id} (startTask, metadata, ...).
    EmptyOnly,  ///< Changed only while the pool has no nodes.
    Fixed,      ///< Never changed after create.
};

struct ObjectSpec;

/// One pool property: declared once, walked by the loader, the schema test, the encoder and
/// drift comparison.
struct FieldSpec {
    std::string_view key = {};   ///< YAML key (camelCase, the REST name unless a ...File key).
    std::string_view rest = {};  ///< REST member name; empty: the same as `key`.
    FieldKind kind = FieldKind::String;
    UpdateClass update = UpdateClass::Inherit;
    bool required = false;             ///< Required by the REST spec (or by poolwarden, see `doc`).
    std::int64_t min = -2147483648LL;  ///< Int: lowest value.
    std::int64_t max = 2147483647LL;   ///< Int: highest value; String: max length when > 0.
    std::span<const std::string_view> values = {};  ///< Enum / EnumList.
    const ObjectSpec* object = nullptr;             ///< Object / ObjectList.
    int max_items = 0;                              ///< Lists: most items (0: no limit).
    std::string_view rest_default = {};  ///< Batch's server default, as JSON text ("" none).
    std::string_view doc = {};           ///< One line for the JSON Schema and the README.
    /// The member's name in ARM's pool model (BatchManagement.json 2025-06-01) when it differs
    /// from rest_name(); `a/b` nests it; "-": ARM's model has no such member.
    std::string_view arm = {};
    /// Enum / EnumList: ARM's spellings, parallel to `values` (empty: the same). Bool: ARM's
    /// enum for {false, true} (interNodeCommunication Disabled / Enabled).
    std::span<const std::string_view> arm_values = {};

    std::string_view rest_name() const { return rest.empty() ? key : rest; }
    std::string_view arm_name() const { return arm.empty() ? rest_name() : arm; }
    bool secret() const {
        return kind == FieldKind::SecretFile || kind == FieldKind::JsonSecretFile;
    }
};

/// A nested REST object: its JSON Schema name (`$defs/<name>`), the REST definition it encodes
/// (2025-06-01.21.0 BatchService.json) and its fields.
struct ObjectSpec {
    std::string_view name;
    std::string_view rest_type;
    std::span<const FieldSpec> fields;

    const FieldSpec* find(std::string_view key) const;
};

/// The pool properties declared by table at the top level of a pool (`displayName`,
/// `networkConfiguration`, `mountConfiguration`, `virtualMachineConfiguration`, ...). The
/// hand-written keys (id, account, vmSize, image, nodeAgentSkuId, scale, resizeTimeout,
/// nodeDeallocationOption, taskSlotsPerNode, startTask, metadata, adopt) are not in it.
///
/// Thread safety: immutable static data.
const ObjectSpec& PoolFields();

/// The startTask properties declared by table (resourceFiles, containerSettings,
/// userIdentity); commandLine, waitForSuccess, elevated, maxTaskRetryCount and environment are
/// hand-written.
///
/// Thread safety: immutable static data.
const ObjectSpec& StartTaskFields();

/// Every ObjectSpec reachable from PoolFields() and StartTaskFields(), each once, parents first.
///
/// Thread safety: immutable static data.
const std::vector<const ObjectSpec*>& AllPoolObjects();

}  // namespace pw::model
