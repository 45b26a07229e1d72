#include "http/status_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <thread>

#include "http/basic_auth.h"
#include "http/connection.h"
#include "http/endpoints.h"
#include "http/listen_address.h"

namespace gw {
namespace {

using tcp = boost::asio::ip::tcp;

// Connections the kernel queues before accept(): a few scrapers and probes at once.
constexpr int kListenBacklog = 64;
// After a failed accept (out of file descriptors) the loop waits this long instead of spinning.
constexpr Millis kAcceptRetryDelay{100};
// A failing accept is logged at most this often.
constexpr auto kAcceptErrorLogInterval = std::chrono::minutes(1);

}  // namespace

struct StatusServer::Impl {
  Impl(StatusServerOptions opts, SnapshotSource snapshots, const Clock& clock)
      : options(std::move(opts)),
        endpoints(std::move(snapshots), clock, options.state_db_path, options.zone),
        router(makeRouter(endpoints)),
        context{router, options.request_timeout, options.max_request_bytes} {}

  Result<void> bind(const ListenAddress& address);
  void accept();
  void onAccept(boost::system::error_code ec, tcp::socket socket);

  // Declared in the order they are needed; destroyed in reverse, so the io_context (and the
  // connections its pending handlers own) goes before the router and endpoints they use.
  StatusServerOptions options;
  std::optional<BasicAuth> auth;  // set when options name a user; the router's guard uses it
  Endpoints endpoints;
  Router router;
  ConnectionContext context;
  boost::asio::io_context io{1};
  tcp::acceptor acceptor{io};
  boost::asio::steady_timer retry{io};
  std::chrono::steady_clock::time_point last_accept_error_log{};
  uint16_t port = 0;
  std::thread thread;
};

Result<void> StatusServer::Impl::bind(const ListenAddress& address) {
  boost::system::error_code ec;
  auto fail = [&](boost::system::error_code error) -> Result<void> {
    return Error{bindErrorMessage(address, std::error_code(error.value(), std::system_category()))};
  };
  tcp::endpoint endpoint;
  if (address.any()) {
    // Every address: IPv6 with IPv4 mapped in, or IPv4 alone where IPv6 is off.
    endpoint = tcp::endpoint(tcp::v6(), address.port);
    acceptor.open(endpoint.protocol(), ec);
    if (ec) {
      endpoint = tcp::endpoint(tcp::v4(), address.port);
      ec.clear();
      acceptor.open(endpoint.protocol(), ec);
    } else {
      acceptor.set_option(boost::asio::ip::v6_only(false), ec);
      ec.clear();
    }
  } else {
    endpoint = tcp::endpoint(boost::asio::ip::make_address(address.host, ec), address.port);
    if (ec) return fail(ec);
    acceptor.open(endpoint.protocol(), ec);
  }
  if (ec) return fail(ec);
  // A restarted daemon binds again at once, whatever connections of the last one linger.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return fail(ec);
  acceptor.listen(kListenBacklog, ec);
  if (ec) return fail(ec);
  port = acceptor.local_endpoint(ec).port();
  return {};
}

void StatusServer::Impl::accept() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    onAccept(ec, std::move(socket));
  });
}

void StatusServer::Impl::onAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted) return;
  if (ec) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_accept_error_log > kAcceptErrorLogInterval) {
      last_accept_error_log = now;
      spdlog::warn(
          "status server: accepting a connection failed: {} (out of file descriptors? "
          "raise LimitNOFILE)",
          ec.message());
    }
    retry.expires_after(kAcceptRetryDelay);
    retry.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec) accept();
    });
    return;
  }
  if (context.open >= options.max_connections) {
    rejectConnection(std::move(socket), context);
  } else {
    serveConnection(std::move(socket), context);
  }
  accept();
}

Result<std::unique_ptr<StatusServer>> StatusServer::start(StatusServerOptions options,
                                                          SnapshotSource snapshots,
                                                          const Clock& clock) {
  auto address = parseListenAddress(options.listen);
  if (!address) return address.error();
  if (options.auth_user.empty() != options.auth_password_hash.empty()) {
    return Error{
        "http.auth_user and http.auth_password_hash go together: set both for basic auth, or "
        "neither"};
  }
  std::optional<BasicAuth> auth;
  if (!options.auth_user.empty()) {
    auto created = BasicAuth::create(options.auth_user, options.auth_password_hash);
    if (!created) return created.error();
    auth.emplace(std::move(*created));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(snapshots), clock);
  if (auth) {
    impl->auth = std::move(auth);
    BasicAuth* guard = &*impl->auth;
    impl->router.setGuard([guard, &clock](const RequestHeaders& headers) {
      return guard->check(headers.authorization, clock.steadyNow());
    });
  }
  if (auto bound = impl->bind(*address); !bound) return bound.error();

  ListenAddress shown = *address;
  shown.port = impl->port;
  const char* auth_note = impl->auth ? " (basic auth on every path but /healthz)" : "";
  if (!address->loopback() && !impl->auth) {
    spdlog::warn(
        "status server: listening on {}, which is not loopback, without basic auth: anyone who "
        "can reach it reads the metrics and the alert history; set http.auth_user and "
        "http.auth_password_hash, or bind 127.0.0.1 and reach it through an SSH tunnel",
        shown.display());
  } else {
    spdlog::info("status server: listening on {}{}", shown.display(), auth_note);
  }

  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    // Handlers do not throw; should one ever, the server keeps serving.
    while (true) {
      try {
        raw->io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("status server: {}", e.what());
      }
    }
  });
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(impl)));
}

StatusServer::StatusServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusServer::~StatusServer() {
  // Pending handlers own the connections: stopping the loop and destroying the io_context
  // (a member of impl_) closes every one of them.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t StatusServer::port() const { return impl_->port; }

}  // namespace gw
