#include "sandbox/account_list.h"

#include <algorithm>

namespace gigasync::sandbox {

std::optional<bool> query_bool(const std::vector<QueryParam>& q, std::string_view name) {
  auto v = query_value(q, name);
  if (!v) return std::nullopt;
  std::string lower = *v;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1") return true;
  if (lower == "false" || lower == "0") return false;
  return std::nullopt;
}

std::optional<UnixMicros> query_time(const std::string& value, const std::string& name, FieldErrors& errs) {
  auto t = parse_iso8601(value);
  if (!t) errs.add(name, "Enter a valid date/time.");
  return t;
}

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < out.size()) {
      auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) out[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  return out;
}

std::vector<std::string> search_terms(const std::vector<QueryParam>& q) {
  std::vector<std::string> terms;
  auto v = query_value(q, "search");
  if (!v) return terms;
  std::string folded = fold_case(*v);
  std::size_t i = 0;
  while (i < folded.size()) {
    auto start = folded.find_first_not_of(" \t\r\n,", i);
    if (start == std::string::npos) break;
    auto stop = folded.find_first_of(" \t\r\n,", start);
    terms.push_back(folded.substr(start, stop == std::string::npos ? std::string::npos : stop - start));
    i = stop == std::string::npos ? folded.size() : stop;
  }
  return terms;
}

bool search_matches(const std::vector<std::string>& terms, const std::vector<std::string>& folded_fields) {
  for (const auto& term : terms) {
    bool found = std::any_of(folded_fields.begin(), folded_fields.end(),
                             [&](const std::string& field) { return field.find(term) != std::string::npos; });
    if (!found) return false;
  }
  return true;
}

std::optional<PageAsk> page_ask(const std::vector<QueryParam>& q, int max_page_size) {
  PageAsk ask;
  ask.size = static_cast<std::size_t>(page_size(q, max_page_size));
  auto raw = query_value(q, "page");
  if (raw && *raw == "last") {
    ask.last = true;
    return ask;
  }
  auto page = page_number(q, 1);
  if (!page) return std::nullopt;
  ask.page = *page;
  return ask;
}

ApiResponse page_response(const std::vector<QueryParam>& q, const std::string& link_base, std::size_t count,
                          std::size_t page, std::size_t size, const std::string& results) {
  std::size_t pages = std::max<std::size_t>(1, (count + size - 1) / size);
  if (page > pages) return json_response(404, detail_json("Invalid page."));
  auto link = [&](bool present, std::size_t to) {
    return present ? quote(page_link(link_base, q, to)) : std::string("null");
  };
  return json_response(200, "{\"count\":" + std::to_string(count) + ",\"next\":" + link(page < pages, page + 1) +
                                ",\"previous\":" + link(page > 1, page - 1) + ",\"results\":[" + results + "]}");
}

}  // namespace gigasync::sandbox
