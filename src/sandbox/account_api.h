#pragma once
// The account's endpoints under /v2/ (employees, payouts, payruns, invoices, webhooks), each
// acting for the integration named by the Integration-ID header. Where the documents are silent
// the sandbox answers as a Django REST Framework server would; the choices are noted at each
// route. Callers hold the state lock.
#include <string>
#include <vector>

#include "sandbox/account.h"
#include "sandbox/account_moves.h"
#include "sandbox/api.h"
#include "sandbox/paging.h"

namespace gigasync::sandbox {

// One request for one integration's objects.
struct AccountCall {
  State& s;
  const ApiRequest& r;
  const std::string& integration_id;
  Account& account;
  std::string link_origin;          // where next/previous point ("http://host:port")
  std::vector<QueryParam> query;    // r.query parsed
  AccountScope scope() { return AccountScope{s, integration_id, account}; }
  RenderContext ctx() const { return {account, s.accounts.strings(), s.origin}; }
  std::string link_base(const char* resource) const { return link_origin + "/v2/" + resource + "/"; }
  bool reading() const { return r.method == "GET" || r.method == "HEAD"; }
};

// `id` is "" for the list; `action` is "" or the word after the id (close, issue).
ApiResponse employees_route(AccountCall& c, const std::string& id, const std::string& action);
ApiResponse payouts_route(AccountCall& c, const std::string& id, const std::string& action);
ApiResponse payruns_route(AccountCall& c, const std::string& id, const std::string& action);
ApiResponse invoices_route(AccountCall& c, const std::string& id, const std::string& action);
ApiResponse webhooks_route(AccountCall& c, const std::string& id, const std::string& action);

// 404 {"detail":"Not found."}
ApiResponse not_found();
// 400 {"<field>": ["<message>"]}
ApiResponse field_error(const char* field, const std::string& message);
// 201/200 with the object, marked applied.
ApiResponse written(int status, std::string body);

}  // namespace gigasync::sandbox
