// libcurl behind the Transport interface: one easy handle per Transport (connection reuse),
// redirects never followed, libcurl errors turned into TransportFailure values.
#include <curl/curl.h>

#include <mutex>

#include "gigasync/http.h"

namespace gigasync::http {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where the body goes, and how much of it may come.
struct BodySink {
  std::string* body = nullptr;
  long long cap = 0;
  bool overflowed = false;
};

// Appends a chunk unless the body would pass the cap; then it returns 0, which makes libcurl
// stop the transfer at once (CURLE_WRITE_ERROR): nothing past the cap is buffered.
size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t len = size * n;
  if (static_cast<long long>(sink->body->size() + len) > sink->cap) {
    sink->overflowed = true;
    return 0;
  }
  sink->body->append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) headers->clear();  // a new response (e.g. after 100-continue)
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

FailureKind classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return FailureKind::timeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR: return FailureKind::connection;
    default: return FailureKind::other;
  }
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(const TransportOptions& o) : options_(o) {
    global_init_once();
    handle_ = curl_easy_init();
  }
  ~CurlTransport() override { curl_easy_cleanup(handle_); }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Outcome perform(const Request& request) override {
    if (handle_ == nullptr) return failure(FailureKind::other, "libcurl could not be initialised");
    curl_easy_reset(handle_);
    Response response;
    BodySink sink{&response.body, options_.max_body_bytes, false};
    curl_slist* header_list = nullptr;
    for (const auto& [name, value] : request.headers)
      header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH")
      header_list = curl_slist_append(header_list, "Expect:");
    set_common(request, response, sink, header_list);
    CURLcode code = curl_easy_perform(handle_);
    curl_slist_free_all(header_list);
    if (sink.overflowed || code == CURLE_FILESIZE_EXCEEDED)
      return failure(FailureKind::too_large, "the response body is larger than " +
                                                 std::to_string(options_.max_body_bytes) + " bytes (api.max_body_bytes)");
    if (code != CURLE_OK) return failure(classify(code), curl_easy_strerror(code));
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &response.status);
    Outcome out;
    out.response = std::move(response);
    return out;
  }

 private:
  void set_common(const Request& request, Response& response, BodySink& sink, curl_slist* header_list) {
    curl_easy_setopt(handle_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "HEAD") curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    if (!request.body.empty() || request.method != "GET") {
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    if (request.method == "GET") curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are reported, never followed
    curl_easy_setopt(handle_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(handle_, CURLOPT_ACCEPT_ENCODING, "gzip");  // not br: servers compress it slowly
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &sink);
    // A declared Content-Length over the cap is refused before the body is read.
    curl_easy_setopt(handle_, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes));
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &response.headers);
  }

  static Outcome failure(FailureKind kind, std::string message) {
    Outcome out;
    out.failure = TransportFailure{kind, std::move(message)};
    return out;
  }

  TransportOptions options_;
  CURL* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace gigasync::http
