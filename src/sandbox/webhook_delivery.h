#pragma once
// Webhook deliveries: a background thread POSTs each event's object to the webhook's URL with a
// Gigapay-Signature header, retries failures with exponential backoff, applies the delivery
// faults and logs every attempt. Events are queued without waiting for the network, so an API
// request never waits for a delivery. Thread-safe.
//
// Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret_key>",
// t from the sandbox's clock when the attempt is sent (a stepped clock makes stale signatures).
// Retries: an answer that is not 2XX, or no answer, is retried up to kMaxRetries times, the
// k-th retry retry_base_ms * 2^(k-1) after the failure. While one delivery waits for its retry,
// others go ahead.
// Faults (drawn when the event is queued, in event order, so they follow the fault seed):
//   drop           never sent; logged with "sent": false
//   delay          the first attempt waits webhook_delay_ms
//   reorder        held back until the next delivery's first attempt has been sent, then sent
//                  (or after kHoldTimeout when no other delivery comes); one held at a time
//   bad_signature  the first attempt's v1 is an HMAC under another key; retries are signed right
//   repeat         after the first 2XX the same body is sent once more, freshly signed
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sandbox/clock.h"
#include "sandbox/faults.h"

namespace gigasync::sandbox {

struct Delivery {
  std::string webhook_id;
  std::string integration_id;
  std::string event;       // "Payout.created", ...
  std::string object_id;   // the id of the object in the body (for the log)
  std::string url;
  std::string secret_key;  // as it was when the event happened
  std::string body;        // the object as the API showed it when the event happened
};

// One attempt (or one dropped delivery) as the log shows it.
struct DeliveryRecord {
  long long seq = 0;
  std::string webhook, integration, event, object_id, url;
  int attempt = 0;          // 1 = the first, 2.. = retries; a repeat copies its attempt's number
  bool sent = false;        // false: dropped by the drop fault
  int status = 0;           // the receiver's status, 0 when it did not answer
  std::string error;        // why there was no answer ("" when it answered)
  std::string fault;        // "" or comma-separated: drop, delay, reorder, bad_signature, repeat
  std::string signature;    // the Gigapay-Signature header sent ("" when not sent)
  UnixMicros at = kNever;   // when it was sent (sandbox clock)
};

// {"seq":1,"webhook":"...","integration":"...","event":"...","object_id":"...","url":"...",
//  "attempt":1,"sent":true,"status":200,"error":null,"fault":null,"signature":"t=..,v1=..",
//  "at":"2026-..Z"}  (status null without an answer; error, fault, signature, at null when empty)
std::string to_json(const DeliveryRecord& r);

class WebhookDispatcher {
 public:
  static constexpr int kMaxRetries = 10;
  static constexpr std::chrono::milliseconds kHoldTimeout{2000};

  WebhookDispatcher(SandboxClock& clock, FaultState& faults, int retry_base_ms);
  ~WebhookDispatcher();  // stop()
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Starts the delivery thread (no-op when running). Events queued before are sent then.
  void start();
  // Stops it and joins it; deliveries not yet sent are discarded.
  void stop();
  // Queues one delivery and draws its faults. Never blocks on the network.
  void enqueue(Delivery d);

  std::vector<DeliveryRecord> log() const;
  std::string log_json() const;
  void clear_log();
  // Deliveries queued, held back or being sent (retries waiting included).
  std::size_t pending() const;
  bool wait_idle(std::chrono::milliseconds timeout) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    std::shared_ptr<const Delivery> delivery;
    int attempt = 1;
    WebhookFaultDecision faults;
  };
  void run();
  // Sends one attempt (and the repeat when due) and logs it. Called without the lock.
  bool attempt(const Job& job, bool from_hold);
  DeliveryRecord post(const Job& job, bool bad_signature, const std::string& fault);
  void schedule(Job job, Clock::time_point due);  // REQUIRES: mu_ held
  void add_log(DeliveryRecord r);                 // REQUIRES: mu_ held
  void finish(Job job, bool ok);                  // REQUIRES: mu_ held

  SandboxClock& clock_;
  FaultState& faults_;
  const int retry_base_ms_;

  mutable std::mutex mu_;
  mutable std::condition_variable wake_;
  mutable std::condition_variable idle_;
  std::map<std::pair<Clock::time_point, std::uint64_t>, Job> queue_;  // by due time, then arrival
  std::uint64_t arrivals_ = 0;
  std::optional<Job> held_;
  Clock::time_point held_until_{};
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<DeliveryRecord> log_;
  long long seq_ = 0;
  std::thread thread_;
};

}  // namespace gigasync::sandbox
