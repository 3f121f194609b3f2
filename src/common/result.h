#pragma once
// Errors as values (sign-in, the control plane's store and backends): Result<T, E> holds either a value or an error.
// Construct the error side with fail(e) so that T and E may be the same type.
// (C++20 has no std::expected; boost::system::result throws from value() for custom errors.)

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace oh::common {

// The default error: a short reason, written for logs (never contains secrets or tokens).
struct Failure {
  std::string reason;
};

template <class E>
struct Fail {
  E error;
};

template <class E>
Fail<std::decay_t<E>> fail(E&& error) {
  return Fail<std::decay_t<E>>{std::forward<E>(error)};
}

inline Fail<Failure> failure(std::string reason) { return Fail<Failure>{Failure{std::move(reason)}}; }

template <class T, class E = Failure>
class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class F>
  Result(Fail<F> f) : v_(std::in_place_index<1>, E(std::move(f.error))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { return std::get<1>(v_); }

private:
  std::variant<T, E> v_;
};

}  // namespace oh::common
