// Routing of /v2/<resource>/[<id>/[<action>/]] and the Integration-ID header.
//
// Integration-ID (the documents mark it required; what a request without it gets is not
// documented): missing or empty -> 400 {"detail": "Integration-ID header is required."};
// naming no integration -> 404 {"detail": "Integration not found."}. Checked before the method,
// as DRF checks authentication and permissions before dispatching to the handler.
#include <array>

#include "sandbox/account_api.h"
#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

using Route = ApiResponse (*)(AccountCall&, const std::string&, const std::string&);

struct Resource {
  std::string_view name;
  Route route;
};

constexpr std::array<Resource, 5> kResources = {{{"employees", employees_route},
                                                 {"payouts", payouts_route},
                                                 {"payruns", payruns_route},
                                                 {"invoices", invoices_route},
                                                 {"webhooks", webhooks_route}}};

struct Parsed {
  const Resource* resource = nullptr;
  std::string id, action;
  bool valid = false;  // at most two segments after the resource, none empty
};

Parsed parse_path(std::string_view path) {
  Parsed p;
  if (!path.starts_with("/v2/")) return p;
  std::string_view rest = path.substr(4);
  for (const auto& r : kResources) {
    if (rest.starts_with(r.name) && rest.size() > r.name.size() && rest[r.name.size()] == '/') {
      p.resource = &r;
      rest.remove_prefix(r.name.size() + 1);
      break;
    }
  }
  if (!p.resource) return p;
  std::vector<std::string> segments;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return p;
    segments.emplace_back(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
  }
  if (segments.size() > 2) return p;
  if (!segments.empty()) p.id = segments[0];
  if (segments.size() == 2) p.action = segments[1];
  p.valid = true;
  return p;
}

}  // namespace

bool is_account_path(std::string_view path) { return parse_path(path).resource != nullptr; }

ApiResponse not_found() { return json_response(404, detail_json("Not found.")); }

ApiResponse field_error(const char* field, const std::string& message) {
  FieldErrors e;
  e.add(field, message);
  return json_response(400, e.to_json());
}

ApiResponse written(int status, std::string body) {
  ApiResponse r = json_response(status, std::move(body));
  r.applied = true;
  return r;
}

std::optional<ApiResponse> handle_account_api(State& s, const ApiRequest& r, std::string_view link_origin) {
  Parsed p = parse_path(r.path);
  if (!p.resource) return std::nullopt;
  if (!r.integration_id || r.integration_id->empty()) {
    return json_response(400, detail_json("Integration-ID header is required."));
  }
  if (!s.store.find(*r.integration_id)) return json_response(404, detail_json("Integration not found."));
  if (!p.valid) return not_found();
  AccountCall call{s, r, *r.integration_id, s.accounts.at(*r.integration_id), std::string(link_origin),
                   parse_query(r.query)};
  return p.resource->route(call, p.id, p.action);
}

}  // namespace gigasync::sandbox
