#pragma once
// The integrations endpoints, without HTTP plumbing: a request in, a response out.
// Callers hold the lock that guards State.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Everything the endpoints read and change.
struct State {
  State(unsigned data_seed, int page_cap) : gen(data_seed), max_page_size(page_cap) {}
  Store store;
  Generator gen;
  IdempotencyStore idempotency;
  std::string origin;  // "http://host:port", set once the port is known
  int max_page_size;
  std::vector<std::string> extra_fields;  // Options::extra_fields
};

// Answers a request for a /v2/ path that ends in '/'. `link_origin` is where next/previous
// links point ("http://host:port", no trailing slash).
ApiResponse handle_api(State& s, const ApiRequest& r, std::string_view link_origin);

// The objects of one type (all when nullopt), in creation order.
std::vector<const Record*> filtered(const Store& store, std::optional<int> type);

// Write endpoints (api_write.cpp). `current` is the stored object. An update whose body
// carries another `id` renames it: same place in creation order, served under the new id only,
// its stored logo URL unchanged.
ApiResponse create_integration(State& s, const ApiRequest& r);
ApiResponse update_integration(State& s, const ApiRequest& r, const Record& current, bool partial);
ApiResponse delete_integration(State& s, const Record& current);

}  // namespace gigasync::sandbox
