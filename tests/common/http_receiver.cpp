// Beast's synchronous API with a thread per connection: tests are small and a blocking read is
// the simplest thing that can be stopped (shutdown() on the socket ends it with an error).
#include "http_receiver.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <stdexcept>
#include <thread>

namespace gw::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The largest request read: a 1 MiB context line inside an alert plus its JSON around it. A larger
// one is a bug in the sender and closes the connection.
constexpr uint64_t kMaxRequestBodyBytes = 1024 * 1024 + 64 * 1024;
constexpr uint32_t kMaxRequestHeaderBytes = 16 * 1024;

std::string lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  });
  return out;
}

}  // namespace

std::string ReceivedRequest::header(const std::string& lower_name) const {
  const auto found = headers.find(lower_name);
  return found == headers.end() ? std::string() : found->second;
}

struct HttpReceiver::Impl {
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };

  asio::io_context io;  // sockets need one; nothing runs on it (the API used is synchronous)
  uint16_t port = 0;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // a request arrived, or stopping
  std::vector<ReceivedRequest> received;    // guarded by mutex
  std::deque<ScriptedAnswer> answers;       // guarded by mutex
  ScriptedAnswer fallback;                  // guarded by mutex
  bool stopping = false;                    // guarded by mutex
  std::map<uint64_t, int> open_fds;         // guarded by mutex: connections stop() must end
  uint64_t next_id = 0;                     // guarded by mutex
  std::list<Connection> connections;        // guarded by mutex

  std::unique_ptr<tcp::acceptor> acceptor;  // set by start(), reset by stop()
  std::thread accept_thread;

  void listen();
  void acceptLoop();
  void serve(tcp::socket socket, uint64_t id, std::shared_ptr<std::atomic<bool>> finished);
  ScriptedAnswer record(ReceivedRequest request);
  void stop();
};

void HttpReceiver::Impl::listen() {
  beast::error_code ec;
  auto listener = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  listener->open(endpoint.protocol(), ec);
  // reuse_address: start() after stop() binds the same port while old connections sit in
  // TIME_WAIT.
  if (!ec) listener->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) listener->bind(endpoint, ec);
  if (!ec) listener->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("HttpReceiver: cannot listen on 127.0.0.1:" + std::to_string(port) +
                             ": " + ec.message());
  }
  port = listener->local_endpoint().port();
  {
    std::lock_guard lock(mutex);
    stopping = false;
  }
  acceptor = std::move(listener);
  accept_thread = std::thread([this] { acceptLoop(); });
}

void HttpReceiver::Impl::acceptLoop() {
  for (;;) {
    tcp::socket socket(io);
    beast::error_code ec;
    acceptor->accept(socket, ec);
    std::lock_guard lock(mutex);
    if (stopping) return;  // `socket` closes with this scope
    if (ec) continue;      // a connection that went away before it was taken
    // Threads of connections already closed are joined here, so a long test does not pile them up.
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->finished->load()) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
    const uint64_t id = next_id++;
    open_fds[id] = socket.native_handle();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    connections.push_back({std::thread([this, s = std::move(socket), id, finished]() mutable {
                             serve(std::move(s), id, finished);
                           }),
                           finished});
  }
}

ScriptedAnswer HttpReceiver::Impl::record(ReceivedRequest request) {
  ScriptedAnswer answer;
  {
    std::lock_guard lock(mutex);
    received.push_back(std::move(request));
    if (answers.empty()) {
      answer = fallback;
    } else {
      answer = std::move(answers.front());
      answers.pop_front();
    }
  }
  changed.notify_all();
  return answer;
}

void HttpReceiver::Impl::serve(tcp::socket socket, uint64_t id,
                               std::shared_ptr<std::atomic<bool>> finished) {
  beast::flat_buffer buffer;
  for (;;) {
    beast::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBodyBytes);
    parser.header_limit(kMaxRequestHeaderBytes);
    http::read(socket, buffer, parser, ec);
    if (ec) break;  // closed by the client or by stop(), or a request over the limits

    const auto& request = parser.get();
    ReceivedRequest got;
    got.method = std::string(request.method_string());
    got.target = std::string(request.target());
    for (const auto& field : request) {
      const auto name = field.name_string();
      got.headers[lowered(std::string_view(name.data(), name.size()))] = std::string(field.value());
    }
    got.body = request.body();
    got.at = std::chrono::steady_clock::now();
    const ScriptedAnswer answer = record(std::move(got));

    if (answer.delay > std::chrono::milliseconds(0)) {
      // Not a sleep for synchronisation: the delay is the scripted behaviour; stop() cuts it.
      std::unique_lock lock(mutex);
      if (changed.wait_for(lock, answer.delay, [this] { return stopping; })) break;
    }
    if (answer.close_without_answer) break;

    http::response<http::string_body> response;
    response.version(request.version());
    response.result(static_cast<unsigned>(answer.status));
    response.keep_alive(request.keep_alive());
    for (const auto& [name, value] : answer.headers) response.insert(name, value);
    response.body() = answer.body;
    response.prepare_payload();
    http::write(socket, response, ec);
    if (ec || !response.keep_alive()) break;
  }
  {
    // Unregistered before the close, so stop() never shuts down a reused descriptor number.
    std::lock_guard lock(mutex);
    open_fds.erase(id);
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  finished->store(true);
}

void HttpReceiver::Impl::stop() {
  if (!acceptor) return;
  {
    std::lock_guard lock(mutex);
    stopping = true;
    // Wakes every connection blocked in a read; the client of an unanswered request sees the
    // connection end.
    for (const auto& [id, fd] : open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  changed.notify_all();
  // On Linux, shutdown() of a listening socket makes a blocked accept() fail at once.
  ::shutdown(acceptor->native_handle(), SHUT_RDWR);
  accept_thread.join();
  std::list<Connection> ending;
  {
    std::lock_guard lock(mutex);
    ending.swap(connections);
  }
  for (auto& connection : ending) connection.thread.join();
  beast::error_code ignored;
  acceptor->close(ignored);
  acceptor.reset();
}

HttpReceiver::HttpReceiver(uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->listen();
}

HttpReceiver::~HttpReceiver() { impl_->stop(); }

uint16_t HttpReceiver::port() const { return impl_->port; }

std::string HttpReceiver::url(const std::string& path) const {
  std::string url = "http://127.0.0.1:" + std::to_string(impl_->port);
  if (path.empty() || path.front() != '/') url += '/';
  return url + path;
}

void HttpReceiver::enqueue(ScriptedAnswer answer) {
  std::lock_guard lock(impl_->mutex);
  impl_->answers.push_back(std::move(answer));
}

void HttpReceiver::setFallback(ScriptedAnswer answer) {
  std::lock_guard lock(impl_->mutex);
  impl_->fallback = std::move(answer);
}

void HttpReceiver::stop() { impl_->stop(); }

void HttpReceiver::start() {
  if (impl_->acceptor) return;
  impl_->listen();
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

std::size_t HttpReceiver::requestCount() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->received.size();
}

bool HttpReceiver::waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->received.size() >= n; });
}

}  // namespace gw::testing
