// One status-server connection: reads requests (headers only; bodies are refused), answers each
// through the Router, keeps the connection alive when the client asks, and closes it on a
// timeout, a malformed request or an answer that ends it. Everything runs on the server's one
// thread, so the shared counters need no lock.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>

#include "common/time.h"
#include "http/router.h"

namespace gw {

struct ConnectionContext {
  const Router& router;
  Millis request_timeout;
  std::size_t max_request_bytes;
  std::size_t open = 0;       // connections being served
  std::size_t rejecting = 0;  // connections being turned away with a 503
};

// Connections turned away at once; beyond this a new one is closed without an answer, so a
// flood costs a close each and nothing more.
inline constexpr std::size_t kMaxRejecting = 64;

// Serves requests on `socket` until the client or a limit ends it.
void serveConnection(boost::asio::ip::tcp::socket socket, ConnectionContext& context);
// Answers 503 (too many connections) and closes.
void rejectConnection(boost::asio::ip::tcp::socket socket, ConnectionContext& context);

}  // namespace gw
