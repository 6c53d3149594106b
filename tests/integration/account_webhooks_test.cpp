// Signed webhooks end to end, over real HTTP, with the real gigasync binary: `gigasync webhooks
// register|list|unregister` against the in-process sandbox (checked on the sandbox's side), and the
// daemon's listener ([webhooks] listen) receiving the sandbox's signed deliveries:
//   - a state move made through the sandbox's admin endpoints is in the mirror within 2 s of its
//     delivery, with a cycle an hour away (no sync_runs row is added: only the webhook explains it);
//   - a missing, forged, stale or misdirected Gigapay-Signature is answered 401, logged with the
//     peer's address (the test connects from 127.0.0.7), and changes nothing in the database; a
//     correctly signed POST of the same body then applies (the refusals were what kept it out);
//   - delivery faults (repeated, reordered, delayed, a bad first signature then a retry) leave the
//     notified objects equal to the API; a dropped one stays stale until the next incremental
//     `gigasync sync`, which brings it in;
//   - a body over WebhookListener::kMaxBody (1 MiB) is answered 413 (the listener's choice, written
//     in src/daemon/webhook_listener.cpp) and changes nothing; one of exactly 1 MiB is accepted.
// Test names start with "daemon: webhooks:" where a daemon runs.
#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gigasync/hmac.h"
#include "gigasync/timestamp.h"
#include "support/api_rows.h"
#include "support/sandbox_fixture.h"

using namespace gigasync;
using namespace gigasync::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPeer = "127.0.0.7";  // where the test's hand-made requests come from
constexpr int kTolerance = 60;              // webhooks.tolerance_s in these tests
constexpr std::size_t kMaxBody = 1024 * 1024;  // WebhookListener::kMaxBody

// ---- small helpers --------------------------------------------------------------------------------

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

long long wall_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sign(const std::string& secret, long long t, const std::string& body) {
  return "t=" + std::to_string(t) + ",v1=" + util::hmac_sha256_hex(secret, std::to_string(t) + "." + body);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string str(const rapidjson::Value& v) { return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : ""; }

// ---- rows: the API's object and the mirror's row, compared field by field ---------------------------


// "" when equal; else what differs. An empty API row: the API has no such object.
std::string row_differences(const std::string& what, const std::optional<Row>& api, const std::optional<Row>& mirror) {
  if (!api && !mirror) return "";
  if (!api) return what + ": in the mirror, not in the API\n";
  if (!mirror) return what + ": in the API, not in the mirror\n";
  std::string out;
  for (const auto& [field, value] : *api) {
    auto it = mirror->find(field);
    if (it == mirror->end()) {
      out += what + "." + field + ": no such column in the mirror\n";
      continue;
    }
    Cell m = it->second;
    if (value.json && m.text) {
      auto d = parse_json(*m.text);
      if (!d.HasParseError()) m.text = canonical(d);
    }
    if (m.text != value.text) out += what + "." + field + ": API " + show(value) + ", mirror " + show(m) + "\n";
  }
  for (const auto& [field, value] : *mirror)
    if (!api->count(field) && value.text) out += what + "." + field + ": API has none, mirror " + show(value) + "\n";
  return out;
}

// ---- raw HTTP from a chosen local address -------------------------------------------------------------

struct RawReply {
  int status = 0;  // 0: no answer
  std::string text;
};

enum class Framing { length, chunked, headers_only };

// POST `body` to 127.0.0.1:port`path` from the local address `from`, with `headers` ("Name: value\r\n"
// lines). headers_only: Content-Length says body.size() but no byte of it is sent.
RawReply raw_post(int port, const std::string& path, const std::string& headers, const std::string& body,
                  Framing framing = Framing::length, const char* from = kPeer, bool keep_alive = false) {
  RawReply r;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  REQUIRE(::inet_pton(AF_INET, from, &local.sin_addr) == 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<std::uint16_t>(port));
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return r;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                     (keep_alive ? "\r\n" : "\r\nConnection: close\r\n") +
                     "Content-Type: application/json\r\nUser-Agent: gigasync-test\r\n" + headers;
  std::string payload;
  if (framing == Framing::chunked) {
    head += "Transfer-Encoding: chunked\r\n\r\n";
    char size[32];
    for (std::size_t at = 0; at < body.size(); at += 65536) {
      std::size_t n = std::min<std::size_t>(65536, body.size() - at);
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      payload += size + body.substr(at, n) + "\r\n";
    }
    payload += "0\r\n\r\n";
  } else {
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (framing == Framing::length) payload = body;
  }
  auto send_all = [&](const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;  // the server may answer and close before reading it all
      sent += static_cast<std::size_t>(n);
    }
    return true;
  };
  if (send_all(head)) send_all(payload);
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    r.text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (r.text.rfind("HTTP/1.1 ", 0) == 0 && r.text.size() >= 12) r.status = std::stoi(r.text.substr(9, 3));
  return r;
}

// ---- the sandbox, a config with a listener, and the daemon --------------------------------------------

struct Reply {
  int status = 0;
  std::string body;
};

sandbox::Options options(int integrations, int payouts, int retry_ms) {
  sandbox::Options o = sandbox_options(integrations);
  o.seed_payouts = payouts;
  o.data_seed = 7;
  o.webhook_retry_ms = retry_ms;
  return o;
}

std::string hook_config(int port, const std::string& resources) {
  return "[account]\nresources = " + resources +
         "\nfull_every_s = 31536000\n"
         "[sync]\ninterval_s = 3600\njitter_s = 0\n"
         "[webhooks]\nlisten = \"127.0.0.1:" +
         std::to_string(port) + "\"\ntolerance_s = " + std::to_string(kTolerance) + "\n";
}

constexpr const char* kAllResources = R"(["employees", "payouts", "payruns", "invoices"])";

struct Hooked {
  explicit Hooked(int integrations = 2, int payouts = 40, int retry_ms = 50, const std::string& resources = kAllResources)
      : port(free_port()), run(options(integrations, payouts, retry_ms), "max_retries = 0", hook_config(port, resources)) {}
  ~Hooked() {
    if (daemon && daemon->running()) {
      daemon->signal(SIGTERM);
      daemon->wait(10s);
    }
  }

  Reply http(const std::string& method, const std::string& path, const std::string& iid = "",
             const std::string& body = "") const {
    httplib::Client c("127.0.0.1", run.server.port());
    c.set_read_timeout(10, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers.emplace("Authorization", "Token sandbox-token");
    if (!iid.empty()) req.headers.emplace("Integration-ID", iid);
    if (!body.empty()) {
      req.body = body;
      req.headers.emplace("Content-Type", "application/json");
    }
    auto res = c.send(req);
    if (!res) return {};
    return {res->status, res->body};
  }
  // The sandbox's back door: a state move or an edit made by someone else.
  Reply admin(const std::string& method, const std::string& path, const std::string& body = "") const {
    return http(method, "/_sandbox/" + path, "", body);
  }
  // POST /_sandbox/integrations/IID/RESOURCE/ID/MOVE, required to succeed.
  void move(const std::string& iid, const std::string& resource, const std::string& id, const std::string& m) const {
    Reply r = admin("POST", "integrations/" + iid + "/" + resource + "/" + id + "/" + m);
    INFO(resource << " " << id << " " << m << ": " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
  }

  // The API's object as a client reads it (GET under the integration); nullopt on 404.
  std::optional<Row> api_row(const std::string& iid, const std::string& resource, const std::string& id) const {
    Reply r = http("GET", "/v2/" + resource + "/" + id + "/", iid);
    if (r.status == 404) return std::nullopt;
    INFO("GET " << resource << " " << id << ": " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    REQUIRE(d.IsObject());
    Row row;
    for (const auto& m : d.GetObject()) row[m.name.GetString()] = cell_of(m.value);
    return row;
  }
  std::string api_body(const std::string& iid, const std::string& resource, const std::string& id) const {
    Reply r = http("GET", "/v2/" + resource + "/" + id + "/", iid);
    REQUIRE(r.status == 200);
    return r.body;
  }
  std::optional<Row> mirror_row(const std::string& iid, const std::string& resource, const std::string& id) const {
    SQLite::Database db(run.db(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "SELECT * FROM " + resource + " WHERE integration_id = ? AND id = ?");
    q.bind(1, iid);
    q.bind(2, id);
    if (!q.executeStep()) return std::nullopt;
    Row row;
    for (int i = 0; i < q.getColumnCount(); ++i) {
      std::string name = q.getColumnName(i);
      if (name == "integration_id") continue;
      Cell c;
      if (!q.getColumn(i).isNull()) c.text = q.getColumn(i).getString();
      row[name] = c;
    }
    return row;
  }
  std::string differences(const std::string& iid, const std::string& resource, const std::string& id) const {
    return row_differences(resource + " " + id + " of " + iid, api_row(iid, resource, id), mirror_row(iid, resource, id));
  }
  // One column of one mirrored object ("" when NULL or absent).
  std::string mirror_field(const std::string& iid, const std::string& resource, const std::string& id,
                           const std::string& field) const {
    SQLite::Database db(run.db(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "SELECT " + field + " FROM " + resource + " WHERE integration_id = ? AND id = ?");
    q.bind(1, iid);
    q.bind(2, id);
    if (!q.executeStep() || q.getColumn(0).isNull()) return "";
    return q.getColumn(0).getString();
  }
  std::vector<std::string> column(const std::string& sql) const {
    SQLite::Database db(run.db(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, sql);
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).isNull() ? "" : q.getColumn(0).getString());
    return out;
  }
  std::string secret(const std::string& iid) const {
    auto s = column("SELECT secret FROM webhooks WHERE integration_id = '" + iid + "'");
    REQUIRE(s.size() == 1);
    return s[0];
  }
  std::vector<std::string> secrets() const { return column("SELECT secret FROM webhooks ORDER BY integration_id"); }

  // Every table's rows, sorted: what "changes nothing in the database" compares.
  std::string snapshot() const {
    SQLite::Database db(run.db(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    std::vector<std::string> tables;
    {
      SQLite::Statement q(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
    }
    std::string out;
    for (const auto& t : tables) {
      SQLite::Statement q(db, "SELECT * FROM \"" + t + "\"");
      std::vector<std::string> rows;
      while (q.executeStep()) {
        std::string row;
        for (int i = 0; i < q.getColumnCount(); ++i)
          row += (q.getColumn(i).isNull() ? std::string("NULL") : "'" + q.getColumn(i).getString() + "'") + "|";
        rows.push_back(std::move(row));
      }
      std::sort(rows.begin(), rows.end());
      out += "== " + t + " (" + std::to_string(rows.size()) + ")\n";
      for (const auto& r : rows) out += r + "\n";
    }
    return out;
  }

  // Starts `gigasync daemon` and waits for its listener and its first cycle (then no cycle for an hour).
  void start_daemon() {
    const long long before = run.count("SELECT count(*) FROM sync_runs");
    Env e{{"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_CONFIG", "\x01"},
          {"CREDENTIALS_DIRECTORY", "\x01"}, {"NOTIFY_SOCKET", "\x01"}, {"WATCHDOG_USEC", "\x01"},
          {"WATCHDOG_PID", "\x01"}};
    daemon = std::make_unique<Child>(gigasync_binary(), std::vector<std::string>{"daemon", "-c", run.config}, e,
                                     run.dir.path, "daemon");
    bool up = eventually(
        [&] {
          return daemon->err().find("webhooks: listening on http://127.0.0.1:" + std::to_string(port)) !=
                     std::string::npos &&
                 run.count("SELECT count(*) FROM sync_runs WHERE status <> 'running' AND id > " +
                           std::to_string(before)) > 0;
        },
        30s);
    INFO(daemon->err());
    REQUIRE(up);
    cycles = run.count("SELECT count(*) FROM sync_runs");
  }
  std::string log() const { return daemon ? daemon->err() + daemon->out() : ""; }
  void stop_daemon() {
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
  }

  RunResult gigasync(std::vector<std::string> args) { return run.gigasync(std::move(args)); }
  void register_all() {
    auto r = gigasync({"webhooks", "register"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }

  // The delivery log's attempts, as JSON values copied out.
  rapidjson::Document deliveries() const {
    auto d = parse_json(run.server.webhook_deliveries_json());
    REQUIRE(d.IsArray());
    return d;
  }
  void settle() const { REQUIRE(run.server.wait_for_webhooks(20s)); }

  int port;
  SandboxRun run;
  std::unique_ptr<Child> daemon;
  long long cycles = 0;  // sync_runs after the daemon's first cycle
};

// The lines of one snapshot not in the other ("" when equal), for short failure messages.
std::string snapshot_diff(const std::string& before, const std::string& after) {
  auto a = lines_of(before), b = lines_of(after);
  std::multiset<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::string out;
  for (const auto& l : a)
    if (!sb.count(l)) out += "- " + l + "\n";
  for (const auto& l : b)
    if (!sa.count(l)) out += "+ " + l + "\n";
  return out;
}

std::string resource_of_event(const std::string& event) {
  if (event.rfind("Employee.", 0) == 0) return "employees";
  if (event.rfind("Payout.", 0) == 0) return "payouts";
  if (event.rfind("Payrun.", 0) == 0) return "payruns";
  return "";
}

// Waits until the mirror row of every object named by a delivery equals the API's, then checks.
void check_notified_objects_equal(const Hooked& h, const rapidjson::Document& log) {
  std::set<std::tuple<std::string, std::string, std::string>> objects;
  for (const auto& d : log.GetArray())
    objects.emplace(str(d["integration"]), resource_of_event(str(d["event"])), str(d["object_id"]));
  REQUIRE(!objects.empty());
  auto all_equal = [&] {
    for (const auto& [iid, resource, id] : objects)
      if (!h.differences(iid, resource, id).empty()) return false;
    return true;
  };
  eventually(all_equal, 5s);
  for (const auto& [iid, resource, id] : objects) {
    INFO(h.log());
    CHECK(h.differences(iid, resource, id) == "");
  }
}

// Ids of the mirror's payouts of `iid` that can still be accepted (neither accepted nor canceled).
std::vector<std::string> open_payouts(const Hooked& h, const std::string& iid, bool not_notified = false) {
  return h.column("SELECT id FROM payouts WHERE integration_id = '" + iid +
                  "' AND accepted_at IS NULL AND canceled_at IS NULL" + (not_notified ? " AND notified_at IS NULL" : "") +
                  " ORDER BY id");
}

// The payout's description changed through the back door: no time stamped, no event.
void change_description(const Hooked& h, const std::string& iid, const std::string& pid, const std::string& text) {
  Reply r = h.admin("PATCH", "integrations/" + iid + "/payouts/" + pid, "{\"description\":\"" + text + "\"}");
  REQUIRE(r.status == 200);
}

void set_webhook_faults(Hooked& h, double drop, double repeat, double reorder, int delay_ms, double bad,
                        unsigned seed = 1) {
  auto f = h.run.server.faults();
  f.webhook_drop_rate = drop;
  f.webhook_repeat_rate = repeat;
  f.webhook_reorder_rate = reorder;
  f.webhook_delay_ms = delay_ms;
  f.webhook_bad_signature_rate = bad;
  f.fault_seed = seed;
  h.run.server.set_faults(f);
}

}  // namespace

// ---- 1. register, list, unregister ---------------------------------------------------------------------

TEST_CASE("webhooks: register makes one webhook per mirrored integration on the API, list shows them, unregister "
          "removes them there and here; no secret in any output",
          "[account][webhooks]") {
  Hooked h(3, 12);
  auto first = h.run.sync();
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const auto ids = h.column("SELECT id FROM integrations ORDER BY id");
  REQUIRE(ids.size() == 3);
  const std::string base = "http://127.0.0.1:" + std::to_string(h.port) + "/webhooks/";
  std::string all_output;

  // Only the integration named.
  auto one = h.gigasync({"webhooks", "register", "--integration", ids[0]});
  all_output += one.out + one.err;
  INFO(one.out << one.err);
  REQUIRE(one.exit_code == 0);
  CHECK(h.run.count("SELECT count(*) FROM webhooks") == 1);
  CHECK(h.run.server.counts().webhooks == 1);

  // Then every mirrored integration: the one registered is left as it is.
  auto reg = h.gigasync({"webhooks", "register"});
  all_output += reg.out + reg.err;
  INFO(reg.out << reg.err);
  REQUIRE(reg.exit_code == 0);
  CHECK(lines_of(reg.out).size() == 3);
  CHECK(reg.out.find("integration " + ids[0] + ": webhook ") != std::string::npos);
  CHECK(reg.out.find("already registered") != std::string::npos);
  CHECK(h.run.count("SELECT count(*) FROM webhooks") == 3);
  CHECK(h.run.server.counts().webhooks == 3);

  // On the sandbox's side: exactly one per integration, at its own URL, all nine events, and the
  // secret the database keeps (so the sandbox's signatures are the ones the listener checks).
  const std::set<std::string> nine = {"Employee.created", "Employee.notified", "Employee.claimed",
                                      "Employee.verified", "Payout.created",    "Payout.notified",
                                      "Payout.accepted",  "Payrun.created",    "Payrun.paid"};
  for (const auto& iid : ids) {
    INFO(iid);
    auto listed = h.run.server.account_objects_json(iid, "webhooks");
    REQUIRE(listed.ok());
    auto d = parse_json(listed.value());
    REQUIRE(d.IsArray());
    REQUIRE(d.Size() == 1);
    const auto& w = d[0];
    CHECK(str(w["url"]) == base + iid + "/");
    std::set<std::string> events;
    for (const auto& e : w["events"].GetArray()) events.insert(str(e));
    CHECK(events == nine);
    CHECK(w["events"].Size() == 9);
    CHECK(str(w["secret_key"]) == h.secret(iid));
    CHECK(h.secret(iid).size() >= 32);
    CHECK(h.column("SELECT webhook_id FROM webhooks WHERE integration_id = '" + iid + "'").at(0) == str(w["id"]));
    CHECK(reg.out.find("integration " + iid + ": webhook " + str(w["id"])) != std::string::npos);
  }

  // The database that holds the secrets is readable by its owner only.
  struct stat st{};
  REQUIRE(::stat(h.run.db().c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);

  auto list = h.gigasync({"webhooks", "list"});
  all_output += list.out + list.err;
  INFO(list.out << list.err);
  CHECK(list.exit_code == 0);
  CHECK(lines_of(list.out).size() == 3);
  for (const auto& iid : ids) {
    const std::string wid = h.column("SELECT webhook_id FROM webhooks WHERE integration_id = '" + iid + "'").at(0);
    CHECK(list.out.find("integration " + iid + ": webhook " + wid + " -> " + base + iid + "/") != std::string::npos);
  }
  for (const char* cmd : {"status", "check"}) {
    auto r = h.gigasync({cmd});
    all_output += r.out + r.err;
  }
  auto synced = h.run.sync();
  all_output += synced.out + synced.err;
  auto secrets = h.secrets();
  REQUIRE(secrets.size() == 3);
  for (const auto& s : secrets) CHECK(all_output.find(s) == std::string::npos);

  // unregister one: gone on the API and here, the others kept.
  auto un1 = h.gigasync({"webhooks", "unregister", "--integration", ids[1]});
  all_output += un1.out + un1.err;
  INFO(un1.out << un1.err);
  CHECK(un1.exit_code == 0);
  CHECK(h.run.server.counts().webhooks == 2);
  CHECK(h.run.server.account_objects_json(ids[1], "webhooks").value() == "[]");
  CHECK(h.run.count("SELECT count(*) FROM webhooks") == 2);
  CHECK(h.run.count("SELECT count(*) FROM webhooks WHERE integration_id = '" + ids[1] + "'") == 0);

  auto un = h.gigasync({"webhooks", "unregister"});
  all_output += un.out + un.err;
  INFO(un.out << un.err);
  CHECK(un.exit_code == 0);
  CHECK(lines_of(un.out).size() == 2);
  CHECK(h.run.server.counts().webhooks == 0);
  CHECK(h.run.count("SELECT count(*) FROM webhooks") == 0);
  auto empty = h.gigasync({"webhooks", "list"});
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.find("no webhooks registered") != std::string::npos);

  // With no webhook left, a move sends nothing.
  REQUIRE(h.admin("DELETE", "webhook-deliveries").status == 204);
  const auto pid = open_payouts(h, ids[0]);
  REQUIRE(!pid.empty());
  h.move(ids[0], "payouts", pid[0], "accept");
  h.settle();
  CHECK(h.run.server.webhook_deliveries_json() == "[]");

  for (const auto& s : secrets) CHECK(all_output.find(s) == std::string::npos);
  CHECK(all_output.find("sandbox-token") == std::string::npos);
}

TEST_CASE("webhooks: register without webhooks.listen or public_url is refused with a message, nothing created",
          "[account][webhooks]") {
  SandboxRun run(options(1, 4, 50), "", std::string("[account]\nresources = ") + kAllResources + "\n");
  REQUIRE(run.sync().exit_code == 0);
  auto r = run.gigasync({"webhooks", "register"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 78);
  CHECK(r.err.find("webhooks.listen (or webhooks.public_url) is not set") != std::string::npos);
  CHECK(run.server.counts().webhooks == 0);
  CHECK(run.count("SELECT count(*) FROM webhooks") == 0);
}

// ---- 2. a move is in the mirror within 2 s of its delivery -----------------------------------------------

TEST_CASE("daemon: webhooks: an accepted payout, a notified one and a paid invoice are in the mirror within 2 s of "
          "the delivery, with no cycle run",
          "[account][webhooks][daemon]") {
  Hooked h(2, 40);
  REQUIRE(h.run.sync().exit_code == 0);
  const int metrics_port = free_port();
  std::ofstream(h.run.config, std::ios::app) << "[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n";
  h.start_daemon();
  // Registered after the daemon started: it is accepted all the same.
  h.register_all();
  const auto ids = h.column("SELECT id FROM integrations ORDER BY id");
  REQUIRE(ids.size() == 2);
  const std::string iid = ids[0];

  const auto notifiable = open_payouts(h, iid, true);
  REQUIRE(notifiable.size() >= 1);
  std::vector<std::string> acceptable;
  for (const auto& p : open_payouts(h, iid))
    if (p != notifiable[0]) acceptable.push_back(p);
  REQUIRE(!acceptable.empty());
  const auto unpaid = h.column("SELECT id FROM invoices WHERE integration_id = '" + ids[1] +
                               "' AND paid_at IS NULL ORDER BY id");
  REQUIRE(!unpaid.empty());
  const std::string invoice = unpaid[0];
  const auto runs = h.column("SELECT id FROM payruns WHERE integration_id = '" + ids[1] + "' AND invoice = '" +
                             invoice + "'");
  REQUIRE(runs.size() == 1);
  const std::string payrun = runs[0];
  REQUIRE(h.mirror_field(ids[1], "invoices", invoice, "paid_at").empty());

  struct Case {
    std::string iid, resource, id, move, event, field;  // field: the mirror's column that must fill
    std::string watch_resource, watch_id;               // where to look for it
  };
  const std::vector<Case> cases = {
      {iid, "payouts", acceptable[0], "accept", "Payout.accepted", "accepted_at", "payouts", acceptable[0]},
      {iid, "payouts", notifiable[0], "notify", "Payout.notified", "notified_at", "payouts", notifiable[0]},
      {ids[1], "invoices", invoice, "pay", "Payrun.paid", "paid_at", "payruns", payrun},
      {ids[1], "invoices", invoice, "", "Payrun.paid", "paid_at", "invoices", invoice},
  };
  double worst_ms = 0;
  for (const auto& c : cases) {
    INFO(c.resource << " " << c.id << " " << c.move << " -> " << c.watch_resource << " " << c.watch_id << "."
                    << c.field);
    if (!c.move.empty()) REQUIRE(h.mirror_field(c.iid, c.watch_resource, c.watch_id, c.field).empty());
    const long long start = wall_micros();
    if (!c.move.empty()) h.move(c.iid, c.resource, c.id, c.move);
    std::string seen;
    const bool applied = eventually(
        [&] { return !(seen = h.mirror_field(c.iid, c.watch_resource, c.watch_id, c.field)).empty(); }, 3s, 2ms);
    const long long observed = wall_micros();
    INFO(h.log());
    CHECK(applied);
    // The delivery that carried it: its first 2XX attempt.
    h.settle();
    auto log = h.deliveries();
    std::optional<long long> delivered;
    for (const auto& d : log.GetArray()) {
      if (str(d["event"]) != c.event || str(d["integration"]) != c.iid || !d["status"].IsInt()) continue;
      if (c.event == "Payrun.paid" && str(d["object_id"]) != payrun) continue;
      if (c.event != "Payrun.paid" && str(d["object_id"]) != c.id) continue;
      CHECK(d["status"].GetInt() == 202);
      if (!delivered) delivered = parse_iso8601(str(d["at"]));
    }
    REQUIRE(delivered);
    const double from_delivery_ms = static_cast<double>(observed - *delivered) / 1000.0;
    const double from_move_ms = static_cast<double>(observed - start) / 1000.0;
    std::printf("webhooks latency: %s %s %s -> %s.%s in the mirror %.1f ms after the delivery (%.1f ms after %s)\n",
                c.resource.c_str(), c.id.c_str(), c.move.empty() ? "(the same move)" : c.move.c_str(),
                c.watch_resource.c_str(), c.field.c_str(), from_delivery_ms, from_move_ms,
                c.move.empty() ? "the payrun's row" : "the move");
    if (!c.move.empty()) {
      CHECK(from_move_ms < 2000);
      CHECK(from_delivery_ms < 2000);
      worst_ms = std::max(worst_ms, from_delivery_ms);
    } else {
      // The invoice changed with its payrun, and no event names invoices: it must come along with the
      // payrun's notification, within the same 2 s of it.
      CHECK(from_delivery_ms < 2000);
    }
    CHECK(h.differences(c.iid, c.watch_resource, c.watch_id) == "");
  }
  std::printf("webhooks latency: worst %.1f ms from delivery to row\n", worst_ms);

  // Every object a delivery named equals the API's; and no cycle ran: only the webhooks explain it.
  check_notified_objects_equal(h, h.deliveries());
  CHECK(h.run.count("SELECT count(*) FROM sync_runs") == h.cycles);
  const auto log = h.log();
  CHECK(log.find("webhook: payout " + acceptable[0] + " of integration " + iid + ": updated") != std::string::npos);
  for (const auto& s : h.secrets()) CHECK(log.find(s) == std::string::npos);
  auto status = h.gigasync({"status"});
  std::string served;
  for (const char* path : {"/metrics", "/healthz"}) {
    httplib::Client c("127.0.0.1", metrics_port);
    c.set_read_timeout(5, 0);
    auto res = c.Get(path);
    REQUIRE(res);
    CHECK(res->status == 200);
    served += res->body;
  }
  for (const auto& s : h.secrets()) {
    CHECK((status.out + status.err).find(s) == std::string::npos);
    CHECK(served.find(s) == std::string::npos);
  }
  h.stop_daemon();
}

// ---- 3. refused notifications --------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: a missing, forged, stale or misdirected signature gets 401, a log line naming the peer, "
          "and changes nothing",
          "[account][webhooks][daemon]") {
  Hooked h(2, 20, 100);
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  h.start_daemon();
  const auto ids = h.column("SELECT id FROM integrations ORDER BY id");
  const std::string iid = ids[0], other = ids[1];
  const std::string pid = h.column("SELECT id FROM payouts WHERE integration_id = '" + iid + "' ORDER BY id").at(0);
  const std::string old_description = h.mirror_field(iid, "payouts", pid, "description");
  change_description(h, iid, pid, "Changed without an event");
  const std::string body = h.api_body(iid, "payouts", pid);
  REQUIRE(body.find("Changed without an event") != std::string::npos);
  const std::string secret = h.secret(iid), other_secret = h.secret(other);
  const std::string path = "/webhooks/" + iid + "/";
  const std::string before = h.snapshot();

  struct Bad {
    const char* what;
    std::string headers;
    std::string body;
    std::string path;
  };
  const long long t = now_s();
  std::string altered = body;
  altered.replace(altered.find("Changed"), 7, "Chang3d");
  const std::vector<Bad> bad = {
      {"missing", "", body, path},
      {"empty", "Gigapay-Signature: \r\n", body, path},
      {"malformed", "Gigapay-Signature: t=abc,v1=zz\r\n", body, path},
      {"forged (another key)", "Gigapay-Signature: " + sign("not-the-secret", t, body) + "\r\n", body, path},
      {"forged (body altered after signing)", "Gigapay-Signature: " + sign(secret, t, body) + "\r\n", altered, path},
      {"stale (too old)", "Gigapay-Signature: " + sign(secret, t - kTolerance - 30, body) + "\r\n", body, path},
      {"stale (too new)", "Gigapay-Signature: " + sign(secret, t + kTolerance + 30, body) + "\r\n", body, path},
      {"misdirected (the other integration's key)", "Gigapay-Signature: " + sign(other_secret, t, body) + "\r\n", body,
       path},
      {"unregistered integration", "Gigapay-Signature: " + sign(secret, t, body) + "\r\n", body,
       "/webhooks/no-such-integration/"},
  };
  std::size_t refusals = 0;
  for (const auto& b : bad) {
    INFO(b.what);
    RawReply r = raw_post(h.port, b.path, b.headers, b.body);
    INFO(r.text);
    CHECK(r.status == 401);
    CHECK(r.text.find(secret) == std::string::npos);
    ++refusals;
    // One WARN per refusal, naming the peer's address.
    CHECK(eventually([&] { return occurrences(h.log(), "refused a notification from " + std::string(kPeer)) == refusals; },
                     3s));
  }
  for (const auto& line : lines_of(h.log())) {
    if (line.find("refused a notification") == std::string::npos) continue;
    INFO(line);
    CHECK(line.find(kPeer) != std::string::npos);
    CHECK(line.find("nothing was changed") != std::string::npos);
  }
  std::this_thread::sleep_for(300ms);  // a worker that wrongly took a hint would have applied it by now
  CHECK(snapshot_diff(before, h.snapshot()) == "");
  CHECK(h.mirror_field(iid, "payouts", pid, "description") == old_description);

  // A stale signature as the sandbox sends it: its clock stepped past the tolerance. Every attempt is
  // refused while the step lasts; stepped back, a retry is signed within tolerance and applies.
  REQUIRE(h.admin("POST", "clock", "{\"offset_s\":" + std::to_string(kTolerance + 120) + "}").status == 200);
  const auto notifiable = open_payouts(h, other, true);
  REQUIRE(!notifiable.empty());
  const std::string before_stale = h.snapshot();
  h.move(other, "payouts", notifiable[0], "notify");
  auto refused_attempts = [&] {
    int n = 0;
    auto log = h.deliveries();
    for (const auto& d : log.GetArray())
      if (str(d["object_id"]) == notifiable[0] && d["status"].IsInt() && d["status"].GetInt() == 401) ++n;
    return n;
  };
  REQUIRE(eventually([&] { return refused_attempts() >= 2; }, 5s));
  CHECK(snapshot_diff(before_stale, h.snapshot()) == "");
  CHECK(h.mirror_field(other, "payouts", notifiable[0], "notified_at").empty());
  CHECK(h.log().find("for integration " + other + ": the signature is outside the tolerance") != std::string::npos);
  REQUIRE(h.admin("POST", "clock", "{\"offset_s\":" + std::to_string(-(kTolerance + 120)) + "}").status == 200);
  CHECK(eventually([&] { return !h.mirror_field(other, "payouts", notifiable[0], "notified_at").empty(); }, 10s));
  CHECK(h.differences(other, "payouts", notifiable[0]) == "");

  // The control: the same body, signed right, from the same peer, applies (what kept it out before
  // was the signature alone).
  RawReply good = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), body) + "\r\n", body);
  INFO(good.text);
  CHECK(good.status == 202);
  CHECK(eventually([&] { return h.mirror_field(iid, "payouts", pid, "description") == "Changed without an event"; }, 2s));
  CHECK(h.differences(iid, "payouts", pid) == "");
  CHECK(h.run.count("SELECT count(*) FROM sync_runs") == h.cycles);
  const auto log = h.log();
  for (const auto& s : h.secrets()) CHECK(log.find(s) == std::string::npos);

  // Unregistered while the daemon runs: the old secret no longer opens the door.
  auto un = h.gigasync({"webhooks", "unregister", "--integration", iid});
  INFO(un.out << un.err);
  REQUIRE(un.exit_code == 0);
  change_description(h, iid, pid, "Changed after unregister");
  const std::string later = h.api_body(iid, "payouts", pid);
  const std::string before_unregistered = h.snapshot();
  RawReply old_key = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), later) + "\r\n", later);
  CHECK(old_key.status == 401);
  CHECK(eventually([&] {
    return h.log().find("refused a notification from " + std::string(kPeer) + " for integration " + iid +
                        ": no webhook of this integration is registered here") != std::string::npos;
  }, 3s));
  std::this_thread::sleep_for(300ms);
  CHECK(snapshot_diff(before_unregistered, h.snapshot()) == "");
  h.stop_daemon();
}

// ---- 4. delivery faults ----------------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: repeated, reordered, delayed and badly signed deliveries leave the notified objects "
          "equal to the API; a dropped one is caught by the next incremental sync",
          "[account][webhooks][daemon]") {
  Hooked h(2, 60, 20);
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  h.start_daemon();
  const auto ids = h.column("SELECT id FROM integrations ORDER BY id");
  const std::string iid = ids[0];
  auto payouts = open_payouts(h, iid, true);
  for (const auto& p : open_payouts(h, ids[1], true)) payouts.push_back(p);
  INFO("payouts neither notified, accepted nor canceled: " << payouts.size());
  REQUIRE(open_payouts(h, iid, true).size() >= 4);
  const auto fresh = open_payouts(h, iid, true);
  auto clear = [&] { REQUIRE(h.admin("DELETE", "webhook-deliveries").status == 204); };

  SECTION("repeated: sent twice, applied, equal") {
    set_webhook_faults(h, 0, 1, 0, 0, 0);
    clear();
    h.move(iid, "payouts", fresh[0], "accept");
    h.settle();
    auto log = h.deliveries();
    REQUIRE(log.Size() == 2);
    CHECK(str(log[1]["fault"]) == "repeat");
    for (const auto& d : log.GetArray()) CHECK(d["status"].GetInt() == 202);
    check_notified_objects_equal(h, log);
    CHECK(!h.mirror_field(iid, "payouts", fresh[0], "accepted_at").empty());
  }

  SECTION("reordered: the older state arrives last, the row still ends at the newer one") {
    set_webhook_faults(h, 0, 0, 1, 0, 0);
    clear();
    h.move(iid, "payouts", fresh[1], "notify");
    h.move(iid, "payouts", fresh[1], "accept");
    h.settle();
    auto log = h.deliveries();
    REQUIRE(log.Size() == 2);
    // Sent in the other order: accepted first, then the (older) notified body.
    CHECK(str(log[0]["event"]) == "Payout.accepted");
    CHECK(str(log[1]["event"]) == "Payout.notified");
    CHECK(str(log[1]["fault"]) == "reorder");
    check_notified_objects_equal(h, log);
    CHECK(h.mirror_field(iid, "payouts", fresh[1], "latest_status") == "accepted");
    CHECK(!h.mirror_field(iid, "payouts", fresh[1], "accepted_at").empty());
  }

  SECTION("delayed: applied within 2 s of the (late) delivery") {
    set_webhook_faults(h, 0, 0, 0, 600, 0);
    clear();
    const long long moved = wall_micros();
    h.move(iid, "payouts", fresh[2], "accept");
    REQUIRE(eventually([&] { return !h.mirror_field(iid, "payouts", fresh[2], "accepted_at").empty(); }, 5s, 2ms));
    const long long observed = wall_micros();
    h.settle();
    auto log = h.deliveries();
    REQUIRE(log.Size() == 1);
    CHECK(str(log[0]["fault"]) == "delay");
    auto at = parse_iso8601(str(log[0]["at"]));
    REQUIRE(at);
    CHECK(*at - moved >= 500'000);  // it was late
    CHECK(observed - *at < 2'000'000);
    std::printf("webhooks latency: delayed delivery -> row %.1f ms\n", static_cast<double>(observed - *at) / 1000.0);
    check_notified_objects_equal(h, log);
  }

  SECTION("bad first signature: refused 401, the retry is signed right and applies") {
    set_webhook_faults(h, 0, 0, 0, 0, 1);
    clear();
    const std::size_t refusals_before = occurrences(h.log(), "refused a notification from 127.0.0.1 for integration " + iid);
    h.move(iid, "payouts", fresh[3], "accept");
    h.settle();
    auto log = h.deliveries();
    REQUIRE(log.Size() == 2);
    CHECK(str(log[0]["fault"]) == "bad_signature");
    CHECK(log[0]["status"].GetInt() == 401);
    CHECK(log[1]["attempt"].GetInt() == 2);
    CHECK(log[1]["status"].GetInt() == 202);
    check_notified_objects_equal(h, log);
    CHECK(occurrences(h.log(), "refused a notification from 127.0.0.1 for integration " + iid) == refusals_before + 1);
  }

  SECTION("all of them at once over many moves, in both integrations") {
    set_webhook_faults(h, 0, 0.4, 0.4, 0, 0.4, 11);
    clear();
    std::map<std::string, std::string> by_payout;  // payout -> integration
    for (const auto& i : ids)
      for (const auto& p : open_payouts(h, i, true)) by_payout[p] = i;
    int moves = 0;
    for (const auto& [p, i] : by_payout) {
      h.move(i, "payouts", p, "notify");
      if (++moves % 2 == 0) h.move(i, "payouts", p, "accept");
      if (moves >= 12) break;
    }
    // A payrun paid too (its open payouts notified on the way).
    const auto unpaid = h.column("SELECT id FROM payruns WHERE integration_id = '" + ids[1] + "' AND paid_at IS NULL");
    if (!unpaid.empty()) h.move(ids[1], "payruns", unpaid[0], "pay");
    h.settle();
    auto log = h.deliveries();
    std::string faults;
    for (const auto& d : log.GetArray()) faults += str(d["fault"]) + ";";
    INFO("faults drawn: " << faults);
    CHECK(faults.find("repeat") != std::string::npos);
    CHECK(faults.find("reorder") != std::string::npos);
    CHECK(faults.find("bad_signature") != std::string::npos);
    check_notified_objects_equal(h, log);
  }

  SECTION("dropped: the mirror stays as it was until the next incremental sync brings it in") {
    set_webhook_faults(h, 1, 0, 0, 0, 0);
    clear();
    h.move(iid, "payouts", fresh[0], "accept");
    h.settle();
    auto log = h.deliveries();
    REQUIRE(log.Size() == 1);
    CHECK_FALSE(log[0]["sent"].GetBool());
    CHECK(str(log[0]["fault"]) == "drop");
    std::this_thread::sleep_for(500ms);
    CHECK(h.mirror_field(iid, "payouts", fresh[0], "accepted_at").empty());
    CHECK(h.differences(iid, "payouts", fresh[0]) != "");
    const auto full_at = h.column("SELECT coalesce(full_at, '') FROM account_sync ORDER BY resource, integration_id");
    auto sync = h.run.sync();
    INFO(sync.out << sync.err);
    REQUIRE(sync.exit_code == 0);
    // Incremental: no resource was listed in full again.
    CHECK(h.column("SELECT coalesce(full_at, '') FROM account_sync ORDER BY resource, integration_id") == full_at);
    CHECK(h.differences(iid, "payouts", fresh[0]) == "");
    CHECK(h.mirror_field(iid, "payouts", fresh[0], "latest_status") == "accepted");
  }

  const auto log = h.log();
  for (const auto& s : h.secrets()) CHECK(log.find(s) == std::string::npos);
  h.stop_daemon();
}

// ---- 5. the body cap -----------------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: a body over 1 MiB is refused 413 and changes nothing; one of exactly 1 MiB is read",
          "[account][webhooks][daemon]") {
  Hooked h(1, 10);
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  h.start_daemon();
  const std::string iid = h.column("SELECT id FROM integrations").at(0);
  const std::string pid = h.column("SELECT id FROM payouts WHERE integration_id = '" + iid + "' ORDER BY id").at(0);
  change_description(h, iid, pid, "Changed without an event");
  const std::string object = h.api_body(iid, "payouts", pid);
  REQUIRE(object.back() == '}');
  const std::string secret = h.secret(iid);
  const std::string path = "/webhooks/" + iid + "/";
  // The object with a padding member making the body exactly `size` bytes, signed right.
  auto padded = [&](std::size_t size) {
    std::string head = object.substr(0, object.size() - 1) + ",\"padding\":\"";
    const std::string tail = "\"}";
    REQUIRE(size > head.size() + tail.size());
    std::string b = head + std::string(size - head.size() - tail.size(), 'x') + tail;
    REQUIRE(b.size() == size);
    return b;
  };
  const std::string before = h.snapshot();

  for (Framing f : {Framing::length, Framing::chunked, Framing::headers_only}) {
    INFO("framing " << static_cast<int>(f));
    const std::string body = padded(kMaxBody + 1);
    const auto started = std::chrono::steady_clock::now();
    RawReply r = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), body) + "\r\n", body, f);
    INFO(r.text.substr(0, 300));
    CHECK(r.status == 413);
    CHECK(std::chrono::steady_clock::now() - started < 3s);  // answered, not timed out
  }
  {
    // A keep-alive connection: answered 413, then closed (the rest of the body is never read as
    // requests of its own).
    const std::string body = padded(kMaxBody + 1);
    const auto started = std::chrono::steady_clock::now();
    RawReply r = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), body) + "\r\n", body,
                          Framing::length, kPeer, true);
    INFO(r.text.substr(0, 300));
    CHECK(r.status == 413);
    CHECK(occurrences(r.text, "HTTP/1.1 ") == 1);
    CHECK(std::chrono::steady_clock::now() - started < 3s);  // closed, not left to the keep-alive timeout
  }
  {
    // Far over the cap, announced: answered without the body being sent at all.
    const std::string body(64 * kMaxBody, 'x');
    RawReply r = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), body) + "\r\n", body,
                          Framing::headers_only);
    CHECK(r.status == 413);
  }
  std::this_thread::sleep_for(300ms);
  CHECK(snapshot_diff(before, h.snapshot()) == "");
  CHECK(h.log().find("webhook: payout " + pid) == std::string::npos);
  CHECK(occurrences(h.log(), "refused a notification from " + std::string(kPeer) + " for integration " + iid +
                                 ": the body is longer than 1048576 bytes") == 5);

  // At the cap: read, checked, applied.
  const std::string at_cap = padded(kMaxBody);
  RawReply ok = raw_post(h.port, path, "Gigapay-Signature: " + sign(secret, now_s(), at_cap) + "\r\n", at_cap);
  INFO(ok.text.substr(0, 300));
  CHECK(ok.status == 202);
  CHECK(eventually([&] { return h.mirror_field(iid, "payouts", pid, "description") == "Changed without an event"; }, 2s));
  CHECK(h.differences(iid, "payouts", pid) == "");
  // The daemon is still serving.
  CHECK(raw_post(h.port, path, "", object).status == 401);
  h.stop_daemon();
}

// ---- resources not mirrored --------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: a signed notification of a resource account.resources does not name is accepted and "
          "ignored",
          "[account][webhooks][daemon]") {
  Hooked h(1, 10, 50, R"(["payouts"])");
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  h.start_daemon();
  const std::string iid = h.column("SELECT id FROM integrations").at(0);
  CHECK(h.run.count("SELECT count(*) FROM employees") == 0);
  // An employee registered (Employee.created), then notified (Employee.notified).
  Reply created = h.http("POST", "/v2/employees/", iid,
                         R"({"id":"webhook-employee","name":"Alva Berg","email":"alva@example.se","country":"SWE"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  h.move(iid, "employees", "webhook-employee", "notify");
  const auto pid = open_payouts(h, iid);
  REQUIRE(!pid.empty());
  h.move(iid, "payouts", pid[0], "accept");  // after it, in the same queue: applied
  CHECK(eventually([&] { return !h.mirror_field(iid, "payouts", pid[0], "accepted_at").empty(); }, 3s));
  h.settle();
  auto log = h.deliveries();
  REQUIRE(log.Size() == 3);
  for (const auto& d : log.GetArray()) CHECK(d["status"].GetInt() == 202);
  CHECK(h.run.count("SELECT count(*) FROM employees") == 0);
  CHECK(h.run.count("SELECT count(*) FROM account_changes WHERE resource = 'employees'") == 0);
  CHECK(h.log().find("is not of a resource account.resources names (employees); ignored") != std::string::npos);
  h.stop_daemon();
}

// ---- IPv6 --------------------------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: a listener on [::1] is registered as http://[::1]:PORT/ and receives the deliveries",
          "[account][webhooks][daemon]") {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool v6 = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (v6 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) port = ntohs(a.sin6_port);
  if (fd >= 0) ::close(fd);
  if (!v6 || port == 0) {
    WARN("no IPv6 loopback here: skipped");
    return;
  }
  Hooked h(1, 10);
  // The same config with the listener moved to [::1].
  std::string config = read_file(h.run.config);
  const std::string v4 = "listen = \"127.0.0.1:" + std::to_string(h.port) + "\"";
  REQUIRE(config.find(v4) != std::string::npos);
  config.replace(config.find(v4), v4.size(), "listen = \"[::1]:" + std::to_string(port) + "\"");
  {
    std::FILE* f = std::fopen(h.run.config.c_str(), "w");
    REQUIRE(f);
    std::fputs(config.c_str(), f);
    std::fclose(f);
  }
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  const std::string iid = h.column("SELECT id FROM integrations").at(0);
  CHECK(h.column("SELECT url FROM webhooks").at(0) == "http://[::1]:" + std::to_string(port) + "/webhooks/" + iid + "/");
  Env e{{"GIGAPAY_TOKEN", "\x01"}, {"GIGASYNC_DB", "\x01"}, {"GIGAPAY_BASE_URL", "\x01"}, {"GIGASYNC_CONFIG", "\x01"},
        {"CREDENTIALS_DIRECTORY", "\x01"}, {"NOTIFY_SOCKET", "\x01"}, {"WATCHDOG_USEC", "\x01"}, {"WATCHDOG_PID", "\x01"}};
  h.daemon = std::make_unique<Child>(gigasync_binary(), std::vector<std::string>{"daemon", "-c", h.run.config}, e,
                                     h.run.dir.path, "daemon");
  REQUIRE(eventually([&] { return h.daemon->err().find("webhooks: listening on http://[::1]:") != std::string::npos; },
                     30s));
  const auto pid = open_payouts(h, iid);
  REQUIRE(!pid.empty());
  h.move(iid, "payouts", pid[0], "accept");
  CHECK(eventually([&] { return !h.mirror_field(iid, "payouts", pid[0], "accepted_at").empty(); }, 3s));
  h.settle();
  auto log = h.deliveries();
  INFO(h.run.server.webhook_deliveries_json() << "\n" << h.log());
  REQUIRE(log.Size() >= 1);
  CHECK(log[0]["status"].GetInt() == 202);
  CHECK(h.differences(iid, "payouts", pid[0]) == "");
  h.stop_daemon();
}

// ---- SIGHUP ------------------------------------------------------------------------------------------

TEST_CASE("daemon: webhooks: after SIGHUP the listener applies the resources the new account.resources names",
          "[account][webhooks][daemon]") {
  Hooked h(1, 10, 50, R"(["payouts"])");
  REQUIRE(h.run.sync().exit_code == 0);
  h.register_all();
  h.start_daemon();
  const std::string iid = h.column("SELECT id FROM integrations").at(0);
  // Before the reload: an employee's notification is accepted and ignored.
  Reply created = h.http("POST", "/v2/employees/", iid,
                         R"({"id":"before-reload","name":"Alva Berg","email":"alva@example.se","country":"SWE"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  h.settle();
  CHECK(eventually([&] { return h.log().find("(employees); ignored") != std::string::npos; }, 3s));
  CHECK(h.run.count("SELECT count(*) FROM employees") == 0);

  // The config now names employees too; SIGHUP.
  std::string config = read_file(h.run.config);
  const std::string old_line = R"(resources = ["payouts"])";
  REQUIRE(config.find(old_line) != std::string::npos);
  config.replace(config.find(old_line), old_line.size(), R"(resources = ["payouts", "employees"])");
  {
    std::FILE* f = std::fopen(h.run.config.c_str(), "w");
    REQUIRE(f);
    std::fputs(config.c_str(), f);
    std::fclose(f);
  }
  h.daemon->signal(SIGHUP);
  REQUIRE(eventually([&] { return h.log().find("SIGHUP: configuration reloaded") != std::string::npos; }, 5s));

  created = h.http("POST", "/v2/employees/", iid,
                   R"({"id":"after-reload","name":"Bo Ek","email":"bo@example.se","country":"SWE"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(eventually([&] { return !h.mirror_field(iid, "employees", "after-reload", "name").empty(); }, 3s));
  CHECK(h.mirror_field(iid, "employees", "after-reload", "name") == "Bo Ek");
  // No cycle ran: the webhook alone brought it in (the one from before the reload stays out).
  CHECK(h.run.count("SELECT count(*) FROM sync_runs") == h.cycles);
  CHECK(h.run.count("SELECT count(*) FROM employees WHERE id = 'before-reload'") == 0);
  h.stop_daemon();
}
