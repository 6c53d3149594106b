#pragma once
// Server::Impl: the state, the fault schedule, the request log and the HTTP server.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "gigasync/sandbox.h"
#include "sandbox/api.h"
#include "sandbox/faults.h"
#include "sandbox/request_log.h"
#include "sandbox/webhook_delivery.h"

namespace gigasync::sandbox {

struct Server::Impl {
  explicit Impl(Options o);

  Options opts;
  mutable std::mutex mu;  // guards state
  State state;
  FaultState faults;
  WebhookDispatcher webhooks;  // after state and faults: stopped before they go
  RequestLog log;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  int port = 0;

  void install_routes(httplib::Server& http_server);
  void handle(const httplib::Request& req, httplib::Response& res);

  // pipeline.cpp: a request for anything but /_sandbox/.
  void serve_api(const httplib::Request& req, httplib::Response& res);
  ApiResponse answer(const httplib::Request& req, const FaultDecision& d, RequestRecord& rec, bool& reached);
  ApiResponse endpoint(const httplib::Request& req, const FaultDecision& d, RequestRecord& rec);

  // admin.cpp: a request for /_sandbox/ (token checked already).
  ApiResponse serve_admin(const ApiRequest& r);
  ApiResponse admin_faults(const ApiRequest& r);
  ApiResponse admin_integrations(const ApiRequest& r, const std::string& id);
  ApiResponse admin_clock(const ApiRequest& r);
  ApiResponse admin_deliveries(const ApiRequest& r);
};

// The clock offset for Options::clock_start ("" or not a time: 0, the wall clock).
std::int64_t clock_offset_for(const std::string& clock_start);

// "http://host:port" for a bound host (0.0.0.0 -> 127.0.0.1, IPv6 in brackets).
std::string origin_for(const std::string& host, int port);
// The request as the endpoints see it: method, decoded path, raw query, body, Content-Type.
ApiRequest to_api_request(const httplib::Request& req);
// 401 with DRF's message for a missing or wrong token; nullopt when the token is right.
std::optional<ApiResponse> check_token(const httplib::Request& req, const std::string& token);
void write_response(const ApiResponse& a, httplib::Response& res);

// The object an admin PUT stores as-is: `id` from the URL (a body "id" must match),
// "type" an integer, every other field's JSON value as given (absent: null, metadata {}).
Record record_as_is(const rapidjson::Value& body, const std::string& id, FieldErrors& errors);
// Every object has the `--extra-field` fields: those the body left out get their default "".
void add_missing_extras(Record& r, const std::vector<std::string>& extra_fields);

}  // namespace gigasync::sandbox
