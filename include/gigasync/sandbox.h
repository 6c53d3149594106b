#pragma once
// `gigasync sandbox`: a local Gigapay-compatible API on loopback, with scriptable faults. Used by
// the tests, by `gigasync demo`, and by people trying gigasync. It is the tests' oracle: written
// from the public Gigapay documents and /work/shared/api-notes.md, never from gigasync's sync code.
//
// Pipeline for every request under /v2/ (in this order):
//   latency -> gateway error (502/503 HTML) -> token (401) -> 307 for a missing trailing
//   slash -> forbid (403) -> throttle (429) -> refused integration (403) -> Idempotency-Key
//   replay -> the endpoint -> drift -> truncate (GET) -> lost response (writes).
// Requests under /_sandbox/ (admin) need the token but see no faults and are not counted.
//
// Endpoints. /v2/integrations/ as before. Under the Integration-ID header (missing or empty:
// 400 {"detail"}; naming no integration: 404 {"detail"}; a refused integration: 403), with ids
// unique per integration only (the same id under two integrations is two objects):
//   /v2/employees/            GET (created_at, notified_at, claimed_at, verified_at filters;
//                             search: name, email, cellphone_number), POST; /ID/: GET, PUT,
//                             PATCH (stamps nothing, no event; `id` renames), DELETE (400 while
//                             it has payouts)
//   /v2/payouts/              GET (start_at, end_at, created_at, notified_at, accepted_at,
//                             canceled_at filters; employee, payrun, invoice ids; search:
//                             description and the employee's name, e-mail, phone), POST (one
//                             object or an array); /ID/: GET, DELETE (400 when its payrun is
//                             paid); PUT and PATCH 405
//   /v2/payruns/              GET (created_at, paid_at filters; open=true|false); /ID/: GET,
//                             PATCH (id, metadata), DELETE (400 when paid; takes its payouts and
//                             invoice along); /ID/close/: POST -> 204 (idempotent)
//   /v2/invoices/             GET (billing_type, status=proforma|invoice|paid, ordering=
//                             [-]created_at|paid_at|due_date); /ID/: GET; /ID/issue/: POST
//                             {"due_date"?} -> 200, 409 when issued already
//   /v2/webhooks/             GET, POST (url, events, secret_key default 32 random characters,
//                             metadata); /ID/: GET, PUT, PATCH, DELETE
// Lists page like integrations (page, page_size capped at max_page_size, absolute next and
// previous, count), in creation order; filters combine with AND. Timestamp filters
// {field}_after / {field}_before INCLUDE the bound (>=, <=: django-filter's range filter);
// {field}_null=true|false. Objects: every documented field in api-notes.md's order; money as
// "1314.20" (whole cents, never a double); times as 2026-12-04T10:32:38.118753Z from the
// sandbox's clock; booleans as JSON booleans; references as ids; then the --extra-field fields.
// A payout joins the open payrun of its currency, which is created with its invoice when there is
// none. A payout's `invoice` is its payrun's id (api-notes.md). Each choice made where the
// documents are silent is written at its route in src/sandbox/*_api.cpp.
//
// latest_status: employees created | notified | claimed | verified; payouts created | notified |
// accepted | canceled; payruns open | closed | paid (the latest move; src/sandbox/account_moves.h).
//
// Webhooks: Employee.created, Employee.notified, Employee.claimed, Employee.verified,
// Payout.created, Payout.notified, Payout.accepted, Payrun.created and Payrun.paid are POSTed (the
// object's JSON as the API showed it at the event) to every webhook of that integration
// subscribed to them, with Content-Type application/json and Gigapay-Signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the webhook's secret_key>, from
// a background thread. No event for a cancel, a delete or an edit. A non-2XX answer or no answer
// is retried up to 10 times, webhook_retry_ms * 2^(k-1) after the k-th failure. Delivery faults:
// see Faults and src/sandbox/webhook_delivery.h.
//
// Admin endpoints (token required; IID = integration id; RESOURCE = employees | payouts |
// payruns | invoices | webhooks; answers are JSON; a missing integration or object is 404):
//   GET    /_sandbox/requests                    the request log, a JSON array (RequestRecord)
//   GET    /_sandbox/faults                      the faults as JSON; POST {any Faults field: value}
//                                                changes those (400 naming unknown fields)
//   GET    /_sandbox/integrations/               every integration, a JSON array
//   PUT    /_sandbox/integrations/IID            {"type": N, ...} stored as given: 201 or 200
//   DELETE /_sandbox/integrations/IID            204 (its account's objects go with it)
//   GET    /_sandbox/integrations/IID/RESOURCE/  every object of RESOURCE, a JSON array in
//                                                creation order (what tests compare a mirror with)
//   GET    /_sandbox/integrations/IID/RESOURCE/ID   the object
//   PATCH  /_sandbox/integrations/IID/RESOURCE/ID   {"field": value, ...} set as given, stamping
//          nothing and sending no event (an edit the filters can not see): 200 with the object;
//          400 {"field": [..]} for a field not settable or a wrong type. Settable: "id" (a rename)
//          and employees: name, email, cellphone_number, country, latest_status, metadata,
//          created_at, notified_at, claimed_at, verified_at, invitation_code; payouts:
//          description, latest_status, metadata, start_at, end_at, created_at, notified_at,
//          accepted_at, canceled_at; payruns: created_at, latest_status, metadata, open, paid_at;
//          invoices: created_at, issued_at, paid_at, due_date, customer_reference; webhooks: url,
//          events, secret_key, metadata. Times as ISO 8601 or null.
//   DELETE /_sandbox/integrations/IID/RESOURCE/ID   204, whatever the API's rules; an employee
//          takes its payouts along, a payrun its payouts and invoice; an invoice leaves its payrun
//          with "invoice": null
//   POST   /_sandbox/integrations/IID/employees/ID/notify | claim | verify
//   POST   /_sandbox/integrations/IID/payouts/ID/notify | accept | cancel
//   POST   /_sandbox/integrations/IID/payruns/ID/close | pay
//   POST   /_sandbox/integrations/IID/invoices/ID/issue | pay
//          a state move (stamps its time, sends its event): 200 with the object after the move;
//          409 {"detail": ...} when it was made already (see src/sandbox/account_moves.h)
//   GET    /_sandbox/clock                       {"now": "<ISO>", "offset_s": N, "offset_us": N}
//   POST   /_sandbox/clock                       {"offset_s": N} (or "offset_us") steps the clock
//                                                by N, backward when negative: 200 as GET
//   GET    /_sandbox/webhook-deliveries          every delivery attempt, a JSON array of
//          {"seq","webhook","integration","event","object_id","url","attempt","sent","status",
//           "error","fault","signature","at"}; ?pending=1 answers {"pending": N} (queued, held or
//          being sent); DELETE forgets the attempts so far (204)
#include <chrono>
#include <cstddef>
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
  // Requests for these integrations' objects (Integration-ID one of them, any resource but
  // /v2/integrations/) answered 403: an integration whose objects the API refuses.
  std::vector<std::string> refused_integrations;
  // Webhook deliveries, drawn per delivery from an RNG of their own seeded with fault_seed:
  double webhook_drop_rate = 0;           // fraction never sent
  double webhook_repeat_rate = 0;         // fraction sent twice (again right after the first 2XX)
  double webhook_reorder_rate = 0;        // fraction held back and sent right after the next one
  int webhook_delay_ms = 0;               // every delivery waits this long before its first attempt
  double webhook_bad_signature_rate = 0;  // fraction whose first attempt carries a wrong v1
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 8700;                       // 0 = ephemeral
  int seed = 0;                          // how many integrations to generate at construction
  unsigned data_seed = 42;               // RNG seed for generated data and generated ids
  int max_page_size = 100;               // server-side cap on page_size, applied silently
  std::string token = "sandbox-token";   // the one accepted token
  std::string request_log;               // if set, a file getting one JSON line per API request
  // Fields the documents do not describe, served on every object (integrations and the account's
  // objects) as a writable string with the default "" (a PUT or POST without it resets it):
  // how an API that grows a field looks.
  std::vector<std::string> extra_fields;
  // Payouts to generate at construction across the integrations seeded (with about one employee
  // per 8 payouts and one payrun and invoice per 20; most settled, a few open). Needs seed > 0.
  int seed_payouts = 0;
  // ISO 8601: where the sandbox's clock starts ("" = the wall clock). With the same data_seed
  // and clock_start two sandboxes seed identical objects, timestamps included.
  std::string clock_start;
  int webhook_retry_ms = 1000;  // a failed delivery is retried after this, then 2x, 4x, ... (10 retries)
  Faults faults;
};

// How many objects the sandbox holds.
struct ObjectCounts {
  std::size_t integrations = 0, employees = 0, payouts = 0, payruns = 0, invoices = 0, webhooks = 0;
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
                                               // refuse_integration, truncate, drift, lose_response
};

// The sandbox HTTP server. All methods are thread-safe.
class Server {
 public:
  // Generates Options::seed integrations and Options::seed_payouts payouts (with employees,
  // payruns and invoices) at once, deterministic for Options::data_seed and clock_start.
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

  ObjectCounts counts() const;
  // Every object of `resource` (employees, payouts, payruns, invoices, webhooks) under the
  // integration, as a JSON array in creation order (GET /_sandbox/integrations/IID/RESOURCE/).
  // ExitCode::data when the integration or the resource does not exist.
  Result<std::string> account_objects_json(const std::string& integration_id, const std::string& resource) const;
  // Every webhook delivery attempt so far, as GET /_sandbox/webhook-deliveries answers.
  std::string webhook_deliveries_json() const;
  // Waits until no delivery is queued, held back or being sent. false on timeout.
  bool wait_for_webhooks(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds the `sandbox` flags to `sub`, writing into `o` and `token_file`: --host, --port,
// --seed, --seed-payouts, --data-seed, --clock-start, --max-page-size, --token-file,
// --request-log, --extra-field, --webhook-retry-ms, and the fault flags --latency-ms,
// --rate-limit-every, --retry-after, --error-rate, --lose-response-rate, --truncate-rate,
// --drift-every, --foreign-next, --forbid, --fault-seed, --refuse-integration,
// --webhook-drop-rate, --webhook-repeat-rate, --webhook-reorder-rate, --webhook-delay-ms,
// --webhook-bad-signature-rate. --help ends with the admin endpoints.
// The token itself is never a flag (secrets stay off command lines).
void add_cli_options(CLI::App& sub, Options& o, std::string& token_file);

// Runs in the foreground. The token comes from token_file when not empty, else from
// $GIGASYNC_SANDBOX_TOKEN, else o.token. Prints exactly one line to stdout:
//   "gigasync sandbox: listening on http://127.0.0.1:PORT/v2/ (N integrations, E employees,
//    P payouts, R payruns, I invoices)"
// then serves until SIGINT or SIGTERM and returns 0. Returns 69 (message on stderr) when it
// cannot bind, 78 when the token file cannot be read or is empty, 73 when the request log
// cannot be opened.
int run_foreground(Options o, const std::string& token_file);

}  // namespace gigasync::sandbox
