#pragma once
// Errors are values: every layer returns Result<T>; only main() turns an Error into an exit code.
#include <string>
#include <utility>
#include <variant>

#include "gigasync/layer.h"
GIGASYNC_LAYER(util);

namespace gigasync {

// The contract's exit codes (sysexits.h).
enum class ExitCode : int {
  ok = 0,
  partial = 1,       // done, but changes were rejected or conflicts are open
  usage = 64,        // EX_USAGE
  data = 65,         // EX_DATAERR: the API sent data that does not fit its contract
  unavailable = 69,  // EX_UNAVAILABLE: the API stayed unreachable or kept failing
  software = 70,     // EX_SOFTWARE: a bug or a local failure (disk, database)
  cant_create = 73,  // EX_CANTCREAT: the database cannot be opened or written
  locked = 75,       // EX_TEMPFAIL: another cycle holds the lock
  auth = 77,         // EX_NOPERM: the token was refused (401/403)
  config = 78,       // EX_CONFIG: bad configuration
};

struct Error {
  ExitCode code = ExitCode::software;
  std::string message;
};

inline Error make_error(ExitCode code, std::string message) { return Error{code, std::move(message)}; }

// A value or an Error. REQUIRES: value() only when ok(), error() only when !ok().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace gigasync
