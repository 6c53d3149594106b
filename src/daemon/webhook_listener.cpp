#include "daemon/webhook_listener.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace gigasync::daemon {
namespace {

void reuse_address_only(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool same(const Hint& a, const Hint& b) {
  return a.integration_id == b.integration_id && a.resource == b.resource && a.id == b.id;
}

}  // namespace

Result<std::unique_ptr<WebhookListener>> WebhookListener::start(const Config& cfg, std::unique_ptr<Remote> api) {
  auto addr = parse_listen_address(cfg.webhooks.listen);
  if (!addr)
    return make_error(ExitCode::config, "webhooks.listen \"" + cfg.webhooks.listen +
                                            "\" is not \"HOST:PORT\" with HOST an IP address (e.g. \"127.0.0.1:9181\")");
  auto store = Store::open(cfg.database.path);
  if (!store) return store.error();
  auto secrets = Store::open(cfg.database.path);
  if (!secrets) return secrets.error();
  std::unique_ptr<WebhookListener> l(new WebhookListener());
  l->cfg_ = cfg;
  l->address_ = *addr;
  l->store_ = std::move(store.value());
  l->secrets_ = std::move(secrets.value());
  l->api_ = std::move(api);
  l->http_ = std::make_unique<httplib::Server>();
  httplib::Server& h = *l->http_;
  WebhookListener* self = l.get();
  h.new_task_queue = [] { return new httplib::ThreadPool(2); };
  h.Post(R"(/webhooks/([^/]+)/?)", [self](const httplib::Request& req, httplib::Response& res) {
    auto [status, body] = self->receive(httplib::detail::decode_url(req.matches[1], false),
                                        req.get_header_value("Gigapay-Signature"), req.body, req.remote_addr);
    res.status = status;
    res.set_content(body, "application/json");
  });
  h.set_socket_options(reuse_address_only);
  h.set_keep_alive_timeout(5);
  h.set_read_timeout(5, 0);
  h.set_write_timeout(5, 0);
  h.set_payload_max_length(kMaxBody);  // a longer body is answered 413 without being read
  errno = 0;
  if (!h.bind_to_port(addr->host, addr->port)) {
    const int err = errno;
    return make_error(ExitCode::config, "webhooks.listen " + addr->text() + ": can not listen there" +
                                            (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
  }
  l->server_thread_ = std::thread([&h] { h.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!h.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  l->worker_ = std::thread([self] { self->work(); });
  return l;
}

WebhookListener::~WebhookListener() {
  if (http_) http_->stop();
  if (server_thread_.joinable()) server_thread_.join();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void WebhookListener::set_api(std::unique_ptr<Remote> api) {
  std::lock_guard lock(api_mu_);
  api_ = std::move(api);
}

WebhookListener::Counts WebhookListener::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

std::pair<int, std::string> WebhookListener::receive(const std::string& integration_id, const std::string& signature,
                                                     const std::string& body, const std::string& peer) {
  auto refuse = [&](const std::string& why) -> std::pair<int, std::string> {
    {
      std::lock_guard lock(mu_);
      counts_.refused++;
    }
    spdlog::warn("webhook: refused a notification from {} for integration {}: {}; nothing was changed", peer,
                 integration_id, why);
    return {401, "{\"detail\":\"signature refused\"}"};
  };
  std::string secret;
  {
    std::lock_guard lock(secrets_mu_);
    auto hook = secrets_->webhook(integration_id);
    if (!hook) {
      spdlog::error("webhook: {}", hook.error().message);
      return {503, "{\"detail\":\"try again\"}"};
    }
    if (!hook.value()) return refuse("no webhook of this integration is registered here");
    secret = (*hook)->secret;
  }
  Signature verdict = check_signature(signature, body, secret, now_seconds(), cfg_.webhooks.tolerance_s);
  if (verdict != Signature::valid) return refuse("the signature is " + std::string(to_string(verdict)));
  auto hint = read_hint(body, integration_id);
  std::unique_lock lock(mu_);
  counts_.accepted++;
  if (!hint) {
    lock.unlock();
    spdlog::info("webhook: a signed notification for integration {} is not an object gigasync mirrors; ignored",
                 integration_id);
    return {202, "{}"};
  }
  // A hint already waiting for the same object is enough: the GET reads its latest state.
  bool queued = false;
  for (const auto& h : queue_) queued = queued || same(h, *hint);
  if (!queued) queue_.push_back(std::move(*hint));
  lock.unlock();
  wake_.notify_one();
  return {202, "{}"};
}

void WebhookListener::work() {
  while (true) {
    Hint hint;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      hint = std::move(queue_.front());
      queue_.pop_front();
    }
    Result<std::string> done = std::string();
    {
      std::lock_guard api_lock(api_mu_);
      done = apply_hint(*store_, *api_, hint);
    }
    std::lock_guard lock(mu_);
    if (done) {
      counts_.applied++;
      spdlog::info("webhook: {}", done.value());
    } else {
      counts_.failed++;
      spdlog::warn("webhook: {} {} of integration {} not applied now (the next cycle reads it): {}",
                   hint.resource->singular, hint.id, hint.integration_id, done.error().message);
    }
  }
}

}  // namespace gigasync::daemon
