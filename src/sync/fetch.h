#pragma once
// The pull's read side: every page of /integrations/, in parallel once `count` is known, with
// `next` still the completeness check.
#include <string>
#include <unordered_map>
#include <vector>

#include "gigasync/api_client.h"

namespace gigasync {

struct RemoteSnapshot {
  std::vector<Integration> objects;                // in first-seen order, one per id
  std::unordered_map<std::string, size_t> index;   // id → position in objects
  long long pages = 0;
  long long fetched = 0;                           // results received, duplicates included
  std::vector<std::string> unclean;                // why this pass can not prove an absence
  bool clean() const { return unclean.empty(); }
};

// Errors: whatever ApiClient returns (auth, data, unavailable, config).
Result<RemoteSnapshot> fetch_all(ApiClient& api, int concurrency);

}  // namespace gigasync
