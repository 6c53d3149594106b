#pragma once
// The API as the sync engine sees it: one call (with its retries) and the URLs of a resource. The
// program uses ApiClient (libcurl, api_client.h); tests use a double that scripts any remote
// history, faults included (tests/support/fake_remote.h), behind the same interface.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gigasync/error.h"
#include "gigasync/json.h"
#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(http);

namespace gigasync {

struct ApiReply {
  long status = 0;
  std::string body;
  bool replayed = false;  // Idempotent-Replayed: true
};

struct ApiCall {
  std::string method = "GET";
  std::string url;
  std::string body;             // "" = none
  std::string idempotency_key;  // "" = none
  // The integration the call acts as (`Integration-ID`); "" = the configured api.integration_id.
  // A call that names one gets a 403 back as a reply (that integration's objects are refused),
  // not as the token's refusal.
  std::string integration_id;
};

// Checks a 2XX body; a failing body is retried like a 5XX and, when the retries run out, its Error
// (ExitCode::data) is returned.
using Validator = std::function<Status(const std::string& body)>;

class Remote {
 public:
  virtual ~Remote() = default;

  // One call with retries on 429, 5XX, timeouts and lost connections (the same body and
  // Idempotency-Key each time). Returns the final reply for 2XX and 4XX other than 401 (and 403
  // when the call names no integration). Errors: 401/403 → auth; 3XX → config; a URL on another
  // origin → data (nothing is sent); a body over api.max_body_bytes → data; retries exhausted or a
  // stop requested → unavailable.
  virtual Result<ApiReply> call(const ApiCall& c, const Validator& validate = {}) = 0;

  // The first page of `r`'s list with `query` (e.g. "created_at_after=..."; "" for all):
  // .../payouts/?QUERY&page=1&page_size=N.
  virtual std::string list_url(const Resource& r, std::string_view query = "") const = 0;
  virtual std::string item_url(const Resource& r, const std::string& id) const = 0;
  virtual std::string collection_url(const Resource& r) const = 0;
  // Error (data) unless `url` has the configured scheme, host and port; Error (config) when the
  // base URL itself does not parse.
  virtual Status check_origin(const std::string& url, const std::string& what) const = 0;
};

// GET one object of `r` under `integration_id` ("" for integrations) → the object, or nullopt on
// 404. A 4XX other than 404 is an Error(data) naming it; the answer must be the object asked for.
Result<std::optional<Record>> get_object(Remote& api, const Resource& r, const std::string& id,
                                         const std::string& integration_id = "");

// Percent-encodes a path segment (ids may hold any character).
std::string url_encode_segment(const std::string& s);

}  // namespace gigasync
