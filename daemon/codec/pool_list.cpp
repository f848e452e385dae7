#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "codec/decode.hpp"
#include "codec/json_text.hpp"
#include "model/duration.hpp"
#include "model/resource_id.hpp"

namespace pw::codec {
namespace {

using Json = nlohmann::json;

/// The objects and arrays of a CloudPoolListResult page that the decoder reads.
enum class Shape : std::uint8_t {
    Root,
    Pools,
    Pool,
    VmConfig,
    ImageReference,
    ResizeErrors,
    ResizeError,
    StartTask,
    Environment,
    UserIdentity,
    AutoUser,
    Metadata,
    NameValue,
};

// The members of each object, in the order the document decoder (decode.cpp) reads them: the
// first problem in that order is the one reported, wherever it is in the text.
constexpr std::array<std::string_view, 2> kRoot = {"value", "odata.nextLink"};
enum RootMember { kValue, kNextLink };
constexpr std::array<std::string_view, 18> kPool = {"id",
                                                    "eTag",
                                                    "state",
                                                    "allocationState",
                                                    "vmSize",
                                                    "virtualMachineConfiguration",
                                                    "targetDedicatedNodes",
                                                    "targetLowPriorityNodes",
                                                    "currentDedicatedNodes",
                                                    "currentLowPriorityNodes",
                                                    "enableAutoScale",
                                                    "autoScaleFormula",
                                                    "autoScaleEvaluationInterval",
                                                    "resizeTimeout",
                                                    "resizeErrors",
                                                    "taskSlotsPerNode",
                                                    "startTask",
                                                    "metadata"};
enum PoolMember {
    kId,
    kETag,
    kState,
    kAllocationState,
    kVmSize,
    kVmConfig,
    kTargetDedicated,
    kTargetLowPriority,
    kCurrentDedicated,
    kCurrentLowPriority,
    kEnableAutoScale,
    kAutoScaleFormula,
    kAutoScaleInterval,
    kResizeTimeout,
    kResizeErrors,
    kTaskSlots,
    kStartTask,
    kMetadata,
};
constexpr std::array<std::string_view, 2> kVmConfigMembers = {"imageReference", "nodeAgentSKUId"};
constexpr std::array<std::string_view, 1> kImageReferenceMembers = {"virtualMachineImageId"};
constexpr std::array<std::string_view, 2> kResizeErrorMembers = {"code", "message"};
constexpr std::array<std::string_view, 5> kStartTaskMembers = {
    "commandLine", "waitForSuccess", "maxTaskRetryCount", "environmentSettings", "userIdentity"};
enum StartTaskMember { kCommandLine, kWaitForSuccess, kMaxRetries, kEnvironment, kUserIdentity };
constexpr std::array<std::string_view, 1> kUserIdentityMembers = {"autoUser"};
constexpr std::array<std::string_view, 1> kAutoUserMembers = {"elevationLevel"};
constexpr std::array<std::string_view, 2> kNameValueMembers = {"name", "value"};

template <std::size_t N>
int Find(const std::array<std::string_view, N>& names, std::string_view key) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == key) return static_cast<int>(i);
    return -1;
}

int MemberOf(Shape shape, std::string_view key) {
    switch (shape) {
        case Shape::Root:
            return Find(kRoot, key);
        case Shape::Pool:
            return Find(kPool, key);
        case Shape::VmConfig:
            return Find(kVmConfigMembers, key);
        case Shape::ImageReference:
            return Find(kImageReferenceMembers, key);
        case Shape::ResizeError:
            return Find(kResizeErrorMembers, key);
        case Shape::StartTask:
            return Find(kStartTaskMembers, key);
        case Shape::UserIdentity:
            return Find(kUserIdentityMembers, key);
        case Shape::AutoUser:
            return Find(kAutoUserMembers, key);
        case Shape::NameValue:
            return Find(kNameValueMembers, key);
        default:
            return -1;
    }
}

std::string_view MemberName(Shape shape, int member) {
    auto i = static_cast<std::size_t>(member);
    switch (shape) {
        case Shape::Root:
            return kRoot[i];
        case Shape::Pool:
            return kPool[i];
        case Shape::VmConfig:
            return kVmConfigMembers[i];
        case Shape::ImageReference:
            return kImageReferenceMembers[i];
        case Shape::ResizeError:
            return kResizeErrorMembers[i];
        case Shape::StartTask:
            return kStartTaskMembers[i];
        case Shape::UserIdentity:
            return kUserIdentityMembers[i];
        case Shape::AutoUser:
            return kAutoUserMembers[i];
        case Shape::NameValue:
            return kNameValueMembers[i];
        default:
            return {};
    }
}

bool IsArray(Shape shape) {
    return shape == Shape::Pools || shape == Shape::ResizeErrors || shape == Shape::Environment ||
           shape == Shape::Metadata;
}

/// One parse event's value, as the document decoder would see the member.
struct Scalar {
    enum Type { Null, Bool, Signed, Unsigned, Float, String } type = Null;
    bool b = false;
    long long i = 0;
    unsigned long long u = 0;
    std::string* s = nullptr;

    std::string_view type_name() const {
        switch (type) {
            case Null:
                return "null";
            case Bool:
                return "boolean";
            case Signed:
            case Unsigned:
                return "integer";
            case Float:
                return "number";
            case String:
                return "string";
        }
        return "null";
    }
};

/// An open object or array. Objects keep the first problem of each member (by the member's
/// position in the read order) until they close; arrays keep their first element's problem.
struct Frame {
    Shape shape = Shape::Root;
    int member = -1;         ///< Objects: the member whose value comes next (-1: not read).
    std::size_t count = 0;   ///< Arrays: elements started.
    std::uint32_t seen = 0;  ///< Objects: members present and not null, by bit.
    std::vector<std::pair<int, std::string>> errors;  ///< (member, message), or (0, ...) in arrays.
    std::string name, value;                          ///< NameValue: the pair read so far.
};

/// The SAX handler: decodes a page into `pools` as the parser reports it.
class PageReader {
  public:
    explicit PageReader(std::vector<model::ObservedPool>& pools)
        : pools_(pools), base_(pools.size()) {
        stack_.reserve(8);
    }

    std::string next_link;
    std::optional<std::string> syntax_error;
    std::optional<std::string> error;  ///< The first problem, once the root object closed.

    // nlohmann's SAX interface.
    bool null() { return scalar(Scalar{}); }
    bool boolean(bool v) { return scalar(Scalar{Scalar::Bool, v}); }
    bool number_integer(Json::number_integer_t v) {
        return scalar(Scalar{Scalar::Signed, false, v});
    }
    bool number_unsigned(Json::number_unsigned_t v) {
        return scalar(Scalar{Scalar::Unsigned, false, 0, v});
    }
    bool number_float(Json::number_float_t, const Json::string_t&) {
        return scalar(Scalar{Scalar::Float});
    }
    bool string(Json::string_t& v) { return scalar(Scalar{Scalar::String, false, 0, 0, &v}); }
    bool binary(Json::binary_t&) { return scalar(Scalar{Scalar::Float}); }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(Json::string_t& k) {
        if (skip_ == 0) stack_.back().member = MemberOf(stack_.back().shape, k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        syntax_error = detail::InvalidJson(e.what());
        return false;
    }

  private:
    model::ObservedPool& pool() { return pools_.back(); }

    /// The JSON path of the open frames (as decode.cpp writes it: `value[3].startTask`).
    std::string path() const {
        std::string out;
        for (std::size_t i = 1; i < stack_.size(); ++i) append(out, stack_[i - 1]);
        return out;
    }
    static void append(std::string& out, const Frame& parent) {
        if (IsArray(parent.shape)) {
            out += "[" + std::to_string(parent.count - 1) + "]";
            return;
        }
        auto name = MemberName(parent.shape, parent.member);
        if (name.find('.') != std::string_view::npos)
            out += "[" + Json(std::string(name)).dump() + "]";
        else
            out += out.empty() ? std::string(name) : "." + std::string(name);
    }
    /// The path of the top frame's current member or element.
    std::string here() const {
        std::string out = path();
        append(out, stack_.back());
        return out;
    }

    void fail(std::string_view what) {
        Frame& top = stack_.back();
        std::string message = here() + ": " + std::string(what);
        int key = IsArray(top.shape) ? 0 : top.member;
        if (IsArray(top.shape)) {
            if (top.errors.empty()) top.errors.emplace_back(0, std::move(message));
            return;
        }
        for (auto& [m, text] : top.errors)
            if (m == key) {
                text = std::move(message);
                return;
            }
        top.errors.emplace_back(key, std::move(message));
    }
    void expected(std::string_view want, std::string_view got) {
        fail("expected " + std::string(want) + ", got " + std::string(got));
    }

    /// A member's value starts: the document decoder reads only its last occurrence, so an
    /// earlier one's value and problems are forgotten and the member takes its default.
    void reset(Frame& f, bool present) {
        const int m = f.member;
        std::erase_if(f.errors, [m](const auto& e) { return e.first == m; });
        if (m < 32) {
            if (present)
                f.seen |= 1u << m;
            else
                f.seen &= ~(1u << m);
        }
        switch (f.shape) {
            case Shape::Root:
                if (m == kValue) pools_.resize(base_);
                if (m == kNextLink) next_link.clear();
                break;
            case Shape::Pool:
                reset_pool_member(m);
                break;
            case Shape::VmConfig:
                if (m == 0) pool().virtual_machine_image_id.clear();
                if (m == 1) pool().node_agent_sku_id.clear();
                break;
            case Shape::ImageReference:
                pool().virtual_machine_image_id.clear();
                break;
            case Shape::ResizeError:
                (m == 0 ? pool().resize_errors.back().code : pool().resize_errors.back().message)
                    .clear();
                break;
            case Shape::StartTask: {
                auto& task = *pool().start_task;
                if (m == kCommandLine) task.command_line.clear();
                if (m == kWaitForSuccess) task.wait_for_success = true;
                if (m == kMaxRetries) task.max_task_retry_count = 0;
                if (m == kEnvironment) task.environment.clear();
                if (m == kUserIdentity) task.elevated = false;
                break;
            }
            case Shape::UserIdentity:
            case Shape::AutoUser:
                pool().start_task->elevated = false;
                break;
            case Shape::NameValue:
                (m == 0 ? f.name : f.value).clear();
                break;
            default:
                break;
        }
    }

    void reset_pool_member(int m) {
        auto& p = pool();
        switch (m) {
            case kId:
                p.id.clear();
                break;
            case kETag:
                p.e_tag.clear();
                break;
            case kState:
                p.state = "active";
                break;
            case kAllocationState:
                p.allocation_state = "steady";
                break;
            case kVmSize:
                p.vm_size.clear();
                break;
            case kVmConfig:
                p.virtual_machine_image_id.clear();
                p.node_agent_sku_id.clear();
                break;
            case kTargetDedicated:
                p.target_dedicated_nodes = 0;
                break;
            case kTargetLowPriority:
                p.target_low_priority_nodes = 0;
                break;
            case kCurrentDedicated:
                p.current_dedicated_nodes = 0;
                break;
            case kCurrentLowPriority:
                p.current_low_priority_nodes = 0;
                break;
            case kEnableAutoScale:
                p.enable_auto_scale = false;
                break;
            case kAutoScaleFormula:
                p.auto_scale_formula.clear();
                break;
            case kAutoScaleInterval:
                p.auto_scale_evaluation_interval.reset();
                break;
            case kResizeTimeout:
                p.resize_timeout.reset();
                break;
            case kResizeErrors:
                p.resize_errors.clear();
                break;
            case kTaskSlots:
                p.task_slots_per_node = 1;
                break;
            case kStartTask:
                p.start_task.reset();
                break;
            case kMetadata:
                p.metadata.clear();
                break;
            default:
                break;
        }
    }

    void read_string(const Scalar& v, std::string& out) {
        if (v.type != Scalar::String) return expected("string", v.type_name());
        // A copy of exactly its length: the lexer's buffer grows by doubling (a 150-character
        // image id moved out of it held 241 bytes) and, left in place, serves the next string
        // without growing again.
        out = std::string(*v.s);
    }
    void read_int(const Scalar& v, int& out) {
        if (v.type == Scalar::Unsigned) {
            if (v.u <= static_cast<unsigned long long>(INT_MAX)) {
                out = static_cast<int>(v.u);
                return;
            }
        } else if (v.type == Scalar::Signed) {
            if (v.i >= INT_MIN && v.i <= INT_MAX) {
                out = static_cast<int>(v.i);
                return;
            }
        } else {
            return expected("integer", v.type_name());
        }
        fail("integer out of 32-bit range");
    }
    void read_bool(const Scalar& v, bool& out) {
        if (v.type != Scalar::Bool) return expected("boolean", v.type_name());
        out = v.b;
    }
    void read_duration(const Scalar& v, std::optional<model::Seconds>& out) {
        if (v.type != Scalar::String) return expected("string", v.type_name());
        out = model::ParseDuration(*v.s);
        if (!out) fail("expected ISO-8601 duration, got \"" + *v.s + "\"");
    }

    /// A scalar value of the top frame's current member, or an element of its array.
    bool scalar(const Scalar& v) {
        if (skip_ > 0) return true;
        if (stack_.empty()) {
            error = "expected object, got " + std::string(v.type_name());
            return true;
        }
        Frame& f = stack_.back();
        if (IsArray(f.shape)) {
            if (f.errors.empty()) {
                ++f.count;
                expected("object", v.type_name());
            }
            return true;
        }
        if (f.member < 0) return true;
        reset(f, v.type != Scalar::Null);
        if (v.type == Scalar::Null) return true;
        const int m = f.member;
        switch (f.shape) {
            case Shape::Root:
                if (m == kValue) return expected("array", v.type_name()), true;
                read_string(v, next_link);
                return true;
            case Shape::Pool:
                return pool_scalar(m, v), true;
            case Shape::VmConfig:
                if (m == 0) return expected("object", v.type_name()), true;
                read_string(v, pool().node_agent_sku_id);
                return true;
            case Shape::ImageReference:
                read_string(v, pool().virtual_machine_image_id);
                return true;
            case Shape::ResizeError: {
                auto& e = pool().resize_errors.back();
                read_string(v, m == 0 ? e.code : e.message);
                return true;
            }
            case Shape::StartTask: {
                auto& task = *pool().start_task;
                if (m == kCommandLine) read_string(v, task.command_line);
                if (m == kWaitForSuccess) read_bool(v, task.wait_for_success);
                if (m == kMaxRetries) read_int(v, task.max_task_retry_count);
                if (m == kEnvironment) expected("array", v.type_name());
                if (m == kUserIdentity) expected("object", v.type_name());
                return true;
            }
            case Shape::UserIdentity:
                return expected("object", v.type_name()), true;
            case Shape::AutoUser: {
                std::string level;
                read_string(v, level);
                pool().start_task->elevated =
                    v.type == Scalar::String && model::IEquals(level, "admin");
                return true;
            }
            case Shape::NameValue:
                read_string(v, m == 0 ? f.name : f.value);
                return true;
            default:
                return true;
        }
    }

    void pool_scalar(int m, const Scalar& v) {
        auto& p = pool();
        switch (m) {
            case kId:
                return read_string(v, p.id);
            case kETag:
                return read_string(v, p.e_tag);
            case kState:
                read_string(v, p.state);
                if (v.type != Scalar::String) p.state = "active";
                return;
            case kAllocationState:
                read_string(v, p.allocation_state);
                if (v.type != Scalar::String) p.allocation_state = "steady";
                return;
            case kVmSize:
                return read_string(v, p.vm_size);
            case kTargetDedicated:
                return read_int(v, p.target_dedicated_nodes);
            case kTargetLowPriority:
                return read_int(v, p.target_low_priority_nodes);
            case kCurrentDedicated:
                return read_int(v, p.current_dedicated_nodes);
            case kCurrentLowPriority:
                return read_int(v, p.current_low_priority_nodes);
            case kEnableAutoScale:
                return read_bool(v, p.enable_auto_scale);
            case kAutoScaleFormula:
                return read_string(v, p.auto_scale_formula);
            case kAutoScaleInterval:
                return read_duration(v, p.auto_scale_evaluation_interval);
            case kResizeTimeout:
                return read_duration(v, p.resize_timeout);
            case kTaskSlots:
                return read_int(v, p.task_slots_per_node);
            case kVmConfig:
            case kStartTask:
                return expected("object", v.type_name());
            case kResizeErrors:
            case kMetadata:
                return expected("array", v.type_name());
            default:
                return;
        }
    }

    /// The shape an object (`object`) or array value opens here, or nothing (skipped).
    std::optional<Shape> child(bool object) {
        if (stack_.empty()) {
            if (object) return Shape::Root;
            error = "expected object, got array";
            return std::nullopt;
        }
        Frame& f = stack_.back();
        const std::string_view got = object ? "object" : "array";
        if (IsArray(f.shape)) {
            if (!f.errors.empty()) return std::nullopt;  // the decoder stops at the first
            ++f.count;
            if (!object) return expected("object", got), std::nullopt;
            switch (f.shape) {
                case Shape::Pools:
                    pools_.emplace_back();
                    return Shape::Pool;
                case Shape::ResizeErrors:
                    pool().resize_errors.emplace_back();
                    return Shape::ResizeError;
                default:
                    return Shape::NameValue;
            }
        }
        if (f.member < 0) return std::nullopt;
        reset(f, true);
        const int m = f.member;
        auto want = [&](bool as_object, Shape shape) -> std::optional<Shape> {
            if (object == as_object) return shape;
            expected(as_object ? "object" : "array", got);
            return std::nullopt;
        };
        switch (f.shape) {
            case Shape::Root:
                if (m == kValue) return want(false, Shape::Pools);
                return expected("string", got), std::nullopt;
            case Shape::Pool:
                switch (m) {
                    case kVmConfig:
                        return want(true, Shape::VmConfig);
                    case kResizeErrors:
                        return want(false, Shape::ResizeErrors);
                    case kStartTask: {
                        auto shape = want(true, Shape::StartTask);
                        if (shape) pool().start_task.emplace();
                        return shape;
                    }
                    case kMetadata:
                        return want(false, Shape::Metadata);
                    case kEnableAutoScale:
                        return expected("boolean", got), std::nullopt;
                    case kTargetDedicated:
                    case kTargetLowPriority:
                    case kCurrentDedicated:
                    case kCurrentLowPriority:
                    case kTaskSlots:
                        return expected("integer", got), std::nullopt;
                    default:
                        return expected("string", got), std::nullopt;
                }
            case Shape::VmConfig:
                if (m == 0) return want(true, Shape::ImageReference);
                return expected("string", got), std::nullopt;
            case Shape::StartTask:
                switch (m) {
                    case kEnvironment:
                        return want(false, Shape::Environment);
                    case kUserIdentity:
                        return want(true, Shape::UserIdentity);
                    case kWaitForSuccess:
                        return expected("boolean", got), std::nullopt;
                    case kMaxRetries:
                        return expected("integer", got), std::nullopt;
                    default:
                        return expected("string", got), std::nullopt;
                }
            case Shape::UserIdentity:
                return want(true, Shape::AutoUser);
            default:
                return expected("string", got), std::nullopt;
        }
    }

    bool open(bool object) {
        if (skip_ > 0) {
            ++skip_;
            return true;
        }
        auto shape = child(object);
        if (!shape) {
            skip_ = 1;
            return true;
        }
        stack_.emplace_back().shape = *shape;
        return true;
    }

    bool close() {
        if (skip_ > 0) {
            --skip_;
            return true;
        }
        // Required members, checked where the document decoder reads them.
        auto require = [&](int m) {
            if (stack_.back().seen & (1u << m)) return;
            stack_.back().member = m;
            fail("required member missing");
        };
        switch (stack_.back().shape) {
            case Shape::Root:
                require(kValue);
                break;
            case Shape::Pool:
                require(kId);
                break;
            case Shape::StartTask:
                require(kCommandLine);
                break;
            case Shape::NameValue:
                require(0);
                break;
            default:
                break;
        }
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        std::optional<std::string> first;
        int rank = INT_MAX;
        for (auto& [m, text] : f.errors)
            if (m < rank) {
                rank = m;
                first = std::move(text);
            }
        if (stack_.empty()) {
            if (!error) error = std::move(first);
            return true;
        }
        Frame& parent = stack_.back();
        if (first) {
            if (IsArray(parent.shape)) {
                if (parent.errors.empty()) parent.errors.emplace_back(0, std::move(*first));
            } else {
                parent.errors.emplace_back(parent.member, std::move(*first));
            }
            return true;
        }
        if (f.shape == Shape::NameValue) {
            auto& target = parent.shape == Shape::Environment ? pool().start_task->environment
                                                              : pool().metadata;
            target[std::move(f.name)] = std::move(f.value);
        }
        return true;
    }

    std::vector<model::ObservedPool>& pools_;
    const std::size_t base_;
    std::vector<Frame> stack_;
    int skip_ = 0;  ///< Depth inside a value the decoder does not read.
};

}  // namespace

Decoded<std::string> AppendPoolList(std::string_view body,
                                    std::vector<model::ObservedPool>& pools) {
    if (auto why = detail::NotJson(body)) return pw::Err{std::move(*why)};
    const std::size_t base = pools.size();
    try {
        // Room for the page's pools at once (an estimate: every pool has an "id" member; a
        // page holds at most 1 000 pools, `maxresults` 1..1000, azure-contract.md "Pool_List",
        // so a body full of "id" reserves no more): grown one doubling at a time, the vector of
        // a page of 1 000 pools was copied nine times and left freed blocks of every size in
        // the heap.
        constexpr std::size_t kMaxPage = 1000;
        constexpr std::string_view kId = "\"id\"";
        std::size_t ids = 0;
        for (const char* at = body.data(); ids < kMaxPage; at += kId.size(), ++ids) {
            // memmem: string_view::find stops at every '"' of the page.
            const auto left = static_cast<std::size_t>(body.data() + body.size() - at);
            at = static_cast<const char*>(memmem(at, left, kId.data(), kId.size()));
            if (!at) break;
        }
        if (pools.capacity() < base + ids)
            pools.reserve(base == 0 ? ids : std::max(base + ids, 2 * pools.capacity()));
        PageReader reader(pools);
        Json::sax_parse(body, &reader);
        std::optional<std::string> error =
            reader.syntax_error ? std::move(reader.syntax_error) : std::move(reader.error);
        if (!error) return std::move(reader.next_link);
        pools.resize(base);
        return pw::Err{std::move(*error)};
    } catch (const std::exception& e) {
        pools.resize(base);
        return pw::Err{std::string("cannot decode: ") + e.what()};
    }
}

Decoded<PoolPage> DecodePoolList(std::string_view body) {
    PoolPage page;
    auto next = AppendPoolList(body, page.pools);
    if (!next) return pw::Err{std::move(next).error()};
    if (!next->empty()) page.next_link = std::move(*next);
    return page;
}

}  // namespace pw::codec
