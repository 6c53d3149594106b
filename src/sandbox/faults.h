#pragma once
// The fault schedule: which faults hit the next request, drawn from a seeded RNG.
#include <mutex>
#include <random>
#include <string>

#include <rapidjson/document.h>

#include "gigasync/sandbox.h"
#include "sandbox/api.h"
#include "sandbox/json_text.h"

namespace gigasync::sandbox {

// The faults for one /v2/ request.
struct FaultDecision {
  int latency_ms = 0;
  int error_status = 0;  // 0, 502 or 503
  bool forbid = false;
  bool throttle = false;
  int retry_after_s = 1;
  bool lose_response = false;  // writes only
  bool truncate = false;       // GETs only
  std::string link_origin;     // foreign_next without its trailing '/', or "" for our own
};

// The faults for one webhook delivery, drawn when its event happens.
struct WebhookFaultDecision {
  bool drop = false;           // never sent
  bool repeat = false;         // sent again right after its first 2XX
  bool reorder = false;        // held back and sent right after the next delivery
  bool bad_signature = false;  // its first attempt carries a wrong v1
  int delay_ms = 0;            // waits this long before its first attempt
};

// Thread-safe.
class FaultState {
 public:
  explicit FaultState(const Faults& f) { set(f); }
  // Replaces the faults, reseeds the RNG and restarts the request and list-read counts.
  void set(const Faults& f);
  Faults get() const;
  // Counts one /v2/ request and draws its faults.
  FaultDecision draw(bool is_write, bool is_get);
  // Counts one answered list page; true when it is a drift_every-th one.
  bool count_list_read();
  // true when requests for this integration's objects are refused (refused_integrations).
  bool refuses(const std::string& integration_id) const;
  // Draws one delivery's faults, from an RNG of its own (seeded from fault_seed too), so that
  // deliveries and API requests do not shift each other's draws.
  WebhookFaultDecision draw_webhook();

 private:
  bool roll(double rate) { return roll(rng_, rate); }  // REQUIRES: mu_ held
  static bool roll(std::mt19937& rng, double rate);

  mutable std::mutex mu_;
  Faults faults_;
  std::mt19937 rng_;
  std::mt19937 webhook_rng_;
  long long requests_ = 0;
  long long list_reads_ = 0;
};

// The fault HTML body a gateway answers with: 502 Bad Gateway / 503 Service Unavailable.
std::string gateway_html(int status);

// After answering `page`: removes one type 3 object on an earlier page (on page 1: on the page
// served) and appends one new type 3 object. Caller holds the state lock.
void apply_drift(State& s, const ServedPage& page);

// Faults as JSON (every field), and applying a JSON object with any subset of the fields.
// Unknown keys and wrong types are reported in `errors` and leave `f` unchanged.
std::string faults_json(const Faults& f);
void update_faults(const rapidjson::Value& obj, Faults& f, FieldErrors& errors);

}  // namespace gigasync::sandbox
