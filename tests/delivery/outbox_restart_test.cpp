// kill -9 with a notification in the outbox, then a restart: the notification is delivered, once,
// with the idempotency key it was stored with.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../common/http_receiver.h"
#include "../common/temp_dir.h"
#include "store/outbox_store.h"
#include "store/state_db.h"

extern char** environ;

namespace gw {
namespace {

using namespace std::chrono_literals;

// A child process whose stdout the test reads line by line.
class Probe {
 public:
  explicit Probe(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
    ::fcntl(out_, F_SETFL, O_NONBLOCK);
  }
  ~Probe() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  bool running() const { return pid_ > 0; }

  // Waits (bounded) for a line of output.
  bool waitForLine(const std::string& line, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n > 0) buffer_.append(buf, static_cast<std::size_t>(n));
      if (buffer_.find(line + "\n") != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  void killHard() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
  // Waits (bounded) for the process to exit; its exit status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
  std::string buffer_;
};

std::vector<OutboxEntry> outboxOf(const std::string& dir) {
  auto opened = openStateDatabase(dir, SystemClock().now());
  if (!opened) return {};
  auto outbox = OutboxStore::open(opened->db);
  if (!outbox) return {};
  auto all = outbox->all();
  return all ? *all : std::vector<OutboxEntry>{};
}

TEST(OutboxRestart, KilledWithAPendingNotificationDeliversItOnceAfterRestart) {
  gw::testing::TempDir dir;
  gw::testing::HttpReceiver receiver;
  receiver.stop();  // down: the first process can only queue and retry
  const std::string probe = GW_DELIVERY_PROBE;

  Probe first({probe, dir.path().string(), receiver.url("/hook"), "--submit", "inc-kill"});
  ASSERT_TRUE(first.running());
  ASSERT_TRUE(first.waitForLine("queued", 10s));
  first.killHard();

  const auto pending = outboxOf(dir.path().string());
  ASSERT_EQ(pending.size(), 1u) << "the notification must be in the outbox before any attempt";
  const std::string key = pending.front().idempotency_key;
  EXPECT_EQ(pending.front().incident_id, "inc-kill");

  receiver.start();
  Probe second({probe, dir.path().string(), receiver.url("/hook"), "--exit-when-empty"});
  ASSERT_TRUE(second.running());
  ASSERT_TRUE(second.waitForLine("empty", 30s));
  EXPECT_EQ(second.wait(5s), 0);

  ASSERT_EQ(receiver.requestCount(), 1u);
  EXPECT_EQ(receiver.requests().front().header("idempotency-key"), key);
  EXPECT_TRUE(outboxOf(dir.path().string()).empty());
}

}  // namespace
}  // namespace gw
