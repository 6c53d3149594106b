#include "sandbox/webhook_delivery.h"

#include <httplib.h>

#include <algorithm>

#include "sandbox/json_text.h"
#include "gigasync/hmac.h"

namespace gigasync::sandbox {
namespace {

struct Target {
  std::string origin;  // "http://host:port"
  std::string path;    // "/path?query", at least "/"
  std::string error;   // non-empty: the URL can not be posted to
};

Target split_url(const std::string& url) {
  Target t;
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    t.error = "unsupported URL (http and https only)";
    return t;
  }
  auto path_start = url.find_first_of("/?#", scheme_end + 3);
  t.origin = url.substr(0, path_start);
  t.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (t.path.front() != '/') t.path.insert(0, "/");
  if (auto hash = t.path.find('#'); hash != std::string::npos) t.path.resize(hash);
  return t;
}

std::string text_or_null(const std::string& s) { return s.empty() ? std::string("null") : quote(s); }

void add_fault(std::string& faults, const char* name) {
  if (!faults.empty()) faults += ',';
  faults += name;
}

std::int64_t unix_seconds(UnixMicros t) { return t / 1'000'000 - (t % 1'000'000 < 0 ? 1 : 0); }

}  // namespace

std::string to_json(const DeliveryRecord& r) {
  std::string at;
  append_time(at, r.at);
  return "{\"seq\":" + std::to_string(r.seq) + ",\"webhook\":" + quote(r.webhook) +
         ",\"integration\":" + quote(r.integration) + ",\"event\":" + quote(r.event) +
         ",\"object_id\":" + quote(r.object_id) + ",\"url\":" + quote(r.url) +
         ",\"attempt\":" + std::to_string(r.attempt) + ",\"sent\":" + (r.sent ? "true" : "false") +
         ",\"status\":" + (r.status ? std::to_string(r.status) : std::string("null")) +
         ",\"error\":" + text_or_null(r.error) + ",\"fault\":" + text_or_null(r.fault) +
         ",\"signature\":" + text_or_null(r.signature) + ",\"at\":" + at + "}";
}

WebhookDispatcher::WebhookDispatcher(SandboxClock& clock, FaultState& faults, int retry_base_ms)
    : clock_(clock), faults_(faults), retry_base_ms_(std::max(0, retry_base_ms)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  queue_.clear();
  held_.reset();
  idle_.notify_all();
}

void WebhookDispatcher::enqueue(Delivery d) {
  WebhookFaultDecision f = faults_.draw_webhook();
  std::lock_guard lock(mu_);
  if (f.drop) {
    DeliveryRecord r;
    r.webhook = d.webhook_id;
    r.integration = d.integration_id;
    r.event = d.event;
    r.object_id = d.object_id;
    r.url = d.url;
    r.attempt = 1;
    r.fault = "drop";
    add_log(std::move(r));
    return;
  }
  Job job{std::make_shared<const Delivery>(std::move(d)), 1, f};
  schedule(std::move(job), Clock::now() + std::chrono::milliseconds(f.delay_ms));
  wake_.notify_all();
}

void WebhookDispatcher::schedule(Job job, Clock::time_point due) {
  queue_.emplace(std::make_pair(due, arrivals_++), std::move(job));
}

void WebhookDispatcher::add_log(DeliveryRecord r) {
  r.seq = ++seq_;
  log_.push_back(std::move(r));
}

void WebhookDispatcher::finish(Job job, bool ok) {
  if (ok || job.attempt > kMaxRetries) return;
  auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(retry_base_ms_) << (job.attempt - 1));
  ++job.attempt;
  schedule(std::move(job), Clock::now() + wait);
}

void WebhookDispatcher::run() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    bool held_due = held_ && held_until_ <= now;
    bool queue_due = !queue_.empty() && queue_.begin()->first.first <= now;
    if (!held_due && !queue_due) {
      auto next = Clock::time_point::max();
      if (!queue_.empty()) next = queue_.begin()->first.first;
      if (held_) next = std::min(next, held_until_);
      if (next == Clock::time_point::max()) wake_.wait(lk);
      else wake_.wait_until(lk, next);
      continue;
    }
    Job job;
    bool from_hold = held_due && (!queue_due || held_until_ <= queue_.begin()->first.first);
    if (from_hold) {
      job = std::move(*held_);
      held_.reset();
    } else {
      auto it = queue_.begin();
      job = std::move(it->second);
      queue_.erase(it);
      if (job.attempt == 1 && job.faults.reorder && !held_) {
        held_ = std::move(job);
        held_until_ = now + kHoldTimeout;
        continue;
      }
    }
    const bool first = job.attempt == 1;
    ++busy_;
    lk.unlock();
    bool ok = attempt(job, from_hold);
    lk.lock();
    finish(std::move(job), ok);
    if (first && !from_hold && held_) {  // the held delivery follows the one after it
      Job follower = std::move(*held_);
      held_.reset();
      lk.unlock();
      bool follower_ok = attempt(follower, true);
      lk.lock();
      finish(std::move(follower), follower_ok);
    }
    --busy_;
    idle_.notify_all();
  }
}

bool WebhookDispatcher::attempt(const Job& job, bool from_hold) {
  std::string fault;
  const bool first = job.attempt == 1;
  if (first && job.faults.delay_ms > 0) add_fault(fault, "delay");
  if (first && from_hold) add_fault(fault, "reorder");
  if (first && job.faults.bad_signature) add_fault(fault, "bad_signature");
  DeliveryRecord r = post(job, first && job.faults.bad_signature, fault);
  const bool ok = r.status >= 200 && r.status < 300;
  {
    std::lock_guard lock(mu_);
    add_log(std::move(r));
  }
  if (ok && job.faults.repeat) {
    DeliveryRecord again = post(job, false, "repeat");
    std::lock_guard lock(mu_);
    add_log(std::move(again));
  }
  return ok;
}

DeliveryRecord WebhookDispatcher::post(const Job& job, bool bad_signature, const std::string& fault) {
  const Delivery& d = *job.delivery;
  DeliveryRecord r;
  r.webhook = d.webhook_id;
  r.integration = d.integration_id;
  r.event = d.event;
  r.object_id = d.object_id;
  r.url = d.url;
  r.attempt = job.attempt;
  r.sent = true;
  r.fault = fault;
  r.at = clock_.now();
  std::string t = std::to_string(unix_seconds(r.at));
  std::string key = bad_signature ? d.secret_key + "-not-the-key" : d.secret_key;
  r.signature = "t=" + t + ",v1=" + util::hmac_sha256_hex(key, t + "." + d.body);
  Target target = split_url(d.url);
  if (!target.error.empty()) {
    r.error = target.error;
    return r;
  }
  httplib::Client client(target.origin);
  if (!client.is_valid()) {
    r.error = "invalid URL";
    return r;
  }
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  client.set_write_timeout(5, 0);
  httplib::Headers headers{{"Gigapay-Signature", r.signature}, {"User-Agent", "gigasync-sandbox"}};
  auto res = client.Post(target.path, headers, d.body, "application/json");
  if (res) r.status = res->status;
  else r.error = httplib::to_string(res.error());
  return r;
}

std::vector<DeliveryRecord> WebhookDispatcher::log() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::string WebhookDispatcher::log_json() const {
  std::lock_guard lock(mu_);
  std::string out = "[";
  for (const auto& r : log_) {
    if (out.size() > 1) out += ',';
    out += to_json(r);
  }
  return out + "]";
}

void WebhookDispatcher::clear_log() {
  std::lock_guard lock(mu_);
  log_.clear();
}

std::size_t WebhookDispatcher::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + (held_ ? 1 : 0) + static_cast<std::size_t>(busy_);
}

bool WebhookDispatcher::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lk(mu_);
  return idle_.wait_for(lk, timeout, [this] { return queue_.empty() && !held_ && busy_ == 0; });
}

}  // namespace gigasync::sandbox
