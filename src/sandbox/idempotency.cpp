#include "sandbox/idempotency.h"

namespace gigasync::sandbox {
namespace {

void fnv_mix(std::uint64_t& h, std::string_view data) {
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
}

}  // namespace

std::uint64_t request_fingerprint(std::string_view method, std::string_view path, std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  fnv_mix(h, method);
  fnv_mix(h, std::string_view("\n", 1));
  fnv_mix(h, path);
  fnv_mix(h, std::string_view("\0", 1));
  fnv_mix(h, body);
  return h;
}

void IdempotencyStore::expire(Clock::time_point now) {
  if (now - last_sweep_ < std::chrono::minutes(1)) return;
  last_sweep_ = now;
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.saved_at >= kLifetime; });
}

IdempotencyStore::Lookup IdempotencyStore::find(const std::string& key, std::uint64_t fingerprint,
                                                StoredResponse& out, Clock::time_point now) {
  expire(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) return Lookup::miss;
  if (now - it->second.saved_at >= kLifetime) {
    entries_.erase(it);
    return Lookup::miss;
  }
  if (it->second.fingerprint != fingerprint) return Lookup::conflict;
  out = it->second.response;
  return Lookup::replay;
}

void IdempotencyStore::save(const std::string& key, std::uint64_t fingerprint, StoredResponse response,
                            Clock::time_point now) {
  entries_[key] = Entry{fingerprint, std::move(response), now};
}

}  // namespace gigasync::sandbox
