#include "sync/fetch.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>
#include <set>

#include "util/parallel.h"

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

// Most pages fetched at once from page 1's count (memory is reserved for each before they are read).
constexpr long long kMaxParallelPages = 100'000;

class Fetcher {
 public:
  Fetcher(ApiClient& api, int concurrency) : api_(api), concurrency_(concurrency) {}

  Result<RemoteSnapshot> run() {
    auto first = api_.get_page(api_.first_page_url(), "page 1");
    if (!first) return first.error();
    count_ = first->count;
    add_page(first.value(), 1);
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
    if (static_cast<long long>(snap_.objects.size()) != count_ && snap_.clean())
      snap_.unclean.push_back("received " + std::to_string(snap_.objects.size()) + " objects but count is " +
                              std::to_string(count_));
    return std::move(snap_);
  }

 private:
  // Pages 2..N at once, N from page 1's count and size. Returns the `next` of the last one.
  Result<std::optional<std::string>> fetch_parallel(const std::string& second_url, const json::IntegrationPage& first) {
    if (auto s = api_.check_origin(second_url, "page 1's next link"); !s) return s.error();
    long long per_page = static_cast<long long>(first.results.size());
    long long total = (first.count + per_page - 1) / per_page;
    // Slots are reserved per page from `count` (at most json::kMaxCount): past kMaxParallelPages
    // pages, follow `next` one by one instead, which holds only what was really received.
    if (total < 2 || total - 1 > kMaxParallelPages) return std::optional<std::string>(second_url);
    std::vector<std::optional<json::IntegrationPage>> pages(static_cast<size_t>(total - 1));
    std::optional<Error> failure;
    std::mutex mu;
    parallel_for(pages.size(), concurrency_, [&](size_t i) {
      long long number = static_cast<long long>(i) + 2;
      auto p = api_.get_page(with_page(second_url, number), "page " + std::to_string(number));
      std::lock_guard lock(mu);
      if (!p) {
        if (!failure || p.error().code == ExitCode::auth) failure = p.error();
        return false;
      }
      pages[i] = std::move(p.value());
      return true;
    });
    if (failure) return *failure;
    std::optional<std::string> next;
    for (size_t i = 0; i < pages.size(); ++i) {
      long long number = static_cast<long long>(i) + 2;
      add_page(*pages[i], number);
      next = pages[i]->next;
      if (pages[i]->gone) break;
      bool last = i + 1 == pages.size();
      if (!last && (!next || page_number(*next) != number + 1)) {
        snap_.unclean.push_back("page " + std::to_string(number) + "'s next link does not lead to page " +
                                std::to_string(number + 1));
      }
      if (next) {
        if (auto s = api_.check_origin(*next, "page " + std::to_string(number) + "'s next link"); !s) return s.error();
      }
    }
    if (next && page_number(*next) && *page_number(*next) <= total) return std::optional<std::string>{};
    return next;  // more pages appeared while we read: continue one by one
  }

  Result<std::optional<std::string>> fetch_one(const std::string& url) {
    std::string where = "page " + std::to_string(snap_.pages + 1);
    if (auto s = api_.check_origin(url, "the next link after page " + std::to_string(snap_.pages)); !s)
      return s.error();
    if (!seen_urls_.insert(url).second)
      return make_error(ExitCode::data, where + ": next link " + url + " repeats an earlier page (a loop)");
    auto p = api_.get_page(url, where);
    if (!p) return p.error();
    add_page(p.value(), snap_.pages + 1);
    return p->next;
  }

  void add_page(json::IntegrationPage& page, long long number) {
    if (page.gone) {
      snap_.unclean.push_back("page " + std::to_string(number) + " no longer exists (the list shrank while it was read)");
      page.next.reset();
      return;
    }
    snap_.pages++;
    if (page.count != count_) {
      snap_.unclean.push_back("count changed from " + std::to_string(count_) + " to " + std::to_string(page.count) +
                              " at page " + std::to_string(number));
    }
    for (auto& o : page.results) {
      snap_.fetched++;
      auto [it, fresh] = snap_.index.emplace(o.id, snap_.objects.size());
      if (fresh) {
        snap_.objects.push_back(std::move(o));
      } else {
        snap_.unclean.push_back("integration " + o.id + " was listed twice (page drift)");
        snap_.objects[it->second] = std::move(o);
      }
    }
  }

  ApiClient& api_;
  int concurrency_;
  long long count_ = 0;
  RemoteSnapshot snap_;
  std::set<std::string> seen_urls_;
};

}  // namespace

Result<RemoteSnapshot> fetch_all(ApiClient& api, int concurrency) { return Fetcher(api, concurrency).run(); }

}  // namespace gigasync
