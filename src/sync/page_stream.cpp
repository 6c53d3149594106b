#include "sync/page_stream.h"

#include <xxhash.h>

#include <mutex>
#include <optional>
#include <set>

#include "gigasync/parallel.h"

namespace gigasync {
namespace {

// The `page=` value's position in a URL's query, or npos.
std::pair<size_t, size_t> page_param(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos) return {std::string::npos, 0};
  for (size_t pos = q; pos != std::string::npos; pos = url.find('&', pos + 1)) {
    if (url.compare(pos + 1, 5, "page=") == 0) {
      size_t start = pos + 6;
      size_t end = url.find('&', start);
      if (end == std::string::npos) end = url.size();
      return {start, end - start};
    }
  }
  return {std::string::npos, 0};
}

std::optional<long long> page_number(const std::string& url) {
  auto [start, len] = page_param(url);
  if (start == std::string::npos || len == 0) return std::nullopt;
  try {
    return std::stoll(url.substr(start, len));
  } catch (...) {
    return std::nullopt;
  }
}

std::string with_page(const std::string& url, long long page) {
  auto [start, len] = page_param(url);
  return url.substr(0, start) + std::to_string(page) + url.substr(start + len);
}

constexpr long long kMaxParallelPages = 100'000;

// One page as fetched: parsed, or known to the sink by its bytes.
struct Fetched {
  std::uint64_t hash = 0;
  long long count = 0;
  long long objects = 0;
  std::optional<std::string> next;
  std::optional<json::Page> page;  // nullopt: unchanged (the sink knows it)
  bool gone = false;               // 404 past page 1: the list shrank while it was read
};

class Streamer {
 public:
  Streamer(Remote& api, const Listing& listing, int concurrency, PageSink& sink)
      : api_(api), listing_(listing), concurrency_(concurrency), sink_(sink) {}

  Result<StreamStats> run() {
    auto first = fetch(api_.list_url(*listing_.resource, listing_.query), 1);
    if (!first) return first.error();
    count_ = first->count;
    bool stop = false;
    if (auto s = take(first.value(), 1, stop); !s) return s.error();
    std::optional<std::string> next = stop ? std::nullopt : first->next;
    // A newest-first listing usually ends after a page or two: read it one page at a time.
    if (next && concurrency_ > 1 && first->objects > 0 && page_number(*next) == 2 && !listing_.stop_before) {
      auto tail = fetch_parallel(*next, first.value());
      if (!tail) return tail.error();
      next = tail.value();
    }
    while (next && !stop_) {
      auto more = fetch_one(*next);
      if (!more) return more.error();
      next = more.value();
    }
    if (!stop_ && received_ != count_ && stats_.clean())
      stats_.unclean.push_back("received " + std::to_string(received_) + " objects but count is " +
                               std::to_string(count_));
    return std::move(stats_);
  }

 private:
  std::string where(long long number) const {
    std::string out = "page " + std::to_string(number);
    if (listing_.resource != &integrations_resource()) out += " of " + listing_.describe();
    return out;
  }

  Result<Fetched> fetch(const std::string& url, long long number) {
    Fetched f;
    const std::string place = where(number);
    auto reply = api_.call(ApiCall{"GET", url, "", "", listing_.scope}, [&](const std::string& body) -> Status {
      f.hash = body_hash(body);
      if (sink_.unchanged(number, f.hash, f.count, f.next, f.objects)) {
        f.page.reset();
        return ok_status();
      }
      auto p = json::parse_page(*listing_.resource, body, place, listing_.scope);
      if (!p) return p.error();
      f.count = p->count;
      f.next = p->next;
      f.objects = static_cast<long long>(p->results.size());
      f.page = std::move(p.value());
      return ok_status();
    });
    if (!reply) {
      Error e = reply.error();
      if (e.code == ExitCode::data && !e.message.starts_with(place)) e.message = place + ": " + e.message;
      return e;
    }
    if (reply->status == 404 && number > 1) {
      f.gone = true;
      return f;
    }
    if (reply->status >= 400 && reply->status < 500 && !listing_.scope.empty())
      return make_error(ExitCode::partial, "refused: " + listing_.describe() + " answered HTTP " +
                                               std::to_string(reply->status) + " (" +
                                               json::describe_error_body(reply->body) + ")");
    if (reply->status != 200)
      return make_error(ExitCode::data, place + ": unexpected HTTP " + std::to_string(reply->status) + " (" +
                                            json::describe_error_body(reply->body) + ")");
    return f;
  }

  // Pages 2..N at once, N from page 1's count and size, each handed to the sink as it arrives.
  // Returns the `next` of page N (more pages appeared while we read: continue one by one).
  Result<std::optional<std::string>> fetch_parallel(const std::string& second_url, const Fetched& first) {
    if (auto s = api_.check_origin(second_url, "page 1's next link"); !s) return s.error();
    long long per_page = first.objects;
    long long total = (first.count + per_page - 1) / per_page;
    // `count` is the server's claim: past kMaxParallelPages pages, follow `next` one by one.
    if (total < 2 || total - 1 > kMaxParallelPages) return std::optional<std::string>(second_url);
    std::optional<Error> failure;
    std::optional<std::string> last_next;
    bool shrank = false;
    std::mutex mu;
    parallel_for(static_cast<size_t>(total - 1), concurrency_, [&](size_t i) {
      long long number = static_cast<long long>(i) + 2;
      auto p = fetch(with_page(second_url, number), number);
      std::lock_guard lock(mu);
      if (failure) return false;
      if (!p) {
        failure = p.error();
        return false;
      }
      bool stop = false;
      if (auto s = take(p.value(), number, stop); !s) {
        failure = s.error();
        return false;
      }
      if (p->gone) {
        shrank = true;
        return true;
      }
      const auto& next = p->next;
      if (number < total && (!next || page_number(*next) != number + 1))
        stats_.unclean.push_back("page " + std::to_string(number) + "'s next link does not lead to page " +
                                 std::to_string(number + 1));
      if (next) {
        if (auto s = api_.check_origin(*next, "page " + std::to_string(number) + "'s next link"); !s) {
          failure = s.error();
          return false;
        }
      }
      if (number == total) last_next = next;
      return true;
    });
    if (failure) return *failure;
    if (shrank || !last_next) return std::optional<std::string>{};
    if (page_number(*last_next) && *page_number(*last_next) <= total) return std::optional<std::string>{};
    return last_next;
  }

  Result<std::optional<std::string>> fetch_one(const std::string& url) {
    long long number = stats_.pages + 1;
    if (auto s = api_.check_origin(url, "the next link after page " + std::to_string(stats_.pages)); !s)
      return s.error();
    if (!seen_urls_.insert(url).second)
      return make_error(ExitCode::data, where(number) + ": next link " + url + " repeats an earlier page (a loop)");
    auto p = fetch(url, number);
    if (!p) return p.error();
    bool stop = false;
    if (auto s = take(p.value(), number, stop); !s) return s.error();
    if (p->gone || stop) return std::optional<std::string>{};
    return p->next;
  }

  // Counts the page and hands it to the sink. REQUIRES: called by one thread at a time.
  Status take(const Fetched& page, long long number, bool& stop) {
    if (page.gone) {
      stats_.unclean.push_back("page " + std::to_string(number) +
                               " no longer exists (the list shrank while it was read)");
      return ok_status();
    }
    stats_.pages++;
    if (!page.page) stats_.unchanged_pages++;
    if (page.count != count_)
      stats_.unclean.push_back("count changed from " + std::to_string(count_) + " to " + std::to_string(page.count) +
                               " at page " + std::to_string(number));
    stats_.fetched += page.objects;
    auto taken = sink_.take(number, page.hash, page.page ? &*page.page : nullptr, page.count, page.next);
    if (!taken) return taken.error();
    received_ += page.objects - static_cast<long long>(taken->repeats.size());
    for (const auto& id : taken->repeats)
      stats_.unclean.push_back(std::string(listing_.resource->singular) + " " + id + " was listed twice (page drift)");
    if (taken->stop) {
      stop = true;
      stop_ = true;
    }
    return ok_status();
  }

  Remote& api_;
  const Listing& listing_;
  int concurrency_;
  PageSink& sink_;
  long long count_ = 0, received_ = 0;
  bool stop_ = false;
  StreamStats stats_;
  std::set<std::string> seen_urls_;
};

}  // namespace

std::uint64_t body_hash(const std::string& body) { return XXH3_64bits(body.data(), body.size()); }

Result<StreamStats> stream_pages(Remote& api, const Listing& listing, int concurrency, PageSink& sink) {
  return Streamer(api, listing, concurrency, sink).run();
}

}  // namespace gigasync
