#pragma once
// A listing's read side as a stream: every page is handed to a sink as soon as it arrives (pages
// 2..N in parallel once page 1's `count` is known), so memory holds the pages in flight, not the
// account. `next` stays the completeness check. A page whose bytes are the ones the sink saw last
// time (it says so from their hash) is not parsed at all.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gigasync/json.h"
#include "gigasync/remote.h"
#include "sync/listing.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

struct StreamStats {
  long long pages = 0;
  long long fetched = 0;             // objects received, duplicates and unchanged pages included
  long long unchanged_pages = 0;     // pages the sink knew by their bytes (not parsed)
  std::vector<std::string> unclean;  // why this pass can not prove an absence
  bool clean() const { return unclean.empty(); }
};

// The bytes of a page, hashed (XXH3, 64 bits).
std::uint64_t body_hash(const std::string& body);

class PageSink {
 public:
  virtual ~PageSink() = default;
  // Called from several threads at once. True when page `number` had exactly these bytes (`hash`)
  // when the sink last took it: then `count`, `next` and `objects` are set from what it kept, and
  // the page is not parsed.
  virtual bool unchanged(long long number, std::uint64_t hash, long long& count, std::optional<std::string>& next,
                         long long& objects) const {
    (void)number, (void)hash, (void)count, (void)next, (void)objects;
    return false;
  }
  struct Taken {
    std::vector<std::string> repeats;  // ids this pass had seen before (page drift)
    bool stop = false;                 // read no further pages (a newest-first listing is done)
  };
  // One page, in no particular order, never concurrently: `page` is the parsed page, or null for
  // an unchanged one (see unchanged()).
  virtual Result<Taken> take(long long number, std::uint64_t hash, const json::Page* page, long long count,
                             const std::optional<std::string>& next) = 0;
};

// A PageSink that hands every parsed page to a function (no page is taken as unchanged by its
// bytes): what `verify` compares.
class PageFunctionSink : public PageSink {
 public:
  explicit PageFunctionSink(std::function<Result<Taken>(const json::Page&)> f) : f_(std::move(f)) {}
  Result<Taken> take(long long, std::uint64_t, const json::Page* page, long long,
                     const std::optional<std::string>&) override {
    return f_(*page);
  }

 private:
  std::function<Result<Taken>(const json::Page&)> f_;
};

// Errors: whatever the Remote or the sink returns (auth, data, unavailable, config, database).
// A 4XX answer to a page of a listing under an integration is Error(partial) starting with
// "refused: " (that integration's objects can not be read).
Result<StreamStats> stream_pages(Remote& api, const Listing& listing, int concurrency, PageSink& sink);

}  // namespace gigasync
