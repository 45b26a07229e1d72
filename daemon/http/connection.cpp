#include "http/connection.h"

#include <algorithm>
#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

namespace gw {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// Room in the read buffer beyond max_request_bytes: the start of a pipelined next request read
// together with the end of this one.
constexpr std::size_t kReadSlackBytes = 4096;
// After an answer that ends the connection the client may still be sending (an oversized
// header, a body): reading and dropping that for a moment before closing keeps the kernel from
// answering it with a reset, which would destroy our answer on its way.
constexpr Millis kLingerTime{std::chrono::seconds(1)};
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
// Writing the 503 to a connection beyond max_connections takes at most this.
constexpr Millis kRejectTimeout{std::chrono::seconds(1)};

// On every answer, errors included. The page loads its script and style from this server only
// (no inline code, so an injected tag in a log line could not run even if it reached the DOM
// as HTML); nothing may frame it, and no URL of it leaks to another site in a Referer.
constexpr std::pair<std::string_view, std::string_view> kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
};

// Bounded by max_request_bytes with the rest of the header; the guard bounds its own further.
std::string_view headerValue(const http::request<http::empty_body>& request, http::field name) {
  const auto value = request[name];
  return std::string_view(value.data(), value.size());
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, ConnectionContext& context, bool rejecting)
      : stream_(std::move(socket)),
        context_(context),
        rejecting_(rejecting),
        buffer_(context.max_request_bytes + kReadSlackBytes) {
    ++(rejecting_ ? context_.rejecting : context_.open);
  }
  ~Connection() { --(rejecting_ ? context_.rejecting : context_.open); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void serve() { readRequest(); }

  void reject() {
    stream_.expires_after(kRejectTimeout);
    HttpResponse response = jsonError(503, "too many connections to the status server; retry");
    response.headers.emplace_back("Retry-After", "1");
    send(std::move(response), /*head=*/false, /*keep_alive=*/false, 11);
  }

 private:
  void readRequest() {
    parser_.emplace();
    // Request line and headers together; the whole request, as no body is ever read.
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(context_.max_request_bytes, UINT32_MAX)));
    // A declared body is refused after the headers, never read: no limit needed to parse them.
    // (Not boost::none: Boost 1.74 compares the length against the empty optional and fails.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(context_.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Connection::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return send(jsonError(431, "request line and headers are too large"), false, false, 11);
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return send(jsonError(400, "malformed HTTP request: " + ec.message()), false, false, 11);
    }
    // The client closed, went quiet past the timeout, or the connection broke: nobody to answer.
    if (ec) return close();

    const auto& request = parser_->get();
    const std::string_view method(request.method_string().data(), request.method_string().size());
    const std::string_view target(request.target().data(), request.target().size());
    const unsigned version = request.version() == 10 ? 10 : 11;
    const bool head = request.method() == http::verb::head;
    const bool is_get = head || request.method() == http::verb::get;
    const RequestHeaders headers{.authorization = headerValue(request, http::field::authorization),
                                 .if_none_match = headerValue(request, http::field::if_none_match)};
    if (!parser_->is_done()) {
      // A body follows. GET and HEAD carry none here; other methods are refused (405) anyway.
      // Either way the body is never read, so the connection ends with the answer.
      HttpResponse response = is_get ? jsonError(400, "a GET or HEAD request carries no body")
                                     : context_.router.handle(method, target, headers);
      return send(std::move(response), false, false, version);
    }
    HttpResponse response = context_.router.handle(method, target, headers);
    send(std::move(response), head, request.keep_alive(), version);
  }

  void send(HttpResponse answer, bool head, bool keep_alive, unsigned version) {
    response_ = {};
    response_.version(version);
    response_.result(answer.status);
    response_.set(http::field::server, "gatewatch");
    response_.set(http::field::content_type, answer.content_type);
    // Answers change with every alert: not kept anywhere unless the handler says otherwise.
    response_.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : kSecurityHeaders) {
      response_.set(beast::string_view(name.data(), name.size()),
                    beast::string_view(value.data(), value.size()));
    }
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    if (head) {
      response_.content_length(answer.body.size());  // what GET would send, without the body
    } else {
      response_.body() = std::move(answer.body);
      response_.prepare_payload();
    }
    keep_alive_ = keep_alive;
    // A large answer to a slow reader gets its own time, bounded like the read.
    if (!rejecting_) stream_.expires_after(context_.request_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Connection::onWrite, shared_from_this()));
  }

  void onWrite(beast::error_code ec, std::size_t) {
    if (ec) return close();
    if (keep_alive_) return readRequest();
    lingeringClose();
  }

  void lingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(boost::asio::buffer(discard_),
                            beast::bind_front_handler(&Connection::onDrain, shared_from_this()));
  }

  void onDrain(beast::error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ > kMaxLingerBytes) return close();
    drain();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ConnectionContext& context_;
  const bool rejecting_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  std::array<char, 4096> discard_{};
  std::size_t drained_ = 0;
};

}  // namespace

void serveConnection(tcp::socket socket, ConnectionContext& context) {
  std::make_shared<Connection>(std::move(socket), context, false)->serve();
}

void rejectConnection(tcp::socket socket, ConnectionContext& context) {
  if (context.rejecting >= kMaxRejecting) return;  // the socket closes as it goes out of scope
  std::make_shared<Connection>(std::move(socket), context, true)->reject();
}

}  // namespace gw
