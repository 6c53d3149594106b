#pragma once
// Idempotency-Key: the first response to a write is kept under its key with a fingerprint
// of the request (method, path, body); a later request with the same key gets it again.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gigasync::sandbox {

struct StoredResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// 64-bit FNV-1a over method, path and body.
std::uint64_t request_fingerprint(std::string_view method, std::string_view path, std::string_view body);

// Not thread-safe: the caller serialises access.
class IdempotencyStore {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::hours kLifetime{24};

  enum class Lookup { miss, replay, conflict };
  // replay: `out` holds the stored response. conflict: the key was used for another request.
  // Keys older than kLifetime at `now` are forgotten.
  Lookup find(const std::string& key, std::uint64_t fingerprint, StoredResponse& out,
              Clock::time_point now = Clock::now());
  void save(const std::string& key, std::uint64_t fingerprint, StoredResponse response,
            Clock::time_point now = Clock::now());
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t fingerprint = 0;
    StoredResponse response;
    Clock::time_point saved_at;
  };
  void expire(Clock::time_point now);

  std::unordered_map<std::string, Entry> entries_;
  Clock::time_point last_sweep_{};
};

}  // namespace gigasync::sandbox
