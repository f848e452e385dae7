#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace pw {

/// Tag that carries an error into a Result (`return pw::Err{error};`).
template <class E>
struct Err {
    E error;
};
template <class E>
Err(E) -> Err<E>;

/// A value or an error, for code paths where failure is expected (GCC 12 has no
/// std::expected). Errors are values; exceptions stay for start-up failures and bugs.
///
/// Thread safety: none of its own; treat it like the contained types.
template <class T, class E>
class [[nodiscard]] Result {
  public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    template <class E2>
    Result(Err<E2> err) : data_(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

    bool ok() const { return data_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(data_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(data_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(data_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    E& error() & {
        assert(!ok());
        return std::get<1>(data_);
    }
    const E& error() const& {
        assert(!ok());
        return std::get<1>(data_);
    }
    E&& error() && {
        assert(!ok());
        return std::get<1>(std::move(data_));
    }

  private:
    std::variant<T, E> data_;
};

/// Stand-in for `void` in Result<Unit, E>.
struct Unit {};

}  // namespace pw
