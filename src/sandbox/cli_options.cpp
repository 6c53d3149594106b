// `gigasync sandbox`: flags and the foreground run.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "gigasync/sandbox.h"
#include "gigasync/timestamp.h"

namespace gigasync::sandbox {
namespace {

void add_fault_options(CLI::App& sub, Faults& f) {
  sub.add_option("--latency-ms", f.latency_ms, "Delay added to every API request (ms)")->check(CLI::NonNegativeNumber);
  sub.add_option("--rate-limit-every", f.rate_limit_every, "Answer every Nth API request 429")->check(CLI::NonNegativeNumber);
  sub.add_option("--retry-after", f.retry_after_s, "Retry-After seconds sent with 429")->check(CLI::NonNegativeNumber);
  sub.add_option("--error-rate", f.error_rate, "Fraction answered 502/503 with an HTML body")->check(CLI::Range(0.0, 1.0));
  sub.add_option("--lose-response-rate", f.lose_response_rate, "Fraction of writes applied, then the connection dropped")
      ->check(CLI::Range(0.0, 1.0));
  sub.add_option("--truncate-rate", f.truncate_rate, "Fraction of GET bodies cut in half")->check(CLI::Range(0.0, 1.0));
  sub.add_option("--drift-every", f.drift_every, "Every Nth list page: delete an earlier object, add a new one")
      ->check(CLI::NonNegativeNumber);
  sub.add_option("--foreign-next", f.foreign_next, "Origin to use in next/previous links (e.g. http://127.0.0.2:9/)");
  sub.add_flag("--forbid", f.forbid, "Answer every API request 403 (IP allow-list)");
  sub.add_option("--fault-seed", f.fault_seed, "RNG seed for the fault fractions");
  sub.add_option("--refuse-integration", f.refused_integrations,
                 "Answer 403 to requests for this integration's objects (Integration-ID); repeatable");
  sub.add_option("--webhook-drop-rate", f.webhook_drop_rate, "Fraction of webhook deliveries never sent")
      ->check(CLI::Range(0.0, 1.0));
  sub.add_option("--webhook-repeat-rate", f.webhook_repeat_rate, "Fraction of webhook deliveries sent twice")
      ->check(CLI::Range(0.0, 1.0));
  sub.add_option("--webhook-reorder-rate", f.webhook_reorder_rate,
                 "Fraction of webhook deliveries held back and sent after the next one")
      ->check(CLI::Range(0.0, 1.0));
  sub.add_option("--webhook-delay-ms", f.webhook_delay_ms, "Delay before every webhook delivery (ms)")
      ->check(CLI::NonNegativeNumber);
  sub.add_option("--webhook-bad-signature-rate", f.webhook_bad_signature_rate,
                 "Fraction of webhook deliveries whose first attempt has a wrong signature")
      ->check(CLI::Range(0.0, 1.0));
}

// Every /_sandbox/ endpoint, for --help (the same list as in include/gigasync/sandbox.h).
const char* kAdminHelp = R"(Admin endpoints (same token, no faults, not in the request log; IID = integration id,
RESOURCE = employees | payouts | payruns | invoices | webhooks):
  GET    /_sandbox/requests                      the request log (JSON array)
  GET    /_sandbox/faults                        the faults; POST a JSON object to change some
  GET    /_sandbox/integrations/                 every integration (JSON array)
  PUT    /_sandbox/integrations/IID              store an integration as given; DELETE removes it
  GET    /_sandbox/integrations/IID/RESOURCE/    every object of RESOURCE (JSON array)
  GET    /_sandbox/integrations/IID/RESOURCE/ID  one object; PATCH sets fields as given (stamps
                                                 nothing, no event); DELETE removes it with what
                                                 depends on it
  POST   /_sandbox/integrations/IID/employees/ID/notify | claim | verify
  POST   /_sandbox/integrations/IID/payouts/ID/notify | accept | cancel
  POST   /_sandbox/integrations/IID/payruns/ID/close | pay
  POST   /_sandbox/integrations/IID/invoices/ID/issue | pay
  GET    /_sandbox/clock                         {"now":..,"offset_s":..}; POST {"offset_s": N} steps it
  GET    /_sandbox/webhook-deliveries            every delivery attempt; ?pending=1: {"pending": N};
                                                 DELETE forgets them)";

// The token: the file's first line (trailing whitespace stripped), else the environment.
bool resolve_token(Options& o, const std::string& token_file) {
  if (token_file.empty()) {
    const char* env = std::getenv("GIGASYNC_SANDBOX_TOKEN");
    if (env && *env) o.token = env;
    return true;
  }
  std::ifstream in(token_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (!in || token.empty()) {
    std::cerr << "gigasync sandbox: cannot read a token from " << token_file << "\n";
    return false;
  }
  o.token = token;
  return true;
}

int exit_code(const Error& e) { return static_cast<int>(e.code); }

// SIGINT and SIGTERM, whichever thread receives them, wake wait() through a pipe. The previous
// handlers come back on destruction. A handler (not sigwait) because threads started before
// us may not block the signals.
int g_stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  char byte = 1;
  [[maybe_unused]] auto n = ::write(g_stop_pipe[1], &byte, 1);
}

class StopSignals {
 public:
  StopSignals() {
    if (::pipe2(g_stop_pipe, O_CLOEXEC) != 0) g_stop_pipe[0] = g_stop_pipe[1] = -1;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    for (int& fd : g_stop_pipe) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  void wait() {
    char byte = 0;
    while (::read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace

void add_cli_options(CLI::App& sub, Options& o, std::string& token_file) {
  sub.add_option("--host", o.host, "Address to listen on")->capture_default_str();
  sub.add_option("--port", o.port, "Port to listen on (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  sub.add_option("--seed", o.seed, "Integrations to generate at start")->check(CLI::NonNegativeNumber);
  sub.add_option("--data-seed", o.data_seed, "RNG seed for the generated data")->capture_default_str();
  sub.add_option("--max-page-size", o.max_page_size, "Largest page_size served")->capture_default_str()->check(CLI::PositiveNumber);
  sub.add_option("--token-file", token_file, "File holding the accepted token (else $GIGASYNC_SANDBOX_TOKEN, else sandbox-token)");
  sub.add_option("--request-log", o.request_log, "Append one JSON line per API request to this file");
  sub.add_option("--extra-field", o.extra_fields,
                 "Serve a field the documents do not describe (writable text, default \"\"); repeatable");
  sub.add_option("--seed-payouts", o.seed_payouts,
                 "Payouts to generate across the seeded integrations, with employees, payruns and invoices")
      ->check(CLI::NonNegativeNumber);
  sub.add_option("--clock-start", o.clock_start, "ISO 8601 time the sandbox's clock starts at (default: now)")
      ->check([](const std::string& v) {
        return parse_iso8601(v) ? std::string() : std::string("not an ISO 8601 time: ") + v;
      })
      ->type_name("TIME");
  sub.add_option("--webhook-retry-ms", o.webhook_retry_ms, "First retry delay of a failed webhook delivery (ms)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_fault_options(sub, o.faults);
  sub.footer(kAdminHelp);
}

int run_foreground(Options o, const std::string& token_file) {
  if (!resolve_token(o, token_file)) return static_cast<int>(ExitCode::config);
  Server server(std::move(o));
  auto port = server.start();
  if (!port) {
    std::cerr << "gigasync sandbox: " << port.error().message << "\n";
    return exit_code(port.error());
  }
  StopSignals stop;
  ObjectCounts n = server.counts();
  std::cout << "gigasync sandbox: listening on " << server.base_url() << " (" << n.integrations << " integrations, "
            << n.employees << " employees, " << n.payouts << " payouts, " << n.payruns << " payruns, " << n.invoices
            << " invoices)" << std::endl;
  stop.wait();
  server.stop();
  return 0;
}

}  // namespace gigasync::sandbox
