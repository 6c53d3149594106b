#include "sandbox/api.h"

#include <algorithm>
#include <charconv>

#include "sandbox/json_text.h"
#include "sandbox/paging.h"

namespace gigasync::sandbox {
namespace {

constexpr std::string_view kListPath = "/v2/integrations/";
constexpr const char* kListAllow = "GET, POST, HEAD, OPTIONS";
constexpr const char* kDetailAllow = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";

// The type filter: absent or empty = none; not an integer = 400.
bool parse_type(const std::vector<QueryParam>& q, std::optional<int>& type) {
  auto raw = query_value(q, "type");
  if (!raw || raw->empty()) return true;
  int v = 0;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || end != raw->data() + raw->size()) return false;
  type = v;
  return true;
}

std::string link_or_null(bool present, const std::string& base, const std::vector<QueryParam>& q,
                         std::size_t page) {
  return present ? quote(page_link(base, q, page)) : std::string("null");
}

ApiResponse list_page(State& s, const ApiRequest& r, std::string_view link_origin) {
  auto q = parse_query(r.query);
  std::optional<int> type;
  if (!parse_type(q, type)) return json_response(400, "{\"type\":[\"Enter a number.\"]}");
  auto view = filtered(s.store, type);
  auto size = static_cast<std::size_t>(page_size(q, s.max_page_size));
  std::size_t pages = std::max<std::size_t>(1, (view.size() + size - 1) / size);
  auto page = page_number(q, pages);
  if (!page || *page > pages) return json_response(404, detail_json("Invalid page."));
  std::size_t begin = (*page - 1) * size, end = std::min(begin + size, view.size());
  std::string base = std::string(link_origin) + std::string(kListPath);
  std::string body = "{\"count\":" + std::to_string(view.size()) + ",\"next\":" +
                     link_or_null(*page < pages, base, q, *page + 1) + ",\"previous\":" +
                     link_or_null(*page > 1, base, q, *page - 1) + ",\"results\":[";
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) body += ',';
    append_json(body, *view[i]);
  }
  ApiResponse resp = json_response(200, body + "]}");
  resp.page = ServedPage{type, begin, end};
  return resp;
}

ApiResponse list_route(State& s, const ApiRequest& r, std::string_view link_origin) {
  if (r.method == "GET" || r.method == "HEAD") return list_page(s, r, link_origin);
  if (r.method == "POST") return create_integration(s, r);
  if (r.method == "OPTIONS") return options_response("Integration List", kListAllow);
  return not_allowed(r.method, kListAllow);
}

ApiResponse detail_route(State& s, const ApiRequest& r, const std::string& id) {
  const std::string& m = r.method;
  if (m == "OPTIONS") return options_response("Integration Instance", kDetailAllow);
  if (m != "GET" && m != "HEAD" && m != "PUT" && m != "PATCH" && m != "DELETE") return not_allowed(m, kDetailAllow);
  const Record* current = s.store.find(id);
  if (!current) return json_response(404, detail_json("Not found."));
  if (m == "PUT" || m == "PATCH") return update_integration(s, r, *current, m == "PATCH");
  if (m == "DELETE") return delete_integration(s, *current);
  return json_response(200, to_json(*current));
}

}  // namespace

ApiResponse options_response(const char* name, const char* allow) {
  ApiResponse r = json_response(200, std::string("{\"name\":") + quote(name) +
                                         ",\"description\":\"\",\"renders\":[\"application/json\"],"
                                         "\"parses\":[\"application/json\"]}");
  r.headers.emplace_back("Allow", allow);
  return r;
}

ApiResponse not_allowed(const std::string& method, const char* allow) {
  ApiResponse r = json_response(405, detail_json("Method \"" + method + "\" not allowed."));
  r.headers.emplace_back("Allow", allow);
  return r;
}

ApiResponse json_response(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse empty_response(int status) {
  ApiResponse r;
  r.status = status;
  r.content_type.clear();
  return r;
}

void integration_renamed(State& s, const std::string& old_id, const std::string& new_id) {
  s.accounts.rename(old_id, new_id);
}

void integration_removed(State& s, const std::string& id) { s.accounts.erase(id); }

std::vector<const Record*> filtered(const Store& store, std::optional<int> type) {
  std::vector<const Record*> out;
  out.reserve(store.size());
  for (const Record& r : store.all()) {
    if (!type || r.type == *type) out.push_back(&r);
  }
  return out;
}

ApiResponse handle_api(State& s, const ApiRequest& r, std::string_view link_origin) {
  if (r.path == kListPath) return list_route(s, r, link_origin);
  if (r.path.starts_with(kListPath)) {
    std::string id = r.path.substr(kListPath.size(), r.path.size() - kListPath.size() - 1);
    if (!id.empty() && id.find('/') == std::string::npos) return detail_route(s, r, id);
  }
  if (auto answered = handle_account_api(s, r, link_origin)) return std::move(*answered);
  return json_response(404, detail_json("Not found."));
}

}  // namespace gigasync::sandbox
