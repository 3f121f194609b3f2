#include "runtime/container_directory.h"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "fake_docker.h"

namespace oh::gateway {
namespace {

constexpr const char* kConv = "0123456789abcdef0123456789abcdef";
constexpr const char* kId = "9e9c5b93ee98a4b2c6fdcaf9b57e633e7fdfbfc96773bf98e8aaa5fe4bd8f6fd";

std::string listWith(const std::string& state, const std::string& ip) {
  return std::string(R"([{"Id":")") + kId + R"(","Names":["/oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV"],"State":")" +
         state + R"(","Labels":{"conversation_id":")" + kConv +
         R"(","user_id":"alice"},"Ports":[],"NetworkSettings":{"Networks":{"podman":{"IPAddress":")" + ip + R"("}}}}])";
}

std::string event(const std::string& action) {
  return std::string(R"({"Type":"container","Action":")") + action + R"(","Actor":{"ID":")" + kId + R"("}})";
}

// Polls a condition for up to 10 s (a deadline for a hung test, not a timing assertion).
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

class ContainerDirectoryTest : public ::testing::Test {
protected:
  ContainerDirectoryTest() {
    socket_ = ::testing::TempDir() + "fake-docker-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock";
    settings_.docker_socket = socket_;
    options_.initial_backoff = std::chrono::milliseconds(10);
    options_.max_backoff = std::chrono::milliseconds(50);
  }

  const ContainerRecord* find() const { return directory_->index()->find(kConv); }

  testing::FakeDocker& fake() { return docker_.emplace(socket_); }

  std::string socket_;
  RuntimeSettings settings_;
  ContainerDirectoryOptions options_;
  // Declared before the directory so the directory stops first (its connections end, then the
  // fake's threads can finish).
  std::optional<testing::FakeDocker> docker_;
  ContainerDirectoryPtr directory_;
};

// This test verifies the first list is indexed and the directory becomes ready.
TEST_F(ContainerDirectoryTest, ListsAndBecomesReady) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && find() != nullptr; }));
  EXPECT_EQ(find()->ip, "10.88.0.9");
  EXPECT_EQ(find()->owner, "alice");
  EXPECT_NE(directory_->index()->find("xc0bgbvjp2gauzbx1wvfv"), nullptr);
  directory_->stop();
  directory_->stop();  // idempotent
  EXPECT_NE(find(), nullptr);  // the last index stays readable
}

// This test verifies an event makes the directory re-list that container (stop, start, remove).
TEST_F(ContainerDirectoryTest, EventsUpdateTheIndex) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return find() != nullptr && docker.eventConnections() > 0; }));
  docker.setList(listWith("exited", ""));
  docker.pushEvent(event("die"));
  ASSERT_TRUE(eventually([&] { return find() != nullptr && !find()->running(); }));
  docker.setList(listWith("running", "10.88.0.10"));
  docker.pushEvent(event("start"));
  ASSERT_TRUE(eventually([&] { return find() != nullptr && find()->ip == "10.88.0.10"; }));
  docker.setList("[]");
  docker.pushEvent(event("destroy"));
  ASSERT_TRUE(eventually([&] { return find() == nullptr; }));
  EXPECT_FALSE(directory_->notReadyReason());
}

// This test verifies Podman's late answer head (sent with the first event) does not block the list.
TEST_F(ContainerDirectoryTest, LateEventsHead) {
  testing::FakeDocker& docker = fake();
  docker.setEventsHeadEarly(false);
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  // Wait for the events subscription too: an event pushed before it exists reaches nobody.
  ASSERT_TRUE(eventually(
      [&] { return !directory_->notReadyReason() && find() != nullptr && docker.eventConnections() > 0; }));
  docker.setList(listWith("exited", ""));
  docker.pushEvent(event("die"));
  ASSERT_TRUE(eventually([&] { return find() != nullptr && !find()->running(); }));
}

// This test verifies no socket means not ready with a reason, then recovery when it appears.
TEST_F(ContainerDirectoryTest, UnreachableThenRecovers) {
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] {
    auto reason = directory_->notReadyReason();
    return reason && reason->find("connect") != std::string::npos;
  }));
  EXPECT_NE(directory_->notReadyReason()->find("docker API unreachable"), std::string::npos);
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && find() != nullptr; }));
}

// This test verifies a dropped event stream makes the directory not ready until it reconnects
// and re-lists, and that changes made meanwhile are picked up by that list.
TEST_F(ContainerDirectoryTest, DroppedStreamResyncs) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && docker.eventConnections() == 1; }));
  docker.setList(listWith("running", "10.88.0.77"));
  docker.dropEvents();
  ASSERT_TRUE(eventually([&] { return docker.eventConnections() >= 2 && find() && find()->ip == "10.88.0.77"; }));
  EXPECT_TRUE(eventually([&] { return !directory_->notReadyReason(); }));
}

// This test verifies a daemon that stops answering lists while its events still flow costs only
// the containers events named: such a container leaves the index (never served stale), the
// directory stays ready for every other app, and the next successful list brings it back.
TEST_F(ContainerDirectoryTest, FailingListsWhileEventsFlowDropOnlyChangedContainers) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && find() && docker.eventConnections() > 0; }));
  const int lists_before = docker.listRequests();
  docker.setRawListAnswer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  docker.pushEvent(event("die"));
  ASSERT_TRUE(eventually([&] { return find() == nullptr; }));
  ASSERT_TRUE(eventually([&] { return docker.listRequests() > lists_before + 2; }));  // retried
  EXPECT_FALSE(directory_->notReadyReason());
  docker.setList(listWith("running", "10.88.0.12"));
  ASSERT_TRUE(eventually([&] { return find() != nullptr && find()->ip == "10.88.0.12"; }));
  EXPECT_FALSE(directory_->notReadyReason());
}

// This test verifies that without events (the stream dropped) a failing list does make the
// directory not ready: nothing then keeps the index current.
TEST_F(ContainerDirectoryTest, FailingListsWithoutEventsAreNotReady) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && docker.eventConnections() == 1; }));
  docker.setRawListAnswer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  docker.dropEvents();
  ASSERT_TRUE(eventually([&] {
    auto reason = directory_->notReadyReason();
    return reason && reason->find("status 500") != std::string::npos;
  }));
  docker.setList(listWith("running", "10.88.0.9"));
  EXPECT_TRUE(eventually([&] { return !directory_->notReadyReason(); }));
}

// This test verifies hostile list answers leave the directory not ready, without a crash.
TEST_F(ContainerDirectoryTest, HostileListAnswers) {
  testing::FakeDocker& docker = fake();
  options_.max_list_bytes = 4096;
  for (const std::string& raw : {
           std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n[{{{{"),
           std::string("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}"),
           std::string("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n[") + std::string(5000, ' '),
           std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
           std::string("garbage\r\n\r\n"),
           std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
       }) {
    docker.setRawListAnswer(raw);
    directory_ = ContainerDirectory::start(settings_, options_);
    const int before = docker.listRequests();
    ASSERT_TRUE(eventually([&] { return docker.listRequests() >= before + 2; }));
    ASSERT_TRUE(directory_->notReadyReason()) << raw.substr(0, 40);
    directory_->stop();
  }
}

// This test verifies hostile event streams end the connection and the directory reconnects.
TEST_F(ContainerDirectoryTest, HostileEvents) {
  testing::FakeDocker& docker = fake();
  docker.setList(listWith("running", "10.88.0.9"));
  options_.max_event_bytes = 1024;
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return docker.eventConnections() == 1 && find() != nullptr; }));
  docker.pushEvent("}}}} not json");
  ASSERT_TRUE(eventually([&] { return docker.eventConnections() >= 2; }));
  docker.pushEvent("{\"Type\":\"container\",\"Action\":\"start\",\"x\":\"" + std::string(4000, 'a') + "\"}");
  ASSERT_TRUE(eventually([&] { return docker.eventConnections() >= 3; }));
  docker.pushEvent(R"({"Type":"container","Action":"start","Actor":{"ID":"../../etc"}})");  // not an id: ignored
  docker.setList(listWith("running", "10.88.0.11"));
  docker.pushEvent(event("start"));
  ASSERT_TRUE(eventually([&] { return find() != nullptr && find()->ip == "10.88.0.11"; }));
  EXPECT_EQ(docker.eventConnections(), 3);
}

}  // namespace
}  // namespace oh::gateway

namespace oh::gateway {
namespace {

// This test verifies a socket path that cannot be a Unix socket address is a readiness
// problem, not an exception or a crash.
TEST(ContainerDirectoryPath, TooLongOrEmpty) {
  RuntimeSettings settings;
  settings.docker_socket = "/" + std::string(200, 'x');
  auto directory = ContainerDirectory::start(settings);
  ASSERT_TRUE(directory->notReadyReason());
  EXPECT_NE(directory->notReadyReason()->find("too long"), std::string::npos);
  settings.docker_socket = "";
  directory = ContainerDirectory::start(settings);
  EXPECT_TRUE(directory->notReadyReason());
  directory->stop();
}

}  // namespace
}  // namespace oh::gateway
