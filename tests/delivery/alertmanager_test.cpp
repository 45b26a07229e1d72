// The alertmanager sink against a real Alertmanager (Debian's prometheus-alertmanager, started
// here on 127.0.0.1 with its own config and storage): the alert is read back from its API with
// our labels and annotations, and disappears from the active alerts once resolved.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "../common/temp_dir.h"
#include "alert_fixture.h"
#include "deliver/delivery_service.h"
#include "store/state_db.h"

extern char** environ;

namespace gw {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr const char* kAlertmanagerBinary = "/usr/bin/prometheus-alertmanager";

uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// GET with libcurl: (status, body); status 0 when there was no answer.
std::pair<long, std::string> httpGet(const std::string& url) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* out) {
        static_cast<std::string*>(out)->append(data, size * count);
        return size * count;
      });
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  long status = 0;
  if (curl_easy_perform(curl.get()) == CURLE_OK)
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return {status, body};
}

bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

class Alertmanager {
 public:
  explicit Alertmanager(const gw::testing::TempDir& dir) : port_(freePort()) {
    const std::string config =
        dir.write("am.yml", "route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n");
    std::filesystem::create_directories(dir.file("am-data"));
    std::vector<std::string> args = {kAlertmanagerBinary,
                                     "--config.file=" + config,
                                     "--storage.path=" + dir.file("am-data"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--cluster.listen-address=",
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kAlertmanagerBinary, nullptr, nullptr, argv.data(), environ) != 0)
      pid_ = -1;
  }
  ~Alertmanager() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() {
    return pid_ > 0 && waitFor([&] { return httpGet(url("/-/ready")).first == 200; }, 20s);
  }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The active alerts named `alertname`.
  nlohmann::json activeAlerts(const std::string& alertname) const {
    auto [status, body] =
        httpGet(url("/api/v2/alerts?active=true&filter=alertname%3D%22" + alertname + "%22"));
    if (status != 200) return nlohmann::json::array();
    auto all = nlohmann::json::parse(body, nullptr, false);
    nlohmann::json out = nlohmann::json::array();
    if (!all.is_array()) return out;
    for (auto& a : all)
      if (a.value("status", nlohmann::json::object()).value("state", "") == "active")
        out.push_back(a);
    return out;
  }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

TEST(AlertmanagerSink, AlertIsReadBackFromARealAlertmanagerAndGoesAwayWhenResolved) {
  if (::access(kAlertmanagerBinary, X_OK) != 0)
    GTEST_SKIP() << kAlertmanagerBinary
                 << " is not installed (apt-get install prometheus-alertmanager)";
  gw::testing::TempDir dir;
  Alertmanager am(dir);
  ASSERT_TRUE(am.ready()) << "Alertmanager did not become ready on " << am.url();

  SystemClock clock;
  auto opened = openStateDatabase(dir.file("state"), clock.now());
  ASSERT_TRUE(opened) << opened.error().message;
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  ResolvedSink sink;
  sink.name = "am";
  sink.type = SinkType::kAlertmanager;
  sink.url = am.url();
  DeliveryService service(io, opened->db, {sink}, clock);
  ASSERT_TRUE(service.start());
  auto runUntil = [&](const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (!done()) {
      if (steady_clock::now() > deadline) return false;
      io.run_for(50ms);
    }
    return true;
  };

  service.submit(gw::testing::incidentAlert("inc-am", EventKind::kFiring, clock.now()));
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 10s));
  EXPECT_EQ(service.stats().at("am").delivered, 1u) << service.stats().at("am").last_error;

  nlohmann::json alerts;
  ASSERT_TRUE(waitFor(
      [&] {
        alerts = am.activeAlerts("upstream-down");
        return alerts.size() == 1;
      },
      10s))
      << "the alert never became active in Alertmanager";
  const auto& alert = alerts[0];
  EXPECT_EQ(alert["labels"]["alertname"], "upstream-down");
  EXPECT_EQ(alert["labels"]["severity"], "critical");
  EXPECT_EQ(alert["labels"]["source"], "driver-insu-prod");
  EXPECT_EQ(alert["labels"]["upstream"], "127.0.0.1:8080");
  EXPECT_EQ(alert["labels"]["instance"], "insu-web-01");
  EXPECT_FALSE(alert["annotations"]["summary"].get<std::string>().empty());
  EXPECT_NE(alert["annotations"]["context"].get<std::string>().find("connect() failed (111"),
            std::string::npos);

  service.submit(gw::testing::incidentAlert("inc-am", EventKind::kResolved, clock.now()));
  ASSERT_TRUE(runUntil([&] { return service.outboxPending() == 0; }, 10s));
  EXPECT_TRUE(waitFor([&] { return am.activeAlerts("upstream-down").empty(); }, 10s))
      << "Alertmanager still shows the alert as active after the resolve";
}

}  // namespace
}  // namespace gw
