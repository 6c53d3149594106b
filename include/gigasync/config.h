#pragma once
// Configuration: TOML file < environment < command-line flags. Every key has a default.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gigasync/api_client.h"
#include "gigasync/error.h"
#include "gigasync/http.h"
#include "gigasync/log.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(config);

namespace gigasync {

enum class ConflictPolicy { manual, remote_wins, local_wins };

struct ApiConfig {
  std::string base_url = "https://api.gigapay.se/v2/";  // always ends with '/'
  std::string token_file = "/etc/gigasync/token";
  std::string integration_id;  // sent as Integration-ID when not empty
  int page_size = 100;         // 1..1000
  int concurrency = 4;         // 1..64
  int timeout_s = 30;          // 1..3600
  int max_retries = 5;         // 0..100
  // Allow a plain http:// base_url to a host that is not loopback (the token would cross the
  // network unencrypted). Loopback (127.0.0.0/8, localhost, ::1) is always allowed.
  bool allow_insecure_http = false;
  int max_body_bytes = 8 * 1024 * 1024;  // 1024..1 GiB: longest response body read (api.max_body_bytes)
  bool operator==(const ApiConfig&) const = default;
};

struct DatabaseConfig {
  std::string path = "/var/lib/gigasync/mirror.db";
  int keep_history_days = 90;  // >= 0; 0 keeps history, run records and settled changes forever
  bool operator==(const DatabaseConfig&) const = default;
};

struct SyncConfig {
  int interval_s = 300;  // >= 1
  int jitter_s = 30;     // >= 0
  ConflictPolicy conflict_policy = ConflictPolicy::manual;
  double max_delete_fraction = 0.2;  // 0..1
  int min_delete_guard = 10;         // >= 0: deletions at or under this count are never refused
  double max_push_fraction = 0.2;    // 0..1: a cycle pushing to more of the mirror than this waits ...
  int min_push_guard = 10;           // ... unless it pushes to this many integrations or fewer
  double push_delay_s = 2;           // >= 0
  // Daemon: while cycles fail, the wait between them doubles from interval_s up to this (>= 1).
  int max_backoff_s = 3600;
  // Daemon: a cycle running longer than this is taken as hung and the systemd watchdog is no
  // longer fed, so systemd restarts the daemon. 0: 4 × api.timeout_s × (api.max_retries + 1).
  int cycle_deadline_s = 0;
  bool operator==(const SyncConfig&) const = default;
};

struct MetricsConfig {
  std::string file;  // Prometheus textfile; empty = off
  // Daemon: "HOST:PORT" (IPv6 as "[::1]:9464") where /metrics and /healthz are served over HTTP;
  // empty = off. Checked by parse_listen_address when the config is read.
  std::string listen;
  bool operator==(const MetricsConfig&) const = default;
};

struct NotifyConfig {
  std::string heartbeat_url;  // GET after a good cycle, <url>/fail after a failed one; empty = off
  bool operator==(const NotifyConfig&) const = default;
};

// The account's read-only mirrors (tables employees, payouts, payruns, invoices), read under each
// mirrored integration's Integration-ID.
struct AccountConfig {
  // Which of them are mirrored, in the order written: names of resources with per_integration
  // set (resource_named), each at most once. Empty: integrations only.
  std::vector<std::string> resources = {"employees", "payouts", "payruns", "invoices"};
  int full_every_s = 86400;  // 60..31536000: a full re-list of every resource at most this far apart
  bool operator==(const AccountConfig&) const = default;
};

struct WebhooksConfig {
  // Daemon: "HOST:PORT" (IPv6 as "[::1]:9181") where webhook notifications are received; empty =
  // no listener. Checked by parse_listen_address; an address that is not loopback is allowed (every
  // request must carry a valid signature).
  std::string listen;
  // The URL the API calls (e.g. behind a reverse proxy): empty, or an http(s) URL ending with '/'
  // (normalize_base_url). Empty: http://<listen>/ (see webhooks_public_url).
  std::string public_url;
  int tolerance_s = 300;  // 1..86400: a signature's timestamp further than this from now is refused
  bool operator==(const WebhooksConfig&) const = default;
};

struct Config {
  ApiConfig api;
  DatabaseConfig database;
  SyncConfig sync;
  LogConfig log;
  MetricsConfig metrics;
  NotifyConfig notify;
  AccountConfig account;
  WebhooksConfig webhooks;
  std::string source_path;  // the file it was read from ("" when none)
  // Where the token came from, for messages ("env GIGAPAY_TOKEN", "file /etc/...", "credential ...").
  // Never the token itself.
  std::string token_source;
  // Field by field, source_path and token_source included (e.g. SIGHUP: did anything change?).
  bool operator==(const Config&) const = default;
};

// Parses TOML text. `origin` names the file in messages ("FILE:LINE: ...").
// Unknown keys, wrong types and out-of-range values are errors (ExitCode::config).
Result<Config> parse_config(const std::string& text, const std::string& origin);

// Where the config file is: explicit path, else $GIGASYNC_CONFIG, else /etc/gigasync/gigasync.toml.
std::string config_path(const std::optional<std::string>& explicit_path);

// Loads the file (a missing file is an error only when it was named explicitly or by
// GIGASYNC_CONFIG; otherwise the defaults are used), then applies the environment overrides
// GIGAPAY_BASE_URL and GIGASYNC_DB, then check_transport_security().
Result<Config> load_config(const std::optional<std::string>& explicit_path);

// The token: $GIGAPAY_TOKEN, else $CREDENTIALS_DIRECTORY/gigapay-token, else api.token_file.
// A token file readable by group or others is refused (ExitCode::config); a missing token too.
// Sets cfg.token_source. Trailing whitespace/newlines are stripped.
Result<Secret> load_token(Config& cfg);

const char* to_string(ConflictPolicy p);

// The API client's settings from the [api] section.
ApiSettings api_settings_from(const Config& cfg);

// metrics.listen or webhooks.listen, taken apart: an IP address (IPv4 dotted quad, IPv6 without
// its brackets; the name "localhost" becomes 127.0.0.1) and a port from 1 to 65535.
struct ListenAddress {
  std::string host;
  int port = 0;
  bool loopback = false;  // 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z)
  // "127.0.0.1:9464" or "[::1]:9464", for messages.
  std::string text() const;
};

// "HOST:PORT" with HOST an IPv4 address, "localhost" or a bracketed IPv6 address ("[::1]:9464",
// "[::]:9464"); std::nullopt for anything else (a host name, a missing or out-of-range port).
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// sync.cycle_deadline_s, or its default when 0: 4 × api.timeout_s × (api.max_retries + 1)
// (720 s with the defaults: four times the longest one request may take with its retries).
int cycle_deadline_s(const Config& cfg);

// The URL the API is to call with webhook notifications: webhooks.public_url (ending with '/'),
// else "http://" + webhooks.listen + "/" when a listener is set, else "" (no webhooks).
std::string webhooks_public_url(const Config& cfg);

// Refuses (ExitCode::config) a base_url that libcurl's URL parser (http::parse_url, the reading the
// requests use) refuses, and a plain http:// one whose host is not loopback unless
// api.allow_insecure_http is set: the token would cross the network in clear text.
Status check_transport_security(const Config& cfg);

// Checks an API base URL (http:// or https://, a host, no whitespace, query or fragment) and
// returns it with a lower-case scheme and ending with '/'; std::nullopt when it is unusable.
// Used for api.base_url and GIGAPAY_BASE_URL.
std::optional<std::string> normalize_base_url(const std::string& url);

}  // namespace gigasync
