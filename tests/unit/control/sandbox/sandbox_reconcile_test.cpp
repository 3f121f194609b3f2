// The reconciler over in-memory fakes: containers that stop or vanish behind our back become
// paused and come back on resume with the same id, keys and workspace; two resumes give one
// container; orphans are removed at start; a backend that is down is waited for, one that
// refuses puts the sandbox in error; and the route snapshot follows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "credentials/sandbox_credential_tokens.h"
#include "sandbox/sandbox_keys.h"
#include "sandbox/sandbox_workload.h"
#include "service_harness.h"

namespace oh::control::testing {
namespace {

constexpr const char* kId = "7dFq2ZxW0bLr";
constexpr const char* kLowerId = "7dfq2zxw0blr";
const std::string kName = std::string("oh-sandbox-") + kLowerId;

std::string envOf(const WorkloadSpec& spec, const std::string& name) {
  for (const auto& [key, value] : spec.environment) {
    if (key == name) {
      return value;
    }
  }
  return "(unset)";
}

class SandboxReconcileTest : public ::testing::Test {
protected:
  // Starts kId for owner A and waits for it to run; returns its view.
  SandboxView runOne() {
    auto view = h.service->startSandbox(kOwnerA, openHandsStart(kId));
    EXPECT_TRUE(view);
    EXPECT_TRUE(h.becomes(kOwnerA, kId, "running"));
    return view ? *view : SandboxView{};
  }
  ServiceHarness h;
};

TEST_F(SandboxReconcileTest, ContainerRemovedBehindOurBackBecomesPausedAndResumeRecreatesIt) {
  h.startService();
  const SandboxView first = runOne();
  const auto first_spec = h.backend->specOf(kName);
  ASSERT_TRUE(first_spec);

  h.backend->removeBehindBack(kName);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));
  ASSERT_TRUE(eventually([&] { return h.store->peek(kId)->desired == DesiredState::paused; }))
      << "recorded, not only reported";
  EXPECT_EQ(h.backend->creates(), 1) << "not re-created until resumed";
  EXPECT_FALSE(h.service->routes()->find(kLowerId)->running());

  auto resumed = h.service->resume(kOwnerA, kId);
  ASSERT_TRUE(resumed);
  // At once, without waiting for the container (a resync may have brought it up already).
  EXPECT_THAT(resumed->status, ::testing::AnyOf("starting", "running"));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 2);
  const auto second_spec = h.backend->specOf(kName);
  ASSERT_TRUE(second_spec);
  EXPECT_EQ(resumed->session_api_key, first.session_api_key);
  EXPECT_EQ(envOf(*second_spec, "OH_SESSION_API_KEYS_0"), first.session_api_key);
  EXPECT_EQ(envOf(*second_spec, "OH_SECRET_KEY"), envOf(*first_spec, "OH_SECRET_KEY"));
  EXPECT_EQ(second_spec->workspace, first_spec->workspace);
  EXPECT_EQ(second_spec->labels, first_spec->labels);
  EXPECT_EQ(second_spec->network, first_spec->network);
}

// A resume within resync_interval of the container vanishing finds the index still saying
// "running": it must look rather than trust that, and bring the sandbox up again.
TEST_F(SandboxReconcileTest, ResumeBeforeTheResyncNoticesAVanishedContainerAndRecreatesIt) {
  SandboxServiceSettings slow = h.settings();
  slow.resync_interval = std::chrono::hours(1);
  h.startService(slow);
  runOne();
  h.backend->removeBehindBack(kName);
  ASSERT_EQ(h.status(kOwnerA, kId), "running") << "the index has not looked yet";

  auto resumed = h.service->resume(kOwnerA, kId);
  ASSERT_TRUE(resumed);
  ASSERT_TRUE(eventually([&] { return h.backend->creates() == 2; })) << "re-created without a resync";
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->size(), 1u);
}

TEST_F(SandboxReconcileTest, ResumeOfARunningSandboxLeavesItsContainerAlone) {
  h.startService();
  runOne();
  auto resumed = h.service->resume(kOwnerA, kId);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.status(kOwnerA, kId), "running");
  EXPECT_EQ(h.store->peek(kId)->desired, DesiredState::running);
}

// Issue 15: each sandbox gets the credential endpoint's URI and its own token, derived from its
// id, so a container re-created on resume carries the same token; a caller's values of the
// container provider's variables never reach the sandbox, and a region it set is kept.
TEST_F(SandboxReconcileTest, CredentialVariablesAreOursAndSurviveRecreation) {
  SandboxServiceSettings settings = h.settings();
  settings.credentials_uri = "http://169.254.170.2:8091/v1/credentials";
  settings.credentials_token_key = std::string(32, 't');
  settings.credentials_region = "eu-west-1";
  h.startService(settings);
  auto request = openHandsStart(kId);
  request.spec.environment.emplace_back("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://attacker.example/creds");
  request.spec.environment.emplace_back("AWS_CONTAINER_AUTHORIZATION_TOKEN", "forged");
  request.spec.environment.emplace_back("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/steal");
  request.spec.environment.emplace_back("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/tmp/t");
  request.spec.environment.emplace_back("AWS_REGION", "us-west-2");
  ASSERT_TRUE(h.service->startSandbox(kOwnerA, request));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  const auto first = h.backend->specOf(kName);
  ASSERT_TRUE(first);
  const auto tokens = SandboxCredentialTokens::fromKey(std::string(32, 't'));
  ASSERT_TRUE(tokens);
  EXPECT_EQ(envOf(*first, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "http://169.254.170.2:8091/v1/credentials");
  EXPECT_EQ(envOf(*first, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokens->tokenFor(kId));
  EXPECT_EQ(tokens->sandboxOf(envOf(*first, "AWS_CONTAINER_AUTHORIZATION_TOKEN")), kId);
  EXPECT_EQ(envOf(*first, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "(unset)");
  EXPECT_EQ(envOf(*first, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), "(unset)");
  EXPECT_EQ(envOf(*first, "AWS_REGION"), "us-west-2") << "the app server's Bedrock region is kept";
  EXPECT_EQ(envOf(*first, "AWS_DEFAULT_REGION"), "eu-west-1");
  int uris = 0;
  for (const auto& entry : first->environment) {
    uris += entry.first == "AWS_CONTAINER_CREDENTIALS_FULL_URI" || entry.first == "AWS_CONTAINER_AUTHORIZATION_TOKEN";
  }
  EXPECT_EQ(uris, 2);

  h.backend->removeBehindBack(kName);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));
  ASSERT_TRUE(h.service->resume(kOwnerA, kId));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  const auto recreated = h.backend->specOf(kName);
  ASSERT_TRUE(recreated);
  EXPECT_EQ(h.backend->creates(), 2);
  EXPECT_EQ(envOf(*recreated, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokens->tokenFor(kId));
  EXPECT_EQ(envOf(*recreated, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "http://169.254.170.2:8091/v1/credentials");
}

TEST_F(SandboxReconcileTest, NoCredentialVariablesWithoutTheEndpoint) {
  h.startService();
  auto request = openHandsStart(kId);
  request.spec.environment.emplace_back("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/own");
  ASSERT_TRUE(h.service->startSandbox(kOwnerA, request));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  const auto spec = h.backend->specOf(kName);
  ASSERT_TRUE(spec);
  EXPECT_EQ(envOf(*spec, "AWS_CONTAINER_AUTHORIZATION_TOKEN"), "(unset)");
  EXPECT_EQ(envOf(*spec, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), "http://127.0.0.1:9/own")
      << "without [credentials] the app server's own settings pass through";
}

TEST_F(SandboxReconcileTest, AgentThatExitsBehindOurBackBecomesPausedAndIsNotRestartedInALoop) {
  h.startService();
  runOne();
  h.backend->exitBehindBack(kName);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // several resyncs
  EXPECT_EQ(h.backend->stateOf(kName), WorkloadState::exited);
  EXPECT_EQ(h.backend->starts(), 1);
  ASSERT_TRUE(h.service->resume(kOwnerA, kId));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 1) << "the stopped container is started again, not replaced";
}

TEST_F(SandboxReconcileTest, TwoResumesAtOnceGiveOneContainer) {
  h.startService();
  runOne();
  h.backend->removeBehindBack(kName);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));

  h.backend->holdCreates(true);
  ApiResult<SandboxView> a = common::fail(ApiError{}), b = common::fail(ApiError{});
  std::thread first([&] { a = h.service->resume(kOwnerA, kId); });
  std::thread second([&] { b = h.service->resume(kOwnerA, kId); });
  first.join();
  second.join();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->status, "starting");
  EXPECT_EQ(b->status, "starting");
  ASSERT_TRUE(eventually([&] { return h.backend->createsWaiting() == 1; }));
  h.backend->holdCreates(false);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(h.backend->creates(), 2) << "one at start, one for both resumes";
  EXPECT_EQ(h.backend->size(), 1u);
}

TEST_F(SandboxReconcileTest, CreateAnsweredWithConflictStartsWhatExists) {
  // A create that succeeded but whose answer was lost (timeout) is seen as a conflict next time.
  h.backend->conflictNextCreate();
  h.startService();
  runOne();
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.backend->size(), 1u);
}

TEST_F(SandboxReconcileTest, OrphansWithoutRecordsAreRemovedAtStartAndOthersLeftAlone) {
  WorkloadSpec orphan;
  orphan.name = "oh-sandbox-orphan";
  orphan.labels = {{"org.openhands.managed", "sandbox"}, {"org.openhands.sandbox-id", "orphan"},
                   {"org.openhands.owner", kOwnerA}};
  h.backend->putWorkload(orphan, WorkloadState::running);
  WorkloadSpec unlabelled_id = orphan;  // ours, but naming no sandbox
  unlabelled_id.name = "oh-sandbox-nameless";
  unlabelled_id.labels.erase("org.openhands.sandbox-id");
  h.backend->putWorkload(unlabelled_id, WorkloadState::created);
  WorkloadSpec misnamed = orphan;  // ours, but not named for the sandbox it names
  misnamed.name = "misnamed";
  h.backend->putWorkload(misnamed, WorkloadState::running);
  WorkloadSpec foreign;
  foreign.name = "someone-elses";
  foreign.labels = {{"com.example", "x"}};
  h.backend->putWorkload(foreign, WorkloadState::running);

  h.startService();
  ASSERT_TRUE(eventually([&] { return h.backend->size() == 1; }));
  EXPECT_TRUE(h.backend->stateOf("someone-elses"));
  EXPECT_GE(h.service->metrics().reconcile.removed, 1u);
}

TEST_F(SandboxReconcileTest, RestartAfterInstanceReplacementReportsPausedAndResumeRecreates) {
  h.startService();
  const SandboxView first = runOne();
  const auto workspace = h.workspaceOf(kOwnerA, kId);
  { std::ofstream(workspace / "note.txt") << "kept"; }

  h.service.reset();        // the gateway goes with its instance...
  h.backend->removeAll();   // ...and so do the containers
  h.startService();
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));
  // Reported paused where OpenHands reads each sandbox (get, batch), and not among the active
  // sandboxes /list gives its pause_old_sandboxes.
  auto got = h.service->batch(kOwnerA, {kId});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].status, "paused");
  EXPECT_EQ((*got)[0].session_api_key, first.session_api_key);
  ASSERT_TRUE(h.service->list(kOwnerA));
  EXPECT_TRUE(h.service->list(kOwnerA)->empty());
  EXPECT_EQ(h.backend->size(), 0u) << "nothing re-created before a resume";

  ASSERT_TRUE(h.service->resume(kOwnerA, kId));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  const auto spec = h.backend->specOf(kName);
  ASSERT_TRUE(spec);
  EXPECT_EQ(envOf(*spec, "OH_SESSION_API_KEYS_0"), first.session_api_key);
  EXPECT_EQ(spec->workspace, workspace.string());
  std::ifstream note(workspace / "note.txt");
  std::string text;
  note >> text;
  EXPECT_EQ(text, "kept");
}

TEST_F(SandboxReconcileTest, RestartWithContainersStillRunningKeepsThemRunning) {
  h.startService();
  runOne();
  h.restartService();
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 1);
  EXPECT_EQ(h.backend->starts(), 1);
  ASSERT_NE(h.service->routes()->find(kLowerId), nullptr);
  EXPECT_TRUE(h.service->routes()->find(kLowerId)->running());
}

TEST_F(SandboxReconcileTest, GatewayKilledMidCreateLeavesAPausedSandboxNotAnOrphan) {
  // What a SIGKILL between the create and the start leaves: a record that wants to run and a
  // created, never started container of ours.
  h.backend->setUnavailable(true);
  h.startService();
  ASSERT_TRUE(h.service->startSandbox(kOwnerA, openHandsStart(kId)));
  h.service.reset();
  h.backend->setUnavailable(false);
  const auto record = h.store->peek(kId);
  ASSERT_TRUE(record);
  auto box = common::SealedBox::create(kSealKey);
  ASSERT_TRUE(box);
  auto keys = unsealSandboxKeys(*box, record->sealed_keys, kOwnerA, kId);
  ASSERT_TRUE(keys);
  h.backend->putWorkload(workloadSpecFor(h.settings(), *record, *keys, h.workspaceOf(kOwnerA, kId).string()),
                         WorkloadState::created);

  h.startService();
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "paused"));
  EXPECT_EQ(h.backend->size(), 1u) << "ours, with a record: kept for the resume";
  ASSERT_TRUE(h.service->resume(kOwnerA, kId));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 0) << "the created container is started, not created again";
  EXPECT_EQ(h.backend->starts(), 1);
}

TEST_F(SandboxReconcileTest, BackendDownKeepsStartingAndRunsAfterRecovery) {
  h.backend->setUnavailable(true);
  h.startService();
  auto view = h.service->startSandbox(kOwnerA, openHandsStart(kId));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->status, "starting");
  ASSERT_TRUE(eventually([&] { return h.service->metrics().reconcile.retried >= 3; }));
  EXPECT_EQ(h.status(kOwnerA, kId), "starting");
  h.backend->setUnavailable(false);
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_EQ(h.backend->creates(), 1);
}

TEST_F(SandboxReconcileTest, RefusedCreateIsErrorUntilAResumeSucceeds) {
  h.backend->refuseCreates("image not found");
  h.startService();
  ASSERT_TRUE(h.service->startSandbox(kOwnerA, openHandsStart(kId)));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "error"));
  EXPECT_EQ(h.store->peek(kId)->last_error, "image not found");
  ASSERT_TRUE(eventually([&] {
    const auto m = h.service->metrics();
    return m.reconcile.failed == 1 && m.sandboxes.error == 1;
  }));

  h.backend->refuseCreates("");
  auto resumed = h.service->resume(kOwnerA, kId);
  ASSERT_TRUE(resumed);
  // At once, without waiting for the container (a resync may have brought it up already).
  EXPECT_THAT(resumed->status, ::testing::AnyOf("starting", "running"));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  EXPECT_TRUE(h.store->peek(kId)->last_error.empty());
}

TEST_F(SandboxReconcileTest, LostCompareAndSetIsDecidedAgainOnTheNewRecord) {
  h.startService();
  runOne();
  h.store->loseNextUpdates(2);  // the reconciler's "paused" write loses twice, then lands
  h.backend->removeBehindBack(kName);
  ASSERT_TRUE(eventually([&] { return h.store->peek(kId)->desired == DesiredState::paused; }));
  EXPECT_EQ(h.status(kOwnerA, kId), "paused");
}

TEST_F(SandboxReconcileTest, RoutesFollowTheSandbox) {
  h.startService();
  const SandboxView view = runOne();
  auto routes = h.service->routes();
  const SandboxRoute* route = routes->find(kLowerId);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->sandbox_id, kId);
  EXPECT_EQ(route->owner, kOwnerA);
  EXPECT_TRUE(route->running());
  EXPECT_EQ(route->address.rfind("10.88.0.", 0), 0u);
  EXPECT_EQ(route->agent_port, 60000);
  EXPECT_EQ(route->vscode_port, 60001);
  EXPECT_EQ(route->worker_1_port, 12000);
  EXPECT_EQ(route->worker_2_port, 12001);
  EXPECT_EQ(route->session_key_sha256, sessionKeyDigest(view.session_api_key));

  const std::string conversation = "0123456789abcdef0123456789abcdef";
  h.service->linkConversation(kId, conversation);
  ASSERT_NE(h.service->routes()->find(conversation), nullptr);
  EXPECT_EQ(h.service->routes()->find(conversation)->sandbox_id, kId);
  EXPECT_EQ(h.store->peek(kId)->conversation_ids, std::vector<std::string>{conversation});

  // Another owner's sandbox cannot take the conversation over.
  ASSERT_TRUE(h.service->startSandbox(kOwnerB, openHandsStart("theirs")));
  h.service->linkConversation("theirs", conversation);
  EXPECT_EQ(h.service->routes()->find(conversation)->sandbox_id, kId);
  h.service->noteConversation("theirs", conversation);
  // Malformed links are ignored.
  h.service->linkConversation(kId, "NOT-HEX");
  EXPECT_EQ(h.service->routes()->find("not-hex"), nullptr);

  // The data plane's notes are linked by the housekeeper.
  const std::string noted = "fedcba9876543210fedcba9876543210";
  h.service->noteConversation(kId, noted);
  ASSERT_TRUE(eventually([&] { return h.service->routes()->find(noted) != nullptr; }));
  EXPECT_EQ(h.service->routes()->find(noted)->sandbox_id, kId);
  EXPECT_EQ(h.service->routes()->find(conversation)->sandbox_id, kId);

  ASSERT_TRUE(h.service->pause(kOwnerA, kId));
  ASSERT_TRUE(eventually([&] { return !h.service->routes()->find(kLowerId)->running(); }));
  ASSERT_TRUE(h.service->remove(kOwnerA, kId));
  EXPECT_EQ(h.service->routes()->find(kLowerId), nullptr);
  EXPECT_EQ(h.service->routes()->find(conversation), nullptr);
}

TEST_F(SandboxReconcileTest, IdReusedAfterStopBelongsToItsNewOwnerOnly) {
  h.startService();
  runOne();
  ASSERT_TRUE(h.service->remove(kOwnerA, kId));
  ASSERT_TRUE(h.service->startSandbox(kOwnerB, openHandsStart(kId)));
  ASSERT_TRUE(h.becomes(kOwnerB, kId, "running"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // several resyncs
  const SandboxRoute* route = h.service->routes()->find(kLowerId);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->owner, kOwnerB);
  EXPECT_EQ(h.service->get(kOwnerA, kId).error().status, 404u);
  EXPECT_EQ(h.service->metrics().sandboxes.running, 1u);
}

TEST_F(SandboxReconcileTest, MetricsCountWhatHappened) {
  h.startService();
  runOne();
  ASSERT_TRUE(h.service->pause(kOwnerA, kId));
  ASSERT_TRUE(eventually([&] { return h.service->metrics().reconcile.stopped == 1; }));
  ASSERT_TRUE(h.service->resume(kOwnerA, kId));
  ASSERT_TRUE(h.becomes(kOwnerA, kId, "running"));
  ASSERT_TRUE(eventually([&] { return h.service->metrics().resume.count == 1; }));
  const SandboxMetrics m = h.service->metrics();
  EXPECT_EQ(m.sandboxes.running, 1u);
  EXPECT_EQ(m.sandboxes.paused + m.sandboxes.starting + m.sandboxes.error, 0u);
  EXPECT_EQ(m.create.count, 1u);
  EXPECT_GE(m.create.seconds_sum, 0.0);
  EXPECT_EQ(m.reconcile.created, 1u);
  EXPECT_EQ(m.reconcile.started, 2u);
  EXPECT_EQ(m.reconcile.stopped, 1u);
}

}  // namespace
}  // namespace oh::control::testing
