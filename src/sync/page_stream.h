#pragma once
// The pull's read side as a stream: every page of /integrations/ is handed to a sink as soon as
// it arrives (pages 2..N in parallel once page 1's `count` is known), so memory holds the pages in
// flight, not the account. `next` stays the completeness check.
#include <functional>
#include <string>
#include <vector>

#include "gigasync/api_client.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct StreamStats {
  long long pages = 0;
  long long fetched = 0;            // results received, duplicates included
  std::vector<std::string> unclean;  // why this pass can not prove an absence
  bool clean() const { return unclean.empty(); }
};

// Called once per page, never concurrently, in no particular order. `number` is the page's number.
// Returns the ids of the page that this pass had seen before (page drift), or an Error to stop.
using PageSink = std::function<Result<std::vector<std::string>>(const json::IntegrationPage& page, long long number)>;

// Errors: whatever ApiClient or the sink returns (auth, data, unavailable, config, database).
Result<StreamStats> stream_pages(ApiClient& api, int concurrency, const PageSink& sink);

}  // namespace gigasync
