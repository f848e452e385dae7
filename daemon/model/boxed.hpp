#pragma once

#include <memory>
#include <optional>

namespace pw::model {

/// An optional value kept on the heap: a pointer's size while empty (as most pools' last
/// action and error are; at 10 000 pools two inline optionals were 2 MB), with the optional
/// interface its users need. Copies share the value until one of them is changed
/// through a non-const access (copy on write): the reconciler's record of a pool's last action
/// and the pool's status are then one value instead of two (at 10 000 pools created by the
/// daemon, about 1.5 MB).
///
/// Thread safety: a value type. Const access never writes; a shared value is never changed
/// (a non-const access first copies it), so a copy may be read on another thread while this
/// one is changed.
template <class T>
class Boxed {
  public:
    Boxed() = default;
    Boxed(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): as std::optional
    Boxed(const T& v) : p_(std::make_shared<T>(v)) {}        // NOLINT
    Boxed(T&& v) : p_(std::make_shared<T>(std::move(v))) {}  // NOLINT
    Boxed(const std::optional<T>& v) { *this = v; }          // NOLINT
    Boxed(const Boxed&) = default;
    Boxed(Boxed&&) noexcept = default;
    ~Boxed() = default;

    Boxed& operator=(const Boxed&) = default;
    Boxed& operator=(Boxed&&) noexcept = default;
    Boxed& operator=(std::nullopt_t) {
        p_.reset();
        return *this;
    }
    /// Copies into the value already held when it is not shared (no allocation).
    Boxed& operator=(const T& v) {
        if (p_ && p_.use_count() == 1)
            *p_ = v;
        else
            p_ = std::make_shared<T>(v);
        return *this;
    }
    Boxed& operator=(T&& v) {
        if (p_ && p_.use_count() == 1)
            *p_ = std::move(v);
        else
            p_ = std::make_shared<T>(std::move(v));
        return *this;
    }
    Boxed& operator=(const std::optional<T>& v) { return v ? *this = *v : *this = std::nullopt; }

    bool has_value() const { return p_ != nullptr; }
    explicit operator bool() const { return has_value(); }
    const T& operator*() const { return *p_; }
    T& operator*() { return *own(); }
    const T* operator->() const { return p_.get(); }
    T* operator->() { return own(); }
    void reset() { p_.reset(); }
    /// A default value, held alone (not shared).
    T& emplace() {
        p_ = std::make_shared<T>();
        return *p_;
    }
    /// Equal when both are empty or both hold equal values (as std::optional).
    friend bool operator==(const Boxed& a, const Boxed& b) {
        if (a.p_ == b.p_) return true;
        return a.p_ && b.p_ && *a.p_ == *b.p_;
    }

  private:
    T* own() {
        if (p_ && p_.use_count() > 1) p_ = std::make_shared<T>(*p_);
        return p_.get();
    }
    std::shared_ptr<T> p_;
};

}  // namespace pw::model
