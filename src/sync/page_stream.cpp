#include "sync/page_stream.h"

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

class Streamer {
 public:
  Streamer(ApiClient& api, int concurrency, const PageSink& sink) : api_(api), concurrency_(concurrency), sink_(sink) {}

  Result<StreamStats> run() {
    auto first = api_.get_page(api_.first_page_url(), "page 1");
    if (!first) return first.error();
    count_ = first->count;
    if (auto s = take(first.value(), 1); !s) return s.error();
    std::optional<std::string> next = first->next;
    if (next && concurrency_ > 1 && !first->results.empty() && page_number(*next) == 2) {
      auto tail = fetch_parallel(*next, first.value());
      if (!tail) return tail.error();
      next = tail.value();
    }
    while (next) {
      auto more = fetch_one(*next);
      if (!more) return more.error();
      next = more.value();
    }
    if (received_ != count_ && stats_.clean())
      stats_.unclean.push_back("received " + std::to_string(received_) + " objects but count is " +
                               std::to_string(count_));
    return std::move(stats_);
  }

 private:
  // Pages 2..N at once, N from page 1's count and size, each handed to the sink as it arrives.
  // Returns the `next` of page N (more pages appeared while we read: continue one by one).
  Result<std::optional<std::string>> fetch_parallel(const std::string& second_url, const json::IntegrationPage& first) {
    if (auto s = api_.check_origin(second_url, "page 1's next link"); !s) return s.error();
    long long per_page = static_cast<long long>(first.results.size());
    long long total = (first.count + per_page - 1) / per_page;
    // `count` is the server's claim: past kMaxParallelPages pages, follow `next` one by one.
    if (total < 2 || total - 1 > kMaxParallelPages) return std::optional<std::string>(second_url);
    std::optional<Error> failure;
    std::optional<std::string> last_next;
    bool shrank = false;
    std::mutex mu;
    parallel_for(static_cast<size_t>(total - 1), concurrency_, [&](size_t i) {
      long long number = static_cast<long long>(i) + 2;
      auto p = api_.get_page(with_page(second_url, number), "page " + std::to_string(number));
      std::lock_guard lock(mu);
      if (failure) return false;
      if (!p) {
        failure = p.error();
        return false;
      }
      if (auto s = take(p.value(), number); !s) {
        failure = s.error();
        return false;
      }
      if (p->gone) {
        shrank = true;
        return true;
      }
      auto next = p->next;
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
    std::string where = "page " + std::to_string(number);
    if (auto s = api_.check_origin(url, "the next link after page " + std::to_string(stats_.pages)); !s)
      return s.error();
    if (!seen_urls_.insert(url).second)
      return make_error(ExitCode::data, where + ": next link " + url + " repeats an earlier page (a loop)");
    auto p = api_.get_page(url, where);
    if (!p) return p.error();
    if (auto s = take(p.value(), number); !s) return s.error();
    if (p->gone) return std::optional<std::string>{};
    return p->next;
  }

  // Counts the page and hands it to the sink. REQUIRES: called by one thread at a time.
  Status take(const json::IntegrationPage& page, long long number) {
    if (page.gone) {
      stats_.unclean.push_back("page " + std::to_string(number) +
                               " no longer exists (the list shrank while it was read)");
      return ok_status();
    }
    stats_.pages++;
    if (page.count != count_)
      stats_.unclean.push_back("count changed from " + std::to_string(count_) + " to " + std::to_string(page.count) +
                               " at page " + std::to_string(number));
    stats_.fetched += static_cast<long long>(page.results.size());
    auto repeats = sink_(page, number);
    if (!repeats) return repeats.error();
    received_ += static_cast<long long>(page.results.size() - repeats->size());
    for (const auto& id : repeats.value())
      stats_.unclean.push_back("integration " + id + " was listed twice (page drift)");
    return ok_status();
  }

  ApiClient& api_;
  int concurrency_;
  const PageSink& sink_;
  long long count_ = 0, received_ = 0;
  StreamStats stats_;
  std::set<std::string> seen_urls_;
};

}  // namespace

Result<StreamStats> stream_pages(ApiClient& api, int concurrency, const PageSink& sink) {
  return Streamer(api, concurrency, sink).run();
}

}  // namespace gigasync
