// The only file that includes <curl/curl.h>. One thread drives a curl multi handle: post() hands
// it a request through a mutex-guarded queue and curl_multi_wakeup(); the thread starts it at once,
// polls every transfer together and runs each callback when its transfer ends.
//
// Oversized answers: past max_body_bytes the write callback stops storing but keeps reading, so
// the status and headers of the answer still count (a 429 with a huge page is still a 429) and
// the connection ends cleanly; the total timeout bounds how long an endless body can keep it.
#include "deliver/http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <exception>
#include <future>
#include <unordered_map>

#include "alert/sink.h"

namespace gw {
namespace {

// curl shortens this wait for its own timers and post() ends it early with curl_multi_wakeup();
// it only bounds how long a lost wakeup could delay a request.
constexpr int kPollTimeoutMs = 1000;
// A Retry-After is a number or a 29-character date; anything longer is not kept.
constexpr std::size_t kMaxRetryAfterChars = 64;
constexpr const char* kUserAgent = "gatewatch";
constexpr const char* kCancelled = "cancelled: gatewatch is stopping";

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request from post() to its callback. Heap-allocated and never moved while curl holds
// pointers into it (the body, the error buffer, the answer).
struct Transfer {
  HttpPost request;
  HttpClient::Done done;
  std::size_t max_body = 0;
  EasyPtr easy;
  SlistPtr headers;
  HttpAnswer answer;
  std::array<char, CURL_ERROR_SIZE> error{};
  std::chrono::steady_clock::time_point started{};
};

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trimmed(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  std::string& body = transfer->answer.body;
  if (body.size() < transfer->max_body) {
    body.append(data, std::min(bytes, transfer->max_body - body.size()));
  }
  return bytes;  // all of it "taken": see the file comment
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const std::string_view line(data, bytes);
  // A status line starts a new answer (after a 1xx): forget the previous one's header.
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    transfer->answer.retry_after.clear();
    return bytes;
  }
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && equalsNoCase(line.substr(0, kName.size()), kName)) {
    const std::string_view value = trimmed(line.substr(kName.size()));
    transfer->answer.retry_after = std::string(value.substr(0, kMaxRetryAfterChars));
  }
  return bytes;
}

bool hasLineBreak(std::string_view text) { return text.find_first_of("\r\n") != text.npos; }

// curl's message for a failed transfer, without the request's URL (nor its path, which is the
// secret of a Slack webhook). Host names stay: they are what an operator needs to check DNS.
std::string describeFailure(CURLcode code, const Transfer& transfer) {
  std::string message = transfer.error[0] != '\0' ? std::string(transfer.error.data())
                                                  : std::string(curl_easy_strerror(code));
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  const auto replaceAll = [&message](std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (std::size_t at = message.find(what); at != std::string::npos;
         at = message.find(what, at + with.size())) {
      message.replace(at, what.size(), with);
    }
  };
  const std::string& url = transfer.request.url;
  replaceAll(url, displayUrl(url));
  const std::size_t authority = url.find("://");
  if (authority != std::string::npos) {
    const std::size_t path = url.find_first_of("/?#", authority + 3);
    if (path != std::string::npos && url.size() - path > 1) {
      replaceAll(std::string_view(url).substr(path), "/…");
    }
  }
  return message;
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions opts) : options(opts) {}

  HttpClientOptions options;
  MultiPtr multi;

  mutable std::mutex mutex;
  std::deque<std::unique_ptr<Transfer>> queue;  // guarded by mutex
  bool stopping = false;                        // guarded by mutex
  bool closed = false;  // guarded by mutex: the thread is done; post() answers at once

  std::atomic<std::size_t> in_flight{0};
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;  // the thread's alone
  std::thread thread;

  void run();
  void start(std::unique_ptr<Transfer> transfer);
  void collectFinished();
  void complete(Transfer& transfer);
  void fail(Transfer& transfer, std::string error) {
    transfer.answer = HttpAnswer{};
    transfer.answer.transport_error = std::move(error);
    complete(transfer);
  }
};

void HttpClient::Impl::run() {
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mutex);
      if (stopping) break;
      incoming.swap(queue);
    }
    for (auto& transfer : incoming) start(std::move(transfer));
    int running = 0;
    curl_multi_perform(multi.get(), &running);
    collectFinished();
    if (curl_multi_poll(multi.get(), nullptr, 0, kPollTimeoutMs, nullptr) != CURLM_OK) {
      // Not expected (out of memory, a bad handle); waiting instead of polling keeps a failing
      // poll from spinning a core while the loop keeps its timeouts.
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollTimeoutMs));
    }
  }

  // Stopping: abandon what is in flight, then whatever is queued (callbacks may post more) until
  // the queue stays empty; from then on post() answers by itself.
  auto abandoned = std::move(active);
  active.clear();
  for (auto& [easy, transfer] : abandoned) {
    curl_multi_remove_handle(multi.get(), easy);
    fail(*transfer, kCancelled);
  }
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> queued;
    {
      std::lock_guard lock(mutex);
      if (queue.empty()) {
        closed = true;
        break;
      }
      queued.swap(queue);
    }
    for (auto& transfer : queued) fail(*transfer, kCancelled);
  }
}

void HttpClient::Impl::start(std::unique_ptr<Transfer> transfer) {
  Transfer& t = *transfer;
  t.max_body = options.max_body_bytes;
  t.easy.reset(curl_easy_init());
  if (!t.easy) return fail(t, "cannot create a curl handle (out of memory?)");

  // The list is owned from its first node: a header refused halfway frees what was built.
  const auto append = [&t](const std::string& line) {
    curl_slist* grown = curl_slist_append(t.headers.get(), line.c_str());
    if (grown == nullptr) return false;  // the list is unchanged and still owned
    static_cast<void>(t.headers.release());
    t.headers.reset(grown);
    return true;
  };
  for (const auto& [name, value] : t.request.headers) {
    if (hasLineBreak(name) || hasLineBreak(value)) {
      return fail(t, "request header " + name + " holds a line break; not sent");
    }
    if (!append(name + ": " + value)) {
      return fail(t, "cannot build the request headers (out of memory?)");
    }
  }
  // No "Expect: 100-continue": receivers that do not answer it would cost a second per request.
  if (!append("Expect:")) return fail(t, "cannot build the request headers (out of memory?)");

  CURL* easy = t.easy.get();
  CURLcode rc = CURLE_OK;
  const auto check = [&rc](CURLcode code) {
    if (rc == CURLE_OK) rc = code;
  };
  check(curl_easy_setopt(easy, CURLOPT_URL, t.request.url.c_str()));
  check(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(easy, CURLOPT_POST, 1L));
  check(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(t.request.body.size())));
  check(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.request.body.data()));
  check(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers.get()));
  check(curl_easy_setopt(easy, CURLOPT_USERAGENT, kUserAgent));
  check(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options.connect_timeout.count())));
  check(
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count())));
  // A redirected POST is not what the receiver was configured for; the answer is classified.
  check(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
  // No SIGALRM for DNS timeouts: this runs on a thread of a daemon with its own signal handling.
  check(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error.data()));
  check(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, onBody));
  check(curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t));
  check(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, onHeader));
  check(curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t));
  check(curl_easy_setopt(easy, CURLOPT_PRIVATE, &t));
  if (rc != CURLE_OK) {
    return fail(t, std::string("cannot set up the request: ") + curl_easy_strerror(rc));
  }

  t.started = std::chrono::steady_clock::now();
  if (const CURLMcode added = curl_multi_add_handle(multi.get(), easy); added != CURLM_OK) {
    return fail(t, std::string("cannot start the request: ") + curl_multi_strerror(added));
  }
  active.emplace(easy, std::move(transfer));
}

void HttpClient::Impl::collectFinished() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;
    auto found = active.find(easy);
    if (found == active.end()) continue;
    std::unique_ptr<Transfer> transfer = std::move(found->second);
    active.erase(found);
    curl_multi_remove_handle(multi.get(), easy);

    HttpAnswer& answer = transfer->answer;
    answer.latency =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - transfer->started);
    if (result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      answer.status = static_cast<int>(status);
    } else {
      // A transfer that failed midway has no answer to classify, only its failure.
      const Millis latency = answer.latency;
      answer = HttpAnswer{};
      answer.latency = latency;
      answer.timed_out = result == CURLE_OPERATION_TIMEDOUT;
      answer.transport_error = describeFailure(result, *transfer);
    }
    complete(*transfer);
  }
}

void HttpClient::Impl::complete(Transfer& transfer) {
  in_flight.fetch_sub(1);
  Done done = std::move(transfer.done);
  if (!done) return;
  try {
    done(std::move(transfer.answer));
  } catch (const std::exception& e) {
    // The client's thread must outlive a caller's bug: the other requests still need it.
    spdlog::error("http client: a delivery callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("http client: a delivery callback threw");
  }
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(options)) {
  initCurlOnce();
  impl_->multi.reset(curl_multi_init());
  if (!impl_->multi) {
    spdlog::error("http client: curl_multi_init failed; no alert can be sent");
    impl_->closed = true;
    return;
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

HttpClient::~HttpClient() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  if (impl_->multi) curl_multi_wakeup(impl_->multi.get());
  if (impl_->thread.joinable()) impl_->thread.join();
}

void HttpClient::post(HttpPost request, Done done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  impl_->in_flight.fetch_add(1);
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->closed) {
      impl_->queue.push_back(std::move(transfer));
    }
  }
  if (transfer) {
    impl_->fail(*transfer, impl_->multi ? kCancelled : "the HTTP client could not start");
    return;
  }
  curl_multi_wakeup(impl_->multi.get());
}

HttpAnswer HttpClient::postAndWait(HttpPost request) {
  auto promise = std::make_shared<std::promise<HttpAnswer>>();
  std::future<HttpAnswer> answer = promise->get_future();
  post(std::move(request), [promise](HttpAnswer a) { promise->set_value(std::move(a)); });
  return answer.get();
}

std::size_t HttpClient::inFlight() const { return impl_->in_flight.load(); }

}  // namespace gw
