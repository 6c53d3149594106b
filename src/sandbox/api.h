#pragma once
// The integrations endpoints, without HTTP plumbing: a request in, a response out.
// Callers hold the lock that guards State.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/account.h"
#include "sandbox/clock.h"
#include "sandbox/idempotency.h"
#include "sandbox/record.h"
#include "sandbox/seed.h"

namespace gigasync::sandbox {

struct ApiRequest {
  std::string method;
  std::string path;   // decoded, with its trailing slash
  std::string query;  // raw, without '?'
  std::string body;
  std::string content_type;
  std::optional<std::string> integration_id;  // the Integration-ID header, when sent
};

// The slice of the (filtered) list that a list request answered.
struct ServedPage {
  std::optional<int> type;
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // "" = no body
  std::vector<std::pair<std::string, std::string>> headers;
  bool applied = false;             // the objects changed
  std::optional<ServedPage> page;   // set when a list page was answered
};

ApiResponse json_response(int status, std::string body);
ApiResponse empty_response(int status);
// 405 {"detail": "Method \"X\" not allowed."} with an Allow header.
ApiResponse not_allowed(const std::string& method, const char* allow);
// DRF's answer to OPTIONS: the view's name and what it renders and parses, with an Allow header.
ApiResponse options_response(const char* name, const char* allow);
// Parses a write's body into `doc`: an empty body is {}. nullopt = parsed into an object (or,
// with allow_array, an array); otherwise the 415 or 400 to answer, with DRF's messages.
std::optional<ApiResponse> parse_body(const ApiRequest& r, rapidjson::Document& doc, bool allow_array = false);

class WebhookDispatcher;

// Everything the endpoints read and change.
struct State {
  State(unsigned data_seed, int page_cap, std::int64_t clock_offset_us = 0)
      : gen(data_seed), max_page_size(page_cap), clock(clock_offset_us) {}
  Store store;
  Generator gen;
  IdempotencyStore idempotency;
  std::string origin;  // "http://host:port", set once the port is known
  int max_page_size;
  std::vector<std::string> extra_fields;  // Options::extra_fields
  AccountStore accounts;                  // every integration's other objects
  SandboxClock clock;                     // every timestamp written (thread-safe itself)
  WebhookDispatcher* webhooks = nullptr;  // where events go; nullptr = nowhere
};

// An integration got a new id or is gone: its account's objects follow it.
void integration_renamed(State& s, const std::string& old_id, const std::string& new_id);
void integration_removed(State& s, const std::string& id);

// Answers a request for a /v2/ path that ends in '/'. `link_origin` is where next/previous
// links point ("http://host:port", no trailing slash).
ApiResponse handle_api(State& s, const ApiRequest& r, std::string_view link_origin);
// The account's endpoints (/v2/employees/, payouts, payruns, invoices, webhooks): the answer, or
// nullopt when `r.path` is none of them (account_api.cpp).
std::optional<ApiResponse> handle_account_api(State& s, const ApiRequest& r, std::string_view link_origin);
// true for a path under one of the account's endpoints.
bool is_account_path(std::string_view path);

// The objects of one type (all when nullopt), in creation order.
std::vector<const Record*> filtered(const Store& store, std::optional<int> type);

// Write endpoints (api_write.cpp). `current` is the stored object. An update whose body
// carries another `id` renames it: same place in creation order, served under the new id only,
// its stored logo URL unchanged.
ApiResponse create_integration(State& s, const ApiRequest& r);
ApiResponse update_integration(State& s, const ApiRequest& r, const Record& current, bool partial);
ApiResponse delete_integration(State& s, const Record& current);

}  // namespace gigasync::sandbox
