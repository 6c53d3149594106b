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

 private:
  bool roll(double rate);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  Faults faults_;
  std::mt19937 rng_;
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
