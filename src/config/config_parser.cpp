// parse_config: TOML text -> Config, driven by one table of keys (section, name, rule).
// Every message is one line, "FILE:LINE: ...", and never holds the API token.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/http.h"
#include "gigasync/resource.h"

namespace gigasync {
namespace {

constexpr std::array<std::string_view, 8> kSections = {"api",     "database", "sync",    "log",
                                                       "metrics", "notify",   "account", "webhooks"};

constexpr std::string_view kTokenAdvice =
    "the token must not be written in the config file; put it in the file named by "
    "api.token_file (chmod 600) or in the environment variable GIGAPAY_TOKEN";

// Control characters would break the one-line rule of messages: show them escaped.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::string quote_text(std::string_view s) { return "\"" + printable(s) + "\""; }

std::string format_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  return std::string(buf.data(), res.ptr);
}

// How a value is shown after "got". Strings are shown only for keys whose values are
// harmless to echo (choices, URLs); elsewhere only their type is named, so a secret pasted
// into the wrong key is not repeated.
std::string describe(const toml::node& n, bool show_strings) {
  switch (n.type()) {
    case toml::node_type::string:
      if (show_strings) return quote_text(n.as_string()->get());
      return n.as_string()->get().empty() ? "an empty string" : "a string";
    case toml::node_type::integer:
      return std::to_string(n.as_integer()->get());
    case toml::node_type::floating_point:
      return format_double(n.as_floating_point()->get());
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A part of a value that is not acceptable, for keys whose values have parts (arrays): what is
// shown after "got" and where it was written (line 0: where the key is).
struct Refusal {
  toml::source_position at{};
  std::string got;
};

// One entry of the key table: where the key lives, what its value must be, and how it is stored.
struct KeyRule {
  std::string_view section;
  std::string_view name;
  std::string expectation;  // completes "api.page_size must be ..."
  bool show_strings = false;
  std::function<bool(const toml::node&, Config&)> apply;  // false: the value is not acceptable
  // Instead of apply, for values with parts: every part that is not acceptable (none: stored).
  std::function<std::vector<Refusal>(const toml::node&, Config&)> examine = nullptr;
};

using IntField = int& (*)(Config&);
using DoubleField = double& (*)(Config&);
using StringField = std::string& (*)(Config&);

KeyRule int_key(std::string_view section, std::string_view name, IntField field, int lo, int hi) {
  std::string expectation = hi == INT_MAX
                                ? "an integer >= " + std::to_string(lo)
                                : "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  return {section, name, std::move(expectation), false, [field, lo, hi](const toml::node& n, Config& c) {
            const auto* v = n.as_integer();
            if (v == nullptr) return false;
            const std::int64_t x = v->get();
            if (x < lo || x > hi) return false;
            field(c) = static_cast<int>(x);
            return true;
          }};
}

// A number: floats, and integers too (push_delay_s = 2 means 2.0). hi = infinity: no upper bound.
KeyRule number_key(std::string_view section, std::string_view name, DoubleField field, double lo, double hi) {
  std::string expectation = std::isinf(hi) ? "a number >= " + format_double(lo)
                                           : "a number from " + format_double(lo) + " to " + format_double(hi);
  return {section, name, std::move(expectation), false, [field, lo, hi](const toml::node& n, Config& c) {
            double x = 0;
            if (const auto* i = n.as_integer()) {
              x = static_cast<double>(i->get());
            } else if (const auto* f = n.as_floating_point()) {
              x = f->get();
            } else {
              return false;
            }
            if (!std::isfinite(x) || x < lo || x > hi) return false;
            field(c) = x;
            return true;
          }};
}

using BoolField = bool& (*)(Config&);

KeyRule bool_key(std::string_view section, std::string_view name, BoolField field) {
  return {section, name, "true or false", false, [field](const toml::node& n, Config& c) {
            const auto* v = n.as_boolean();
            if (v == nullptr) return false;
            field(c) = v->get();
            return true;
          }};
}

enum class Empty { allowed, refused };

KeyRule string_key(std::string_view section, std::string_view name, StringField field, Empty empty) {
  return {section, name, empty == Empty::allowed ? "a string" : "a non-empty string", false,
          [field, empty](const toml::node& n, Config& c) {
            const auto* v = n.as_string();
            if (v == nullptr) return false;
            if (empty == Empty::refused && v->get().empty()) return false;
            field(c) = v->get();
            return true;
          }};
}

// One of a fixed list of words; `store` receives the index of the word in `choices`.
template <std::size_t N>
KeyRule choice_key(std::string_view section, std::string_view name, std::array<std::string_view, N> choices,
                   void (*store)(Config&, std::size_t)) {
  std::string expectation = "one of ";
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) expectation += ", ";
    expectation += choices[i];
  }
  return {section, name, std::move(expectation), true, [choices, store](const toml::node& n, Config& c) {
            const auto* v = n.as_string();
            if (v == nullptr) return false;
            const auto it = std::find(choices.begin(), choices.end(), std::string_view(v->get()));
            if (it == choices.end()) return false;
            store(c, static_cast<std::size_t>(it - choices.begin()));
            return true;
          }};
}

// An http(s) URL, stored as normalize_base_url gives it. `empty_means` not empty: "" is allowed
// too, and means that (for the message).
KeyRule url_key(std::string_view section, std::string_view name, StringField field,
                std::string_view empty_means = {}) {
  std::string expectation = "an http:// or https:// URL without query or fragment";
  if (!empty_means.empty()) expectation += ", or \"\" for " + std::string(empty_means);
  const bool empty_allowed = !empty_means.empty();
  return {section, name, std::move(expectation), true,
          [field, empty_allowed](const toml::node& n, Config& c) {
            const auto* v = n.as_string();
            if (v == nullptr) return false;
            if (empty_allowed && v->get().empty()) {
              field(c).clear();
              return true;
            }
            auto url = normalize_base_url(v->get());
            if (!url) return false;
            field(c) = std::move(*url);
            return true;
          }};
}

KeyRule listen_key(std::string_view section, std::string_view name, StringField field) {
  return {section, name,
          "\"HOST:PORT\" with HOST an IP address (e.g. \"127.0.0.1:9464\", \"[::1]:9464\"), or \"\" for off", true,
          [field](const toml::node& n, Config& c) {
            const auto* v = n.as_string();
            if (v == nullptr) return false;
            if (!v->get().empty() && !parse_listen_address(v->get())) return false;
            field(c) = v->get();
            return true;
          }};
}

using StringListField = std::vector<std::string>& (*)(Config&);

// An array of names of the resources read under an Integration-ID (Resource::per_integration),
// each at most once, kept in the order written; [] is allowed. Every bad element is reported at
// its own line.
KeyRule resources_key(std::string_view section, std::string_view name, StringListField field) {
  std::string accepted;
  for (const Resource* r : all_resources()) {
    if (!r->per_integration) continue;
    if (!accepted.empty()) accepted += ", ";
    accepted += r->name;
  }
  KeyRule rule{section, name, "an array of distinct names from " + accepted + " ([] for integrations only)", true,
               nullptr};
  rule.examine = [field](const toml::node& n, Config& c) {
    std::vector<Refusal> refusals;
    const auto* array = n.as_array();
    if (array == nullptr) {
      refusals.push_back({{}, describe(n, true)});
      return refusals;
    }
    std::vector<std::string> names;
    for (const toml::node& element : *array) {
      const auto at = element.source().begin;
      const auto* v = element.as_string();
      if (v == nullptr) {
        refusals.push_back({at, describe(element, false)});
        continue;
      }
      const std::string& word = v->get();
      const Resource* r = resource_named(word);
      if (r == nullptr || !r->per_integration) {
        refusals.push_back({at, quote_text(word) + (r == nullptr ? "" : " (" + std::string(r->name) +
                                                                             " are always mirrored)")});
      } else if (std::find(names.begin(), names.end(), word) != names.end()) {
        refusals.push_back({at, quote_text(word) + " twice"});
      } else {
        names.push_back(word);
      }
    }
    if (refusals.empty()) field(c) = std::move(names);
    return refusals;
  };
  return rule;
}

constexpr std::array<std::string_view, 3> kPolicies = {"manual", "remote-wins", "local-wins"};
constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr std::array<std::string_view, 2> kFormats = {"text", "json"};

// The configuration keys, in the order of the documented example (and of "known keys" lists).
const std::vector<KeyRule>& key_table() {
  static const std::vector<KeyRule> table = {
      url_key("api", "base_url", [](Config& c) -> std::string& { return c.api.base_url; }),
      string_key("api", "token_file", [](Config& c) -> std::string& { return c.api.token_file; }, Empty::allowed),
      string_key("api", "integration_id", [](Config& c) -> std::string& { return c.api.integration_id; },
                 Empty::allowed),
      int_key("api", "page_size", [](Config& c) -> int& { return c.api.page_size; }, 1, 1000),
      int_key("api", "concurrency", [](Config& c) -> int& { return c.api.concurrency; }, 1, 64),
      int_key("api", "timeout_s", [](Config& c) -> int& { return c.api.timeout_s; }, 1, 3600),
      int_key("api", "max_retries", [](Config& c) -> int& { return c.api.max_retries; }, 0, 100),
      bool_key("api", "allow_insecure_http", [](Config& c) -> bool& { return c.api.allow_insecure_http; }),
      int_key("api", "max_body_bytes", [](Config& c) -> int& { return c.api.max_body_bytes; }, 1024, 1 << 30),
      string_key("database", "path", [](Config& c) -> std::string& { return c.database.path; }, Empty::refused),
      int_key("database", "keep_history_days", [](Config& c) -> int& { return c.database.keep_history_days; }, 0,
              INT_MAX),
      int_key("sync", "interval_s", [](Config& c) -> int& { return c.sync.interval_s; }, 1, INT_MAX),
      int_key("sync", "jitter_s", [](Config& c) -> int& { return c.sync.jitter_s; }, 0, INT_MAX),
      choice_key("sync", "conflict_policy", kPolicies,
                 [](Config& c, std::size_t i) { c.sync.conflict_policy = static_cast<ConflictPolicy>(i); }),
      number_key("sync", "max_delete_fraction", [](Config& c) -> double& { return c.sync.max_delete_fraction; }, 0.0,
                 1.0),
      int_key("sync", "min_delete_guard", [](Config& c) -> int& { return c.sync.min_delete_guard; }, 0, INT_MAX),
      number_key("sync", "max_push_fraction", [](Config& c) -> double& { return c.sync.max_push_fraction; }, 0.0, 1.0),
      int_key("sync", "min_push_guard", [](Config& c) -> int& { return c.sync.min_push_guard; }, 0, INT_MAX),
      number_key("sync", "push_delay_s", [](Config& c) -> double& { return c.sync.push_delay_s; }, 0.0,
                 HUGE_VAL),
      int_key("sync", "max_backoff_s", [](Config& c) -> int& { return c.sync.max_backoff_s; }, 1, INT_MAX),
      int_key("sync", "cycle_deadline_s", [](Config& c) -> int& { return c.sync.cycle_deadline_s; }, 0, INT_MAX),
      choice_key("log", "level", kLevels, [](Config& c, std::size_t i) { c.log.level = std::string(kLevels[i]); }),
      choice_key("log", "format", kFormats,
                 [](Config& c, std::size_t i) { c.log.format = i == 0 ? LogFormat::text : LogFormat::json; }),
      string_key("metrics", "file", [](Config& c) -> std::string& { return c.metrics.file; }, Empty::allowed),
      listen_key("metrics", "listen", [](Config& c) -> std::string& { return c.metrics.listen; }),
      string_key("notify", "heartbeat_url", [](Config& c) -> std::string& { return c.notify.heartbeat_url; },
                 Empty::allowed),
      resources_key("account", "resources", [](Config& c) -> std::vector<std::string>& { return c.account.resources; }),
      int_key("account", "full_every_s", [](Config& c) -> int& { return c.account.full_every_s; }, 60, 31536000),
      listen_key("webhooks", "listen", [](Config& c) -> std::string& { return c.webhooks.listen; }),
      url_key("webhooks", "public_url", [](Config& c) -> std::string& { return c.webhooks.public_url; },
              "http://LISTEN/"),
      int_key("webhooks", "tolerance_s", [](Config& c) -> int& { return c.webhooks.tolerance_s; }, 1, 86400),
  };
  return table;
}

const KeyRule* find_rule(std::string_view section, std::string_view name) {
  for (const auto& rule : key_table()) {
    if (rule.section == section && rule.name == name) return &rule;
  }
  return nullptr;
}

std::string known_keys(std::string_view section) {
  std::string out;
  for (const auto& rule : key_table()) {
    if (rule.section != section) continue;
    if (!out.empty()) out += ", ";
    out += rule.name;
  }
  return out;
}

std::string known_sections() {
  std::string out;
  for (const auto s : kSections) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

bool is_section(std::string_view name) {
  return std::find(kSections.begin(), kSections.end(), name) != kSections.end();
}

struct Problem {
  toml::source_position at;
  std::string text;
};

// Where a key was written: the key itself, else its value.
toml::source_position position_of(const toml::key& key, const toml::node& value) {
  if (key.source().begin) return key.source().begin;
  return value.source().begin;
}

std::string located(const std::string& origin, toml::source_position at, bool with_column = false) {
  std::string out = origin;
  if (at.line > 0) {
    out += ':' + std::to_string(at.line);
    if (with_column && at.column > 0) out += ':' + std::to_string(at.column);
  }
  return out + ": ";
}

// Does line `line` (1-based) of `text` assign a key named token (`token =`, `"token" =`,
// `api.token =`, `{ token = ...`)? A syntax error on such a line is reported without
// toml++'s description, which may quote a piece of the value.
bool line_sets_token(std::string_view text, toml::source_index line) {
  std::size_t start = 0;
  for (toml::source_index l = 1; l < line && start != std::string_view::npos; ++l) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return false;
  const std::string_view row = text.substr(start, text.find('\n', start) - start);
  constexpr std::string_view kWord = "token";
  for (auto pos = row.find(kWord); pos != std::string_view::npos; pos = row.find(kWord, pos + 1)) {
    auto after = pos + kWord.size();
    while (after < row.size() && (row[after] == ' ' || row[after] == '\t' || row[after] == '"' || row[after] == '\'')) {
      ++after;
    }
    if (after < row.size() && row[after] == '=') return true;
  }
  return false;
}

void check_section(const std::string& section, const toml::table& tbl, Config& cfg, std::vector<Problem>& problems) {
  for (auto&& [key, value] : tbl) {
    const std::string name(key.str());
    const std::string full = section + "." + printable(name);
    const auto at = position_of(key, value);
    if (name == "token") {
      problems.push_back({at, full + " is not allowed: " + std::string(kTokenAdvice)});
      continue;
    }
    const KeyRule* rule = find_rule(section, name);
    if (rule == nullptr) {
      problems.push_back({at, "unknown key '" + full + "' (known keys in [" + section + "]: " + known_keys(section) + ")"});
      continue;
    }
    if (rule->examine) {
      for (auto& refusal : rule->examine(value, cfg)) {
        problems.push_back({refusal.at.line > 0 ? refusal.at : at,
                            full + " must be " + rule->expectation + ", got " + refusal.got});
      }
    } else if (!rule->apply(value, cfg)) {
      problems.push_back({at, full + " must be " + rule->expectation + ", got " + describe(value, rule->show_strings)});
    }
  }
}

}  // namespace

std::optional<std::string> normalize_base_url(const std::string& url) {
  std::string scheme;
  for (const std::string_view candidate : {std::string_view("https://"), std::string_view("http://")}) {
    if (url.size() < candidate.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < candidate.size(); ++i) {
      const char c = url[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (lower != candidate[i]) same = false;
    }
    if (same) {
      scheme = candidate;
      break;
    }
  }
  if (scheme.empty()) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  const auto host_end = rest.find('/');
  if (rest.empty() || host_end == 0) return std::nullopt;  // no host
  for (const char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#') return std::nullopt;
  }
  if (rest.back() != '/') rest += '/';
  return scheme + rest;
}

std::string ListenAddress::text() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port[0] == '0') return std::nullopt;
  int number = 0;
  const auto res = std::from_chars(port.data(), port.data() + port.size(), number);
  if (res.ec != std::errc() || res.ptr != port.data() + port.size() || number < 1 || number > 65535) {
    return std::nullopt;
  }
  ListenAddress out;
  out.port = number;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr v6{};
    if (::inet_pton(AF_INET6, out.host.c_str(), &v6) != 1) return std::nullopt;
    out.loopback = http::is_loopback_host(out.host);
    return out;
  }
  out.host = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, out.host.c_str(), &v4) != 1) return std::nullopt;
  out.loopback = http::is_loopback_host(out.host);
  return out;
}

const char* to_string(ConflictPolicy p) {
  switch (p) {
    case ConflictPolicy::manual:
      return "manual";
    case ConflictPolicy::remote_wins:
      return "remote-wins";
    case ConflictPolicy::local_wins:
      return "local-wins";
  }
  return "manual";
}

Result<Config> parse_config(const std::string& text, const std::string& origin) {
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(std::string_view(text), std::string_view(origin));
  } catch (const toml::parse_error& e) {
    const auto at = e.source().begin;
    std::string why = line_sets_token(text, at.line) ? std::string(kTokenAdvice) : printable(e.description());
    return make_error(ExitCode::config, located(origin, at, true) + "TOML syntax error: " + why);
  }
#else
  auto parsed = toml::parse(std::string_view(text), std::string_view(origin));
  if (!parsed) {
    const auto& e = parsed.error();
    const auto at = e.source().begin;
    std::string why = line_sets_token(text, at.line) ? std::string(kTokenAdvice) : printable(e.description());
    return make_error(ExitCode::config, located(origin, at, true) + "TOML syntax error: " + why);
  }
  root = std::move(parsed).table();
#endif

  Config cfg;
  std::vector<Problem> problems;
  for (auto&& [key, value] : root) {
    const std::string name(key.str());
    const auto at = position_of(key, value);
    if (name == "token") {
      problems.push_back({at, "token is not allowed: " + std::string(kTokenAdvice)});
    } else if (!is_section(name)) {
      problems.push_back({at, value.is_table() ? "unknown section [" + printable(name) + "] (known sections: " +
                                                     known_sections() + ")"
                                               : "unknown key '" + printable(name) +
                                                     "' outside any section (known sections: " + known_sections() + ")"});
    } else if (const auto* tbl = value.as_table()) {
      check_section(name, *tbl, cfg, problems);
    } else {
      problems.push_back({at, name + " must be a section [" + name + "], got " + describe(value, false)});
    }
  }
  if (!problems.empty()) {
    // Every problem, in file order (so fixing them top to bottom works), on one line.
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
      return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
    });
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + located(origin, p.at) + p.text;
    return make_error(ExitCode::config, message);
  }
  return cfg;
}

}  // namespace gigasync
