#include "daemon/webhook_listener.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>

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

bool mirrored(const Config& cfg, const Resource& r) {
  return std::find(cfg.account.resources.begin(), cfg.account.resources.end(), r.name) != cfg.account.resources.end();
}

// The Content-Length header as a number; nullopt when absent or not a number.
std::optional<std::uint64_t> content_length(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  const std::string text = req.get_header_value("Content-Length");
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
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
  // The body is read here, piece by piece, so that the cap (kMaxBody) holds whatever the framing:
  // httplib 0.11's payload_max_length checks a Content-Length only, and a chunked body (or one
  // without a length) would otherwise be read whole, before any signature is checked. A longer
  // body is answered 413 (a Content-Length over the cap without reading a byte of it) and closes
  // the connection; nothing is changed.
  h.Post(R"(/webhooks/([^/]+)/?)", [self](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& read) {
    const std::string integration_id = httplib::detail::decode_url(req.matches[1], false);
    auto too_long = [&] {
      {
        std::lock_guard lock(self->mu_);
        self->counts_.refused++;
      }
      spdlog::warn("webhook: refused a notification from {} for integration {}: the body is longer than {} bytes; "
                   "nothing was changed",
                   req.remote_addr, integration_id, kMaxBody);
      res.status = 413;
      res.set_header("Connection", "close");  // the rest of the body is not read
      res.set_content("{\"detail\":\"the body is longer than " + std::to_string(kMaxBody) + " bytes\"}",
                      "application/json");
    };
    if (auto n = content_length(req); n && *n > kMaxBody) return too_long();  // answered without reading it
    std::string body;
    bool over = false;
    const bool complete = read([&](const char* data, std::size_t n) {
      if (body.size() + n > kMaxBody) {
        over = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (over) return too_long();
    if (!complete) {
      res.status = 400;
      res.set_header("Connection", "close");
      res.set_content("{\"detail\":\"the body could not be read\"}", "application/json");
      return;
    }
    auto [status, answer] = self->receive(integration_id, req.get_header_value("Gigapay-Signature"), body,
                                          req.remote_addr);
    res.status = status;
    res.set_content(answer, "application/json");
  });
  h.set_socket_options(reuse_address_only);
  // One request per connection: a refused body's unread rest is never read as a next request, and
  // an idle keep-alive connection never holds one of the two threads.
  h.set_keep_alive_max_count(1);
  h.set_keep_alive_timeout(5);
  h.set_read_timeout(5, 0);
  h.set_write_timeout(5, 0);
  h.set_payload_max_length(kMaxBody);  // and the handler's own cap, whatever the framing (above)
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

void WebhookListener::reconfigure(const Config& cfg, std::unique_ptr<Remote> api) {
  {
    std::lock_guard lock(mu_);
    cfg_.webhooks.tolerance_s = cfg.webhooks.tolerance_s;
    cfg_.account.resources = cfg.account.resources;
  }
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
  const auto tolerance_s = [this] {
    std::lock_guard lock(mu_);
    return cfg_.webhooks.tolerance_s;
  }();
  Signature verdict = check_signature(signature, body, secret, now_seconds(), tolerance_s);
  if (verdict != Signature::valid) return refuse("the signature is " + std::string(to_string(verdict)));
  auto hint = read_hint(body, integration_id);
  std::unique_lock lock(mu_);
  counts_.accepted++;
  if (!hint || !mirrored(cfg_, *hint->resource)) {
    lock.unlock();
    spdlog::info("webhook: a signed notification for integration {} is not {}; ignored", integration_id,
                 hint ? "of a resource account.resources names (" + std::string(hint->resource->name) + ")"
                      : std::string("an object gigasync mirrors"));
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
  auto apply = [this](const Hint& hint) {
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
  };
  while (true) {
    Hint hint;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      hint = std::move(queue_.front());
      queue_.pop_front();
    }
    apply(hint);
    // A payrun's moves (closed, paid) move its invoice too (issued, paid), and no event names
    // invoices: its invoice is read again with it.
    const bool invoices = [this] {
      std::lock_guard lock(mu_);
      return mirrored(cfg_, invoices_resource());
    }();
    if (hint.resource == &payruns_resource() && invoices) {
      auto run = store_->load_record(payruns_resource(), hint.integration_id, hint.id);
      std::optional<std::string> invoice;
      if (run && run.value()) invoice = (*run)->get("invoice");
      if (invoice && !invoice->empty()) apply(Hint{hint.integration_id, &invoices_resource(), *invoice});
    }
  }
}

}  // namespace gigasync::daemon
