// The sandbox service's API half over in-memory fakes: starts answer at once and the
// reconciler brings the container up; idempotence, owner isolation, limits, pause, resume,
// stop, and the store or backend down.
#include "sandbox/sandbox_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "sandbox/sandbox_keys.h"
#include "service_harness.h"

namespace oh::control::testing {
namespace {

constexpr const char* kId = "4oE9wHT2LTrpL9w5KfKz0v";  // base62 of 16 bytes, as OpenHands makes them

std::string envOf(const WorkloadSpec& spec, const std::string& name) {
  for (const auto& [key, value] : spec.environment) {
    if (key == name) {
      return value;
    }
  }
  return "(unset)";
}

int countEnv(const WorkloadSpec& spec, const std::string& name) {
  return static_cast<int>(std::count_if(spec.environment.begin(), spec.environment.end(),
                                        [&](const auto& entry) { return entry.first == name; }));
}

class SandboxServiceTest : public ::testing::Test {
protected:
  ServiceHarness h;
};

TEST_F(SandboxServiceTest, StartAnswersStartingAtOnceAndTheReconcilerBringsItUp) {
  h.backend->holdCreates(true);  // a slow image pull: /start must not wait for it
  auto& service = h.startService();
  auto view = service.startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->status, "starting");
  EXPECT_EQ(view->session_id, kId);
  EXPECT_EQ(view->runtime_id, kId);
  EXPECT_EQ(view->url, "https://60000-4oe9wht2ltrpl9w5kfkz0v.runtime.example.com");
  EXPECT_EQ(view->session_api_key.size(), 43u);
  ASSERT_TRUE(eventually([&] { return h.backend->createsWaiting() == 1; }));
  EXPECT_EQ(h.status(kOwnerA, kId), "starting");

  h.backend->holdCreates(false);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  auto running = service.get(kOwnerA, kId);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->session_api_key, view->session_api_key);
  EXPECT_EQ(running->url, view->url);
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.backend->starts(), 1);
}

TEST_F(SandboxServiceTest, ContainerCarriesOurLabelsNetworkWorkspaceKeysAndLimits) {
  auto& service = h.startService();
  auto request = openHandsStart(kId);
  request.spec.resource_factor = 2;
  request.spec.environment.emplace_back("OH_SESSION_API_KEYS_0", "chosen-by-the-caller");
  auto view = service.startSandbox(kOwnerA, request);
  ASSERT_TRUE(view);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));

  auto spec = h.backend->specOf("oh-sandbox-4oe9wht2ltrpl9w5kfkz0v");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->image, kImage);
  EXPECT_EQ(spec->command, request.spec.command);
  EXPECT_EQ(spec->working_dir, "/workspace");
  EXPECT_EQ(spec->labels.at("org.openhands.managed"), "sandbox");
  EXPECT_EQ(spec->labels.at("org.openhands.sandbox-id"), kId);
  EXPECT_EQ(spec->labels.at("org.openhands.owner"), kOwnerA);
  EXPECT_EQ(spec->network, "oh-user-" + kOwnerA);
  EXPECT_EQ(h.backend->networks(), std::vector<std::string>{"oh-user-" + kOwnerA});
  EXPECT_EQ(spec->workspace, h.workspaceOf(kOwnerA, kId).string());
  EXPECT_EQ(spec->user, "10001:10001");
  EXPECT_EQ(spec->supplementary_groups, std::vector<std::uint32_t>{10001});
  EXPECT_DOUBLE_EQ(spec->limits.cpus, 4);
  EXPECT_EQ(spec->limits.memory_bytes, 8ull << 30);
  EXPECT_EQ(spec->limits.pids, 1024);

  // Ours win over a caller's value, once each; the app server's own variables pass through.
  EXPECT_EQ(countEnv(*spec, "OH_SESSION_API_KEYS_0"), 1);
  EXPECT_EQ(envOf(*spec, "OH_SESSION_API_KEYS_0"), view->session_api_key);
  const std::string secret = envOf(*spec, "OH_SECRET_KEY");
  EXPECT_EQ(secret.size(), 43u);
  EXPECT_NE(secret, view->session_api_key);
  EXPECT_EQ(envOf(*spec, "OH_CONVERSATIONS_PATH"), "/workspace/conversations");

  struct stat info {};
  ASSERT_EQ(::stat(h.workspaceOf(kOwnerA, kId).c_str(), &info), 0);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  if (::geteuid() == 0) {
    EXPECT_EQ(info.st_uid, 10001u);  // handed to the agent's user
  }
  ASSERT_EQ(::stat(h.workspaceOf(kOwnerA, kId).parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
}

TEST_F(SandboxServiceTest, KeysAreSealedInTheStoreNotKeptInClear) {
  auto& service = h.startService();
  auto view = service.startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(view);
  auto record = h.store->peek(kId);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->sealed_keys.find(view->session_api_key), std::string::npos);
  auto box = common::SealedBox::create(kSealKey);
  ASSERT_TRUE(box);
  auto keys = unsealSandboxKeys(*box, record->sealed_keys, kOwnerA, kId);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->session_api_key, view->session_api_key);
  // Sealed for this owner and sandbox: the same blob does not open as another's.
  EXPECT_FALSE(unsealSandboxKeys(*box, record->sealed_keys, kOwnerB, kId));
  EXPECT_FALSE(unsealSandboxKeys(*box, record->sealed_keys, kOwnerA, "other"));
}

TEST_F(SandboxServiceTest, RepeatedStartAnswersTheSameSandbox) {
  auto& service = h.startService();
  auto first = service.startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(first);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  auto again = service.startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->status, "running");
  EXPECT_EQ(again->session_api_key, first->session_api_key);
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.store->size(), 1u);
}

TEST_F(SandboxServiceTest, IdOfAnotherOwnerOrInAnotherCaseConflicts) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart(kId)));
  auto other_owner = service.startSandbox(kOwnerB, openHandsStart(kId));
  ASSERT_FALSE(other_owner);
  EXPECT_EQ(other_owner.error().status, 409u);
  auto variant = service.startSandbox(kOwnerA, openHandsStart("4OE9WHT2LTRPL9W5KFKZ0V"));
  ASSERT_FALSE(variant);
  EXPECT_EQ(variant.error().status, 409u);
  auto variant_other = service.startSandbox(kOwnerB, openHandsStart("4oe9wht2ltrpl9w5kfkz0v"));
  ASSERT_FALSE(variant_other);
  EXPECT_EQ(variant_other.error().status, 409u);
  EXPECT_EQ(h.store->size(), 1u);
}

TEST_F(SandboxServiceTest, RefusedStartStoresAndCreatesNothing) {
  auto& service = h.startService();
  auto request = openHandsStart(kId);
  request.spec.image = "docker.io/library/alpine";
  auto refused = service.startSandbox(kOwnerA, request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 400u);
  EXPECT_NE(refused.error().message.find("image"), std::string::npos);
  auto bad_owner = service.startSandbox("../etc", openHandsStart(kId));
  ASSERT_FALSE(bad_owner);
  EXPECT_EQ(bad_owner.error().status, 400u);
  EXPECT_EQ(h.store->size(), 0u);
  EXPECT_EQ(h.backend->creates(), 0);
}

TEST_F(SandboxServiceTest, AnotherOwnersSandboxIsNotFoundForEveryCall) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart(kId)));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));

  EXPECT_EQ(service.get(kOwnerB, kId).error().status, 404u);
  EXPECT_EQ(service.resume(kOwnerB, kId).error().status, 404u);
  EXPECT_EQ(service.pause(kOwnerB, kId).error().status, 404u);
  EXPECT_EQ(service.remove(kOwnerB, kId).error().status, 404u);
  auto batch = service.batch(kOwnerB, {kId});
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty());
  auto list = service.list(kOwnerB);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  // Nothing happened to it.
  EXPECT_EQ(h.status(kOwnerA, kId), "running");
  EXPECT_EQ(h.backend->stops(), 0);
  EXPECT_EQ(h.backend->removes(), 0);
  // The owner's own, in another case, is not found either: ids are exact.
  EXPECT_EQ(service.get(kOwnerA, "4OE9WHT2LTRPL9W5KFKZ0V").error().status, 404u);
  EXPECT_EQ(service.get(kOwnerA, "not/an/id").error().status, 404u);
}

TEST_F(SandboxServiceTest, BatchAndListAnswerTheOwnersSandboxes) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("sandboxA1")));
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("sandboxA2")));
  ASSERT_TRUE(service.startSandbox(kOwnerB, openHandsStart("sandboxB1")));
  auto batch = service.batch(kOwnerA, {"sandboxA2", "unknown", "sandboxB1", "sandboxA1"});
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[0].session_id, "sandboxA2");
  EXPECT_EQ((*batch)[1].session_id, "sandboxA1");
  auto list = service.list(kOwnerA);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  for (const auto& view : *list) {
    EXPECT_FALSE(view.session_api_key.empty());
  }
}

TEST_F(SandboxServiceTest, RecordLimitIs409AndRunningLimitIs429) {
  auto settings = h.settings();
  settings.max_sandboxes_per_user = 3;
  settings.max_running_per_user = 2;
  auto& service = h.startService(settings);
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("one")));
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("two")));
  auto third = service.startSandbox(kOwnerA, openHandsStart("three"));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().status, 429u);
  EXPECT_TRUE(service.startSandbox(kOwnerB, openHandsStart("theirs"))) << "limits are per user";

  ASSERT_TRUE(service.pause(kOwnerA, "one"));
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("three")));
  auto resumed = service.resume(kOwnerA, "one");
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().status, 429u);
  EXPECT_EQ(h.status(kOwnerA, "one"), "paused");

  ASSERT_TRUE(service.pause(kOwnerA, "two"));
  auto fourth = service.startSandbox(kOwnerA, openHandsStart("four"));
  ASSERT_FALSE(fourth);
  EXPECT_EQ(fourth.error().status, 409u);
  ASSERT_TRUE(service.remove(kOwnerA, "two"));
  EXPECT_TRUE(service.startSandbox(kOwnerA, openHandsStart("four")));
}

TEST_F(SandboxServiceTest, PauseStopsAndResumeStartsTheSameContainer) {
  auto& service = h.startService();
  auto started = service.startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(started);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  const std::string name = "oh-sandbox-4oe9wht2ltrpl9w5kfkz0v";

  auto paused = service.pause(kOwnerA, kId);
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, "paused");
  EXPECT_TRUE(paused->url.empty());
  EXPECT_EQ(paused->session_api_key, started->session_api_key);
  ASSERT_TRUE(eventually([&] { return h.backend->stateOf(name) == WorkloadState::exited; }));
  EXPECT_TRUE(service.pause(kOwnerA, kId)) << "pausing a paused sandbox is fine";

  auto resumed = service.resume(kOwnerA, kId);
  ASSERT_TRUE(resumed);
  // At once, without waiting for the container (a resync may have brought it up already).
  EXPECT_THAT(resumed->status, ::testing::AnyOf("starting", "running"));
  EXPECT_EQ(resumed->session_api_key, started->session_api_key);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.backend->starts(), 2);
  EXPECT_EQ(h.backend->stops(), 1);
}

TEST_F(SandboxServiceTest, StopRemovesContainerThenRecordAndKeepsTheWorkspace) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart(kId)));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  auto removed = service.remove(kOwnerA, kId);
  ASSERT_TRUE(removed);
  EXPECT_EQ(h.backend->size(), 0u);
  EXPECT_EQ(h.store->size(), 0u);
  EXPECT_EQ(service.get(kOwnerA, kId).error().status, 404u);
  EXPECT_EQ(service.remove(kOwnerA, kId).error().status, 404u);
  EXPECT_EQ(service.routes()->find("4oe9wht2ltrpl9w5kfkz0v"), nullptr);
  EXPECT_TRUE(std::filesystem::is_directory(h.workspaceOf(kOwnerA, kId)));
}

TEST_F(SandboxServiceTest, StopDuringASlowCreateLeavesNoContainer) {
  auto& service = h.startService();
  h.backend->holdCreates(true);
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart(kId)));
  ASSERT_TRUE(eventually([&] { return h.backend->createsWaiting() == 1; }));
  ASSERT_TRUE(service.remove(kOwnerA, kId));
  h.backend->holdCreates(false);
  // The create in flight completes, then the reconcile queued by the stop removes it.
  ASSERT_TRUE(eventually([&] { return h.backend->creates() == 1 && h.backend->size() == 0; }));
  EXPECT_EQ(h.store->size(), 0u);
}

TEST_F(SandboxServiceTest, StoreDownIs503AndNothingIsCreated) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart("existing")));
  h.store->setUnavailable(true);
  EXPECT_EQ(service.startSandbox(kOwnerA, openHandsStart(kId)).error().status, 503u);
  EXPECT_EQ(service.get(kOwnerA, "existing").error().status, 503u);
  EXPECT_EQ(service.list(kOwnerA).error().status, 503u);
  EXPECT_EQ(service.batch(kOwnerA, {"existing"}).error().status, 503u);
  EXPECT_EQ(service.resume(kOwnerA, "existing").error().status, 503u);
  EXPECT_EQ(service.pause(kOwnerA, "existing").error().status, 503u);
  EXPECT_EQ(service.remove(kOwnerA, "existing").error().status, 503u);
  h.store->setUnavailable(false);
  EXPECT_TRUE(h.becomes(kOwnerA, "existing", "running"));
  EXPECT_EQ(h.backend->size(), 1u);
}

TEST_F(SandboxServiceTest, BackendDownOnStopIs503AndKeepsTheRecord) {
  auto& service = h.startService();
  ASSERT_TRUE(service.startSandbox(kOwnerA, openHandsStart(kId)));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  h.backend->setUnavailable(true);
  auto removed = service.remove(kOwnerA, kId);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().status, 503u);
  EXPECT_EQ(h.store->size(), 1u);
}

TEST_F(SandboxServiceTest, SealKeyOfTheWrongSizeIsRefusedAtConstruction) {
  auto settings = h.settings();
  settings.seal_key = "short";
  EXPECT_THROW(SandboxService(settings, h.store, h.backend, h.clock, h.random), std::invalid_argument);
}

}  // namespace
}  // namespace oh::control::testing
