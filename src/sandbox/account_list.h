#pragma once
// Lists of the account's objects: DRF's page-number paging over a filtered view, and the
// filters django-filter would build from the documents:
//   {field}_after / {field}_before   ISO 8601 (a plain date is midnight UTC); BOTH BOUNDS ARE
//                                    INCLUDED (django-filter's DateTimeFromToRangeFilter, whose
//                                    suffixes these are, filters with __gte / __lte / __range).
//                                    A value that is not a date/time: 400 "Enter a valid date/time."
//   {field}_null=true|false          django-filter's BooleanWidget: true/false/1/0 in any case;
//                                    any other value leaves the filter off (no error)
//   search                           DRF's SearchFilter: terms split on spaces and commas, every
//                                    term found (case-insensitively) in at least one searched field
// Filters combine with AND. Serving a page scans the table once and renders only that page.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/account.h"
#include "sandbox/account_json.h"
#include "sandbox/api.h"
#include "sandbox/json_text.h"
#include "sandbox/paging.h"

namespace gigasync::sandbox {

// One timestamp field a list can be filtered on.
template <class T>
struct TimeField {
  const char* name;
  UnixMicros T::*member;
};

// The bounds asked for on one timestamp field.
template <class T>
struct TimeFilter {
  UnixMicros T::*member = nullptr;
  std::optional<UnixMicros> after, before;
  std::optional<bool> is_null;
  bool matches(const T& row) const {
    UnixMicros t = row.*member;
    if (is_null && (t == kNever) != *is_null) return false;
    if ((after || before) && t == kNever) return false;
    return (!after || t >= *after) && (!before || t <= *before);
  }
};

// The decoded value of a boolean query parameter (BooleanWidget), nullopt when absent or not one.
std::optional<bool> query_bool(const std::vector<QueryParam>& q, std::string_view name);
// An ISO 8601 query value; nullopt after adding "Enter a valid date/time." when it is not one.
std::optional<UnixMicros> query_time(const std::string& value, const std::string& name, FieldErrors& errs);

template <class T, std::size_t N>
std::vector<TimeFilter<T>> time_filters(const std::vector<QueryParam>& q, const TimeField<T> (&fields)[N],
                                        FieldErrors& errs) {
  std::vector<TimeFilter<T>> out;
  for (const auto& f : fields) {
    TimeFilter<T> tf;
    tf.member = f.member;
    std::string base = f.name;
    if (auto v = query_value(q, base + "_after"); v && !v->empty()) tf.after = query_time(*v, base + "_after", errs);
    if (auto v = query_value(q, base + "_before"); v && !v->empty()) tf.before = query_time(*v, base + "_before", errs);
    tf.is_null = query_bool(q, base + "_null");
    if (tf.after || tf.before || tf.is_null) out.push_back(tf);
  }
  return out;
}

template <class T>
bool matches_all(const std::vector<TimeFilter<T>>& filters, const T& row) {
  for (const auto& f : filters) {
    if (!f.matches(row)) return false;
  }
  return true;
}

// Case folding for search: ASCII and the two-byte Latin-1 letters (Å, Ä, Ö, É, ...) lowered.
std::string fold_case(std::string_view s);
// The search terms of `search`, folded; empty when there is no search.
std::vector<std::string> search_terms(const std::vector<QueryParam>& q);
// true when every term is in at least one of the (folded) haystacks.
bool search_matches(const std::vector<std::string>& terms, const std::vector<std::string>& folded_fields);

// The page asked for. nullopt with `refused` set: 404 "Invalid page.".
struct PageAsk {
  std::size_t size = 25;
  std::size_t page = 1;
  bool last = false;
};
std::optional<PageAsk> page_ask(const std::vector<QueryParam>& q, int max_page_size);

// {"count":N,"next":...,"previous":...,"results":[<results>]} with absolute links built on
// `link_base` ("http://host:port/v2/payouts/"), or 404 Invalid page when page is past the end.
ApiResponse page_response(const std::vector<QueryParam>& q, const std::string& link_base, std::size_t count,
                          std::size_t page, std::size_t size, const std::string& results);

// Serves one page of the live objects of `table` that `match`, in creation order.
template <class T, class Match>
ApiResponse list_page(const Table<T>& table, Match&& match, void (*append)(std::string&, const T&, const RenderContext&),
                      const RenderContext& ctx, const std::vector<QueryParam>& q, const std::string& link_base,
                      int max_page_size) {
  auto ask = page_ask(q, max_page_size);
  if (!ask) return json_response(404, detail_json("Invalid page."));
  std::size_t count = 0;
  if (ask->last) {
    table.for_each([&](Serial, const T& row) { count += match(row) ? 1 : 0; });
    ask->page = std::max<std::size_t>(1, (count + ask->size - 1) / ask->size);
    count = 0;
  }
  const std::size_t begin = (ask->page - 1) * ask->size, end = begin + ask->size;
  std::string results;
  table.for_each([&](Serial, const T& row) {
    if (!match(row)) return;
    if (count >= begin && count < end) {
      if (!results.empty()) results += ',';
      append(results, row, ctx);
    }
    ++count;
  });
  return page_response(q, link_base, count, ask->page, ask->size, results);
}

// Serves one page of `serials` (already filtered and ordered).
template <class T>
ApiResponse list_serials(const Table<T>& table, const std::vector<Serial>& serials,
                         void (*append)(std::string&, const T&, const RenderContext&), const RenderContext& ctx,
                         const std::vector<QueryParam>& q, const std::string& link_base, int max_page_size) {
  auto ask = page_ask(q, max_page_size);
  if (!ask) return json_response(404, detail_json("Invalid page."));
  if (ask->last) ask->page = std::max<std::size_t>(1, (serials.size() + ask->size - 1) / ask->size);
  std::string results;
  const std::size_t begin = (ask->page - 1) * ask->size;
  for (std::size_t i = begin; i < serials.size() && i < begin + ask->size; ++i) {
    if (!results.empty()) results += ',';
    append(results, table.at(serials[i]), ctx);
  }
  return page_response(q, link_base, serials.size(), ask->page, ask->size, results);
}

}  // namespace gigasync::sandbox
