// gatewatch_delivery_probe: the delivery service alone in a process, so tests can kill -9 it with
// a notification in the outbox and start it again.
//   gatewatch_delivery_probe STATE_DIR URL [--submit INCIDENT_ID] [--exit-when-empty]
// Prints "queued" once a submitted alert is in the outbox, "empty" when the outbox is empty.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "alert_fixture.h"
#include "deliver/delivery_service.h"
#include "store/state_db.h"

int main(int argc, char** argv) {
  using namespace gw;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s STATE_DIR URL [--submit ID] [--exit-when-empty]\n", argv[0]);
    return 2;
  }
  const std::string state_dir = argv[1];
  ResolvedSink sink;
  sink.name = "pager";
  sink.type = SinkType::kWebhook;
  sink.url = argv[2];
  std::string submit;
  bool exit_when_empty = false;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--submit") == 0 && i + 1 < argc) submit = argv[++i];
    if (std::strcmp(argv[i], "--exit-when-empty") == 0) exit_when_empty = true;
  }

  const SystemClock clock;
  auto opened = openStateDatabase(state_dir, clock.now());
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  boost::asio::io_context io;
  DeliveryService service(io, opened->db, {sink}, clock);
  if (auto started = service.start(); !started) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  if (!submit.empty()) {
    service.submit(gw::testing::incidentAlert(submit, EventKind::kFiring, clock.now()));
    std::printf("queued\n");
    std::fflush(stdout);
  }
  boost::asio::steady_timer poll(io);
  std::function<void()> check = [&] {
    if (exit_when_empty && service.outboxPending() == 0) {
      std::printf("empty\n");
      std::fflush(stdout);
      io.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) check();
    });
  };
  check();
  io.run();
  return 0;
}
