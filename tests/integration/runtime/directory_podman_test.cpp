// ContainerDirectory against a real Podman API service (Docker-compatible endpoints): the index
// after the first list, updates from /events within the polling deadline, the service going
// away (not ready, with a reason) and coming back, and 1,000 created containers indexed.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "podman_test_setup.h"
#include "runtime/container_directory.h"

namespace oh::gateway {
namespace {

using oh::testing::ApiAnswer;
using oh::testing::eventually;
using oh::testing::PodmanService;
using oh::testing::startPodmanOrSkip;
using oh::testing::randomConversationId;

class DirectoryPodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    startPodmanOrSkip(podman_);
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    settings_.docker_socket = podman_->socket();
    options_.initial_backoff = std::chrono::milliseconds(50);
    options_.max_backoff = std::chrono::milliseconds(500);
  }

  void TearDown() override {
    if (directory_) {
      directory_->stop();
    }
    podman_.reset();
  }

  const ContainerRecord* find(const std::string& conversation) const {
    return directory_->index()->find(conversation);
  }

  static std::string name(const std::string& conversation) { return "oh-rt-" + conversation.substr(0, 12); }

  std::unique_ptr<PodmanService> podman_;
  RuntimeSettings settings_;
  ContainerDirectoryOptions options_;
  ContainerDirectoryPtr directory_;
};

// This test verifies two users' running containers are indexed from the first list, with their
// bridge IP, owner and state, and that the IP really serves the test app.
TEST_F(DirectoryPodmanTest, IndexAfterList) {
  const std::string alice = randomConversationId();
  const std::string bob = randomConversationId();
  ASSERT_FALSE(podman_->createContainer(name(alice), alice, "alice").empty());
  ASSERT_FALSE(podman_->createContainer(name(bob), bob, "bob").empty());
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && find(alice) && find(bob); }))
      << directory_->notReadyReason().value_or("ready");
  EXPECT_EQ(find(alice)->owner, "alice");
  EXPECT_EQ(find(bob)->owner, "bob");
  EXPECT_TRUE(find(alice)->running());
  EXPECT_EQ(find(alice)->ip, podman_->containerIp(name(alice)));
  ASSERT_FALSE(find(alice)->ip.empty());
  EXPECT_NE(find(alice)->ip, find(bob)->ip);
  ASSERT_TRUE(eventually([&] { return oh::testing::tcpGet(find(alice)->ip, 80, "/add").status == 200; }));
  EXPECT_EQ(oh::testing::tcpGet(find(alice)->ip, 80, "/add").body, "the add route\n");
}

// This test verifies stop, restart and removal reach the index through /events (no re-list
// timer is involved: the resync interval is a minute).
TEST_F(DirectoryPodmanTest, EventsFollowStopStartRemove) {
  const std::string conversation = randomConversationId();
  ASSERT_FALSE(podman_->createContainer(name(conversation), conversation, "alice").empty());
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return find(conversation) && find(conversation)->running(); }));

  auto begin = std::chrono::steady_clock::now();
  ASSERT_TRUE(podman_->stopContainer(name(conversation)));
  ASSERT_TRUE(eventually([&] { return find(conversation) && !find(conversation)->running(); }));
  std::printf("[ info ] stop seen by the index %lld ms after the stop call returned\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - begin)
                                         .count()));
  // Podman lists a container that is still "stopping" with its address; the later events of
  // the same stop (died, cleanup) re-list it without one.
  EXPECT_TRUE(eventually([&] { return find(conversation) && find(conversation)->ip.empty(); }));

  ASSERT_TRUE(podman_->startContainer(name(conversation)));
  ASSERT_TRUE(eventually([&] { return find(conversation) && find(conversation)->running() && !find(conversation)->ip.empty(); }));
  EXPECT_EQ(find(conversation)->ip, podman_->containerIp(name(conversation)));

  ASSERT_TRUE(podman_->removeContainer(name(conversation)));
  ASSERT_TRUE(eventually([&] { return find(conversation) == nullptr; }));
  EXPECT_FALSE(directory_->notReadyReason());
}

// This test verifies the Docker API going away makes the directory not ready with a reason,
// and that it recovers (and re-lists) when the API is back.
TEST_F(DirectoryPodmanTest, ApiGoneThenBack) {
  const std::string conversation = randomConversationId();
  ASSERT_FALSE(podman_->createContainer(name(conversation), conversation, "alice").empty());
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason() && find(conversation); }));
  podman_->stop();
  ASSERT_TRUE(eventually([&] { return directory_->notReadyReason().has_value(); }));
  EXPECT_NE(directory_->notReadyReason()->find("docker API unreachable"), std::string::npos);
  ASSERT_EQ(podman_->start(), std::nullopt);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason(); }, std::chrono::seconds(30)));
  ASSERT_NE(find(conversation), nullptr);
  EXPECT_TRUE(find(conversation)->running());
  // Events flow again after the reconnect.
  ASSERT_TRUE(podman_->stopContainer(name(conversation)));
  ASSERT_TRUE(eventually([&] { return find(conversation) && !find(conversation)->running(); }));
}

// This test verifies 1,000 labelled containers (created, not started) are all indexed while the
// directory is following events, and keep their conversation keys.
TEST_F(DirectoryPodmanTest, ThousandCreatedContainers) {
  directory_ = ContainerDirectory::start(settings_, options_);
  ASSERT_TRUE(eventually([&] { return !directory_->notReadyReason(); }));
  constexpr std::size_t kCount = 1000;
  std::vector<std::string> conversations(kCount);
  for (std::string& c : conversations) {
    c = randomConversationId();
  }
  std::vector<std::thread> workers;
  std::atomic<std::size_t> failures{0};
  // Created through the API by four threads (the fixture's create records names and is not
  // thread-safe); the names are adopted for removal afterwards.
  for (std::size_t w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (std::size_t i = w; i < kCount; i += 4) {
        const std::string body = "{\"Image\":\"" + PodmanService::image() +
                                 "\",\"Cmd\":[\"httpd\",\"-f\"],\"Labels\":{\"conversation_id\":\"" +
                                 conversations[i] + "\",\"user_id\":\"u" + std::to_string(i % 2) + "\"}}";
        if (podman_->api("POST", "/containers/create?name=" + name(conversations[i]), body).status != 201) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : workers) {
    t.join();
  }
  for (const std::string& c : conversations) {
    podman_->adopt(name(c));
  }
  ASSERT_EQ(failures.load(), 0u);
  ASSERT_TRUE(eventually(
      [&] {
        for (const std::string& c : conversations) {
          if (find(c) == nullptr) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(60)));
  EXPECT_GE(directory_->index()->containerCount(), kCount);
  EXPECT_EQ(find(conversations[7])->owner, "u1");
  EXPECT_EQ(find(conversations[7])->state, "created");
  EXPECT_TRUE(find(conversations[7])->ip.empty());
}

}  // namespace
}  // namespace oh::gateway
