#pragma once
// `gigasync sandbox`: a local Gigapay-compatible integrations API on loopback, with
// scriptable faults. Used by the tests, by `gigasync demo`, and by people trying gigasync.
//
// Pipeline for every request under /v2/ (in this order):
//   latency -> gateway error (502/503 HTML) -> token (401) -> 307 for a missing trailing
//   slash -> forbid (403) -> throttle (429) -> Idempotency-Key replay -> the endpoint ->
//   drift -> truncate (GET) -> lost response (writes).
// Requests under /_sandbox/ (admin) need the token but see no faults and are not counted.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gigasync/error.h"

namespace CLI {
class App;
}

namespace gigasync::sandbox {

// Faults injected into /v2/ requests. Fractions are drawn from an RNG seeded with fault_seed.
struct Faults {
  int latency_ms = 0;             // added to every request
  int rate_limit_every = 0;       // every Nth request (all API requests) answered 429 with Retry-After
  int retry_after_s = 1;          // the Retry-After value, seconds
  double error_rate = 0;          // fraction answered 502 or 503 with an HTML body, before anything
  double lose_response_rate = 0;  // fraction of writes applied, then the connection dropped unanswered
  double truncate_rate = 0;       // fraction of GET 200 responses whose JSON body is cut in half
  int drift_every = 0;            // every Nth list page read: after answering, delete one type-3
                                  // object on an earlier page (page 1: on the page served) and
                                  // create one new object at the end
  std::string foreign_next;       // if set (e.g. "http://127.0.0.2:9/"), next/previous use this origin
  bool forbid = false;            // every API request with a valid token answered 403 (IP allow-list)
  unsigned fault_seed = 1;        // RNG seed for the fractions
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 8700;                       // 0 = ephemeral
  int seed = 0;                          // how many integrations to generate at construction
  unsigned data_seed = 42;               // RNG seed for generated data and generated ids
  int max_page_size = 100;               // server-side cap on page_size, applied silently
  std::string token = "sandbox-token";   // the one accepted token
  std::string request_log;               // if set, a file getting one JSON line per API request
  // Fields the documents do not describe, served on every object as a writable string with the
  // default "" (a PUT or POST without it resets it): how an API that grows a field looks.
  std::vector<std::string> extra_fields;
  Faults faults;
};

// One /v2/ request as the sandbox handled it. Never holds the Authorization header or token.
struct RequestRecord {
  long long seq = 0;                           // 1, 2, ... in order of arrival
  std::string method;
  std::string path;                            // decoded path
  std::string query;                           // raw query string without '?', "" if none
  std::optional<std::string> idempotency_key;
  int status = 0;                              // the status answered (or, for a lost response, the one not sent)
  bool replayed = false;                       // answered from the Idempotency-Key store
  bool applied = false;                        // the request changed the objects
  std::string fault;                           // "" or one of: error, forbid, rate_limit,
                                               // truncate, drift, lose_response
};

// The sandbox HTTP server. All methods are thread-safe.
class Server {
 public:
  // Generates Options::seed integrations at once (deterministic for Options::data_seed).
  explicit Server(Options o);
  ~Server();  // stops if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (Options::port; 0 = ephemeral), opens the request log, and serves on background
  // threads. Returns the bound port, or ExitCode::unavailable when it cannot bind,
  // ExitCode::cant_create when the request log cannot be opened.
  // REQUIRES: not running.
  Result<int> start();
  // Stops serving and joins the threads. No-op when not running.
  void stop();

  int port() const;              // the bound port (0 before start)
  std::string origin() const;    // "http://HOST:PORT"
  std::string base_url() const;  // "http://HOST:PORT/v2/"

  // Replaces the faults; takes effect on the next request. Reseeds the fault RNG with
  // f.fault_seed and restarts the rate_limit_every and drift_every counts.
  void set_faults(const Faults& f);
  Faults faults() const;

  std::size_t object_count() const;
  std::string objects_json() const;  // JSON array of every object, in creation order
  // Stores a full object given as JSON text (its "id" required, "type" an integer) as-is,
  // bypassing the type rules: a change made elsewhere. Creates or overwrites (in place).
  // Returns ExitCode::data with a message when the text is not such an object.
  Status put_object(const std::string& json);
  // Removes any object. Returns false when there was none with that id.
  bool remove_object(const std::string& id);

  std::vector<RequestRecord> requests() const;  // the request log, in order of completion
  std::string requests_json() const;            // the same as a JSON array

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds the `sandbox` flags to `sub`, writing into `o` and `token_file`: --host, --port,
// --seed, --data-seed, --max-page-size, --token-file, --request-log, and the fault flags
// --latency-ms, --rate-limit-every, --retry-after, --error-rate, --lose-response-rate,
// --truncate-rate, --drift-every, --foreign-next, --forbid, --fault-seed.
// The token itself is never a flag (secrets stay off command lines).
void add_cli_options(CLI::App& sub, Options& o, std::string& token_file);

// Runs in the foreground. The token comes from token_file when not empty, else from
// $GIGASYNC_SANDBOX_TOKEN, else o.token. Prints exactly one line to stdout:
//   "gigasync sandbox: listening on http://127.0.0.1:PORT/v2/ (N integrations)"
// then serves until SIGINT or SIGTERM and returns 0. Returns 69 (message on stderr) when it
// cannot bind, 78 when the token file cannot be read or is empty, 73 when the request log
// cannot be opened.
int run_foreground(Options o, const std::string& token_file);

}  // namespace gigasync::sandbox
