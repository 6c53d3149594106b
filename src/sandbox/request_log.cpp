#include "sandbox/request_log.h"

#include <cerrno>
#include <cstring>

#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

std::string optional_text(const std::string& s, bool present) { return present ? quote(s) : std::string("null"); }

const char* boolean(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string to_json(const RequestRecord& r) {
  return "{\"seq\":" + std::to_string(r.seq) + ",\"method\":" + quote(r.method) + ",\"path\":" + quote(r.path) +
         ",\"query\":" + quote(r.query) + ",\"idempotency_key\":" +
         optional_text(r.idempotency_key.value_or(""), r.idempotency_key.has_value()) +
         ",\"status\":" + std::to_string(r.status) + ",\"replayed\":" + boolean(r.replayed) +
         ",\"applied\":" + boolean(r.applied) + ",\"fault\":" + optional_text(r.fault, !r.fault.empty()) + "}";
}

RequestLog::~RequestLog() {
  if (file_) std::fclose(file_);
}

Status RequestLog::open(const std::string& path) {
  std::lock_guard lock(mu_);
  if (file_) std::fclose(file_);
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) {
    return make_error(ExitCode::cant_create, "cannot open request log " + path + ": " + std::strerror(errno));
  }
  return ok_status();
}

void RequestLog::add(const RequestRecord& r) {
  std::lock_guard lock(mu_);
  records_.push_back(r);
  if (!file_) return;
  std::string line = to_json(r) + "\n";
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

std::vector<RequestRecord> RequestLog::all() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::string RequestLog::all_json() const {
  std::lock_guard lock(mu_);
  std::string out = "[";
  for (const auto& r : records_) {
    if (out.size() > 1) out += ',';
    out += to_json(r);
  }
  return out + "]";
}

}  // namespace gigasync::sandbox
