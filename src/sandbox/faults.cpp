#include "sandbox/faults.h"

#include <algorithm>

namespace gigasync::sandbox {

void FaultState::set(const Faults& f) {
  std::lock_guard lock(mu_);
  faults_ = f;
  rng_.seed(f.fault_seed);
  webhook_rng_.seed(f.fault_seed ^ 0x5bd1e995u);
  requests_ = 0;
  list_reads_ = 0;
}

Faults FaultState::get() const {
  std::lock_guard lock(mu_);
  return faults_;
}

bool FaultState::roll(std::mt19937& rng, double rate) {
  if (rate <= 0) return false;
  return static_cast<double>(rng()) / 4294967296.0 < rate;
}

bool FaultState::refuses(const std::string& integration_id) const {
  std::lock_guard lock(mu_);
  const auto& refused = faults_.refused_integrations;
  return std::find(refused.begin(), refused.end(), integration_id) != refused.end();
}

// Every rate is drawn for every delivery, whatever the others gave, so one rate's setting
// never shifts another's draws.
WebhookFaultDecision FaultState::draw_webhook() {
  std::lock_guard lock(mu_);
  WebhookFaultDecision d;
  d.drop = roll(webhook_rng_, faults_.webhook_drop_rate);
  d.repeat = roll(webhook_rng_, faults_.webhook_repeat_rate);
  d.reorder = roll(webhook_rng_, faults_.webhook_reorder_rate);
  d.bad_signature = roll(webhook_rng_, faults_.webhook_bad_signature_rate);
  d.delay_ms = faults_.webhook_delay_ms;
  return d;
}

FaultDecision FaultState::draw(bool is_write, bool is_get) {
  std::lock_guard lock(mu_);
  FaultDecision d;
  ++requests_;
  d.latency_ms = faults_.latency_ms;
  if (roll(faults_.error_rate)) d.error_status = rng_() % 2 ? 503 : 502;
  d.forbid = faults_.forbid;
  d.throttle = faults_.rate_limit_every > 0 && requests_ % faults_.rate_limit_every == 0;
  d.retry_after_s = faults_.retry_after_s;
  d.lose_response = is_write && roll(faults_.lose_response_rate);
  d.truncate = is_get && roll(faults_.truncate_rate);
  d.link_origin = faults_.foreign_next;
  while (!d.link_origin.empty() && d.link_origin.back() == '/') d.link_origin.pop_back();
  return d;
}

bool FaultState::count_list_read() {
  std::lock_guard lock(mu_);
  ++list_reads_;
  return faults_.drift_every > 0 && list_reads_ % faults_.drift_every == 0;
}

std::string gateway_html(int status) {
  const char* title = status == 503 ? "503 Service Unavailable" : "502 Bad Gateway";
  return std::string("<html><body><h1>") + title + "</h1></body></html>";
}

void apply_drift(State& s, const ServedPage& page) {
  auto view = filtered(s.store, page.type);
  std::size_t limit = page.begin > 0 ? page.begin : std::min(page.end, view.size());
  for (std::size_t i = limit; i > 0; --i) {
    if (view[i - 1]->type == 3) {
      std::string id = view[i - 1]->id;
      s.store.erase(id);
      integration_removed(s, id);
      break;
    }
  }
  s.store.upsert(new_custom(s.store, s.gen));
}

}  // namespace gigasync::sandbox
