#pragma once
// [webhooks] listen: the daemon's receiver of signed notifications (POST /webhooks/<integration>/).
// Every request is answered at once: 401 for a missing, malformed, stale or forged signature (a
// WARN naming the peer; nothing changes), 202 for a valid one, whose hint then goes to a worker
// thread that reads the object again and applies it (sync/webhooks.cpp). The secrets are read
// from the database at each request, so a webhook registered after the daemon started is
// accepted; they never reach a log line. A body over kMaxBody is answered 413 and read no further.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gigasync/config.h"
#include "gigasync/remote.h"
#include "gigasync/store.h"
#include "gigasync/webhooks.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(daemon);

namespace httplib {
class Server;
}

namespace gigasync::daemon {

class WebhookListener {
 public:
  // The most bytes a notification may have (one object).
  static constexpr std::size_t kMaxBody = 1024 * 1024;

  // Binds cfg.webhooks.listen and starts serving. Error(config) when the address is malformed or
  // can not be bound; Error(cant_create) when the database can not be opened.
  static Result<std::unique_ptr<WebhookListener>> start(const Config& cfg, std::unique_ptr<Remote> api);
  ~WebhookListener();  // stops serving, finishes the hint being applied, joins the threads
  WebhookListener(const WebhookListener&) = delete;
  WebhookListener& operator=(const WebhookListener&) = delete;

  const ListenAddress& address() const { return address_; }
  // After SIGHUP: the new configuration's webhooks.tolerance_s and account.resources, and the API
  // client built from it (a rotated token). webhooks.listen and database.path stay as started.
  void reconfigure(const Config& cfg, std::unique_ptr<Remote> api);

  // Counters since start (for logs and tests).
  struct Counts {
    long long accepted = 0, refused = 0, applied = 0, failed = 0;
  };
  Counts counts() const;

 private:
  WebhookListener() = default;
  // The answer to one request: status and body.
  std::pair<int, std::string> receive(const std::string& integration_id, const std::string& signature,
                                      const std::string& body, const std::string& peer);
  void work();

  Config cfg_;
  ListenAddress address_;
  std::unique_ptr<httplib::Server> http_;
  std::thread server_thread_, worker_;
  // Three locks, so that an answer never waits for a hint being applied.
  std::mutex secrets_mu_;           // guards secrets_ (the request threads' look-ups)
  std::unique_ptr<Store> secrets_;  // a connection for the secrets
  mutable std::mutex mu_;           // guards queue_, stopping_, counts_, cfg_ (SIGHUP)
  std::condition_variable wake_;
  std::deque<Hint> queue_;
  bool stopping_ = false;
  Counts counts_;
  std::mutex api_mu_;             // guards api_ (replaced on SIGHUP)
  std::unique_ptr<Remote> api_;
  std::unique_ptr<Store> store_;  // the worker's connection (applies)
};

}  // namespace gigasync::daemon
