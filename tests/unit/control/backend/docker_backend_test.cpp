// The Docker backend against a canned Engine API: which requests each call sends, in which
// order, and how every kind of answer maps to a result (success, unavailable, conflict,
// refused, other). Hostile answers: chunked, oversized, not HTTP, none, never.

#include "backend/docker_backend.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "backend/docker_requests.h"
#include "canned_docker.h"

namespace oh::control {
namespace {

using testing::CannedDocker;
using testing::CannedRequest;
using Kind = BackendFailure::Kind;

constexpr std::string_view kInspect = R"({"Id":"c0ffee","Name":"/oh-sandbox-s1","State":{"Status":"running"},
  "Config":{"Labels":{"org.openhands.sandbox":"s1"}},"NetworkSettings":{"Networks":{"oh-user-u1":{"IPAddress":"10.89.0.7"}}}})";

class DockerBackendTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/oh-backend-ws-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  WorkloadBackendPtr backendFor(const CannedDocker& docker) const {
    return makeDockerBackend({.socket = docker.socketPath(),
                              .workspace_root = root_,
                              .network_prefix = "oh-user-",
                              .request_timeout = std::chrono::seconds(1),
                              .pull_timeout = std::chrono::seconds(2),
                              .max_response_bytes = 64 * 1024});
  }

  WorkloadSpec spec() const {
    WorkloadSpec s;
    s.name = "oh-sandbox-s1";
    s.image = "localhost/agent:1";
    s.environment = {{"OH_SESSION_API_KEYS_0", "session-key-value"}};
    s.network = "oh-user-u1";
    s.workspace = root_ + "/u1/s1";
    return s;
  }

  std::string root_;
};

std::vector<std::string> targets(const CannedDocker& docker) {
  std::vector<std::string> out;
  for (const CannedRequest& r : docker.requests()) {
    out.push_back(r.method + " " + r.target);
  }
  return out;
}

// create sends the create body for the spec, then inspects what it made.
TEST_F(DockerBackendTest, CreateThenInspect) {
  CannedDocker docker([](const CannedRequest& r) {
    return r.method == "POST" ? CannedDocker::json(201, R"({"Id":"c0ffee","Warnings":[]})")
                              : CannedDocker::json(200, std::string(kInspect));
  });
  const auto created = backendFor(docker)->create(spec());
  ASSERT_TRUE(created.ok()) << created.error().reason;
  EXPECT_EQ(created->backend_id, "c0ffee");
  EXPECT_EQ(created->state, WorkloadState::running);
  EXPECT_EQ(created->address, "10.89.0.7");
  EXPECT_EQ(targets(docker), (std::vector<std::string>{"POST /v1.41/containers/create?name=oh-sandbox-s1",
                                                       "GET /v1.41/containers/oh-sandbox-s1/json"}));
  EXPECT_EQ(docker.requests().at(0).body, containerCreateBody(spec()));
}

// "No such image": one pull (repository and tag apart), then the create again.
TEST_F(DockerBackendTest, MissingImageIsPulledOnce) {
  int creates = 0;
  CannedDocker docker([&creates](const CannedRequest& r) {
    if (r.target.starts_with("/v1.41/containers/create")) {
      return ++creates == 1 ? CannedDocker::json(404, R"({"message":"No such image: localhost/agent:1"})")
                            : CannedDocker::json(201, R"({"Id":"c0ffee"})");
    }
    if (r.target.starts_with("/v1.41/images/create")) {
      return CannedDocker::chunkedJson(200, "{\"status\":\"Pulling\"}\r\n{\"status\":\"Downloaded\"}\r\n", 7);
    }
    return CannedDocker::json(200, std::string(kInspect));
  });
  const auto created = backendFor(docker)->create(spec());
  ASSERT_TRUE(created.ok()) << created.error().reason;
  EXPECT_EQ(targets(docker),
            (std::vector<std::string>{"POST /v1.41/containers/create?name=oh-sandbox-s1",
                                      "POST /v1.41/images/create?fromImage=localhost%2Fagent&tag=1",
                                      "POST /v1.41/containers/create?name=oh-sandbox-s1",
                                      "GET /v1.41/containers/oh-sandbox-s1/json"}));
}

// pullImage: a present image costs one inspect; a missing one is pulled; an image that is not a
// reference is refused before any request (it would go into the path).
TEST_F(DockerBackendTest, PullImageInspectsThenPullsWhatIsMissing) {
  CannedDocker present([](const CannedRequest&) { return CannedDocker::json(200, R"({"Id":"sha256:ab"})"); });
  ASSERT_TRUE(backendFor(present)->pullImage("docker.openhands.dev/openhands/openhands:1.7.0").ok());
  EXPECT_EQ(targets(present),
            (std::vector<std::string>{"GET /v1.41/images/docker.openhands.dev/openhands/openhands:1.7.0/json"}));

  CannedDocker missing([](const CannedRequest& r) {
    return r.target.starts_with("/v1.41/images/create")
               ? CannedDocker::chunkedJson(200, "{\"status\":\"Pulling\"}\r\n{\"status\":\"Downloaded\"}\r\n", 7)
               : CannedDocker::json(404, R"({"message":"No such image: localhost/agent:1"})");
  });
  ASSERT_TRUE(backendFor(missing)->pullImage("localhost/agent:1").ok());
  EXPECT_EQ(targets(missing), (std::vector<std::string>{"GET /v1.41/images/localhost/agent:1/json",
                                                        "POST /v1.41/images/create?fromImage=localhost%2Fagent&tag=1"}));

  CannedDocker failing([](const CannedRequest& r) {
    return r.target.starts_with("/v1.41/images/create")
               ? CannedDocker::json(200, R"({"error":"manifest unknown"})")
               : CannedDocker::json(404, R"({"message":"No such image"})");
  });
  const auto refused = backendFor(failing)->pullImage("localhost/agent:2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Kind::refused);

  CannedDocker untouched([](const CannedRequest&) { return CannedDocker::json(200, "{}"); });
  for (const char* hostile : {"", "../../containers/x", "Agent:1", "a b", "x?all=1", "x/json#"}) {
    const auto result = backendFor(untouched)->pullImage(hostile);
    ASSERT_FALSE(result.ok()) << hostile;
    EXPECT_EQ(result.error().kind, Kind::refused) << hostile;
  }
  EXPECT_TRUE(untouched.requests().empty());
}

// A pull that fails (200 with an error in the stream, as Podman answers) refuses the spec with
// the daemon's reason; a pull that hangs is unavailable after the pull timeout.
TEST_F(DockerBackendTest, FailedPullIsRefused) {
  CannedDocker docker([](const CannedRequest& r) {
    if (r.target.starts_with("/v1.41/images/create")) {
      return CannedDocker::json(200, R"({"error":"pinging container registry localhost: connection refused"})");
    }
    return CannedDocker::json(404, R"({"cause":"image not known","message":"no such image: localhost/agent:1: image not known"})");
  });
  const auto created = backendFor(docker)->create(spec());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Kind::refused);
  EXPECT_EQ(created.error().reason, "pull localhost/agent:1: pinging container registry localhost: connection refused");

  CannedDocker hanging([](const CannedRequest& r) {
    return r.target.starts_with("/v1.41/images/create") ? CannedDocker::kHang
                                                        : CannedDocker::json(404, R"({"message":"No such image: x"})");
  });
  const auto timed_out = backendFor(hanging)->create(spec());
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().kind, Kind::unavailable);
  EXPECT_EQ(timed_out.error().reason, "docker API timed out during read");
}

// Create's answers: the name taken (Docker 409, Podman 4 500 "already in use") is a conflict;
// 400 and 500 "invalid" are refused with Docker's message; other 500s are other.
TEST_F(DockerBackendTest, CreateErrorMapping) {
  struct Row {
    std::string answer;
    Kind kind;
    std::string reason;
  };
  const std::vector<Row> rows = {
      {CannedDocker::json(409, R"({"message":"Conflict. The container name \"/oh-sandbox-s1\" is already in use"})"),
       Kind::conflict, "workload oh-sandbox-s1 exists already"},
      {CannedDocker::json(500, R"({"cause":"that name is already in use","message":"the container name \"oh-sandbox-s1\" is already in use","response":500})"),
       Kind::conflict, "workload oh-sandbox-s1 exists already"},
      {CannedDocker::json(400, R"({"message":"invalid reference format"})"), Kind::refused,
       "create oh-sandbox-s1: invalid reference format (status 400)"},
      {CannedDocker::json(500, R"({"message":"Invalid value for NanoCpus"})"), Kind::refused,
       "create oh-sandbox-s1: Invalid value for NanoCpus (status 500)"},
      {CannedDocker::json(500, R"({"message":"storage is full"})"), Kind::other,
       "create oh-sandbox-s1: storage is full (status 500)"},
      // A daemon echoing the environment: the value is masked.
      {CannedDocker::json(400, R"({"message":"bad env OH_SESSION_API_KEYS_0=session-key-value"})"), Kind::refused,
       "create oh-sandbox-s1: bad env OH_SESSION_API_KEYS_0=*** (status 400)"},
  };
  for (const Row& row : rows) {
    CannedDocker docker([&row](const CannedRequest&) { return row.answer; });
    const auto created = backendFor(docker)->create(spec());
    ASSERT_FALSE(created.ok()) << row.reason;
    EXPECT_EQ(created.error().kind, row.kind) << row.reason;
    EXPECT_EQ(created.error().reason, row.reason);
  }
}

// A refused spec never reaches Docker.
TEST_F(DockerBackendTest, RefusedSpecSendsNothing) {
  CannedDocker docker([](const CannedRequest&) { return CannedDocker::json(201, "{}"); });
  WorkloadSpec bad = spec();
  bad.network = "host";
  const auto created = backendFor(docker)->create(bad);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Kind::refused);
  EXPECT_EQ(created.error().reason, "the network \"host\" is not a user network");
  EXPECT_FALSE(backendFor(docker)->ensureNetwork("bridge", {}).ok());
  EXPECT_FALSE(backendFor(docker)->start("../x").ok());
  EXPECT_TRUE(docker.requests().empty());
}

TEST_F(DockerBackendTest, StartStopRemoveTargetsAndIdempotence) {
  std::string answer;
  CannedDocker docker([&answer](const CannedRequest& r) {
    return r.method == "GET" ? CannedDocker::json(200, std::string(kInspect)) : answer;
  });
  auto backend = backendFor(docker);
  answer = CannedDocker::json(304, "");  // running already
  ASSERT_TRUE(backend->start("oh-sandbox-s1").ok());
  answer = CannedDocker::json(404, R"({"message":"no such container"})");
  const auto absent = backend->start("oh-sandbox-s1");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().reason, "start oh-sandbox-s1: the workload is absent");
  EXPECT_TRUE(backend->stop("oh-sandbox-s1", std::chrono::seconds(3)).ok());  // absent: stopped
  answer = CannedDocker::json(304, "");
  EXPECT_TRUE(backend->stop("oh-sandbox-s1", std::chrono::seconds(3)).ok());  // stopped already
  answer = CannedDocker::json(404, "{}");
  EXPECT_TRUE(backend->remove("oh-sandbox-s1").ok());
  answer = CannedDocker::json(409, R"({"message":"removal of container is already in progress"})");
  EXPECT_TRUE(backend->remove("oh-sandbox-s1").ok());
  answer = CannedDocker::json(500, R"({"message":"device busy"})");
  const auto failed = backend->remove("oh-sandbox-s1");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, Kind::other);
  EXPECT_EQ(targets(docker), (std::vector<std::string>{
                                 "POST /v1.41/containers/oh-sandbox-s1/start",
                                 "GET /v1.41/containers/oh-sandbox-s1/json",
                                 "POST /v1.41/containers/oh-sandbox-s1/start",
                                 "POST /v1.41/containers/oh-sandbox-s1/stop?t=3",
                                 "POST /v1.41/containers/oh-sandbox-s1/stop?t=3",
                                 "DELETE /v1.41/containers/oh-sandbox-s1?force=true&v=false",
                                 "DELETE /v1.41/containers/oh-sandbox-s1?force=true&v=false",
                                 "DELETE /v1.41/containers/oh-sandbox-s1?force=true&v=false",
                             }));
}

TEST_F(DockerBackendTest, InspectAbsentChunkedAndList) {
  CannedDocker docker([](const CannedRequest& r) {
    if (r.target.find("gone") != std::string::npos) {
      return CannedDocker::json(404, R"({"message":"No such container: gone"})");
    }
    if (r.target.starts_with("/v1.41/containers/json")) {
      return CannedDocker::chunkedJson(200, "[" + std::string(kInspect) + "]", 3);
    }
    return CannedDocker::chunkedJson(200, std::string(kInspect), 5);
  });
  auto backend = backendFor(docker);
  const auto gone = backend->inspect("gone");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->state, WorkloadState::absent);
  EXPECT_EQ(gone->name, "gone");
  const auto found = backend->inspect("oh-sandbox-s1");
  ASSERT_TRUE(found.ok()) << found.error().reason;
  EXPECT_EQ(found->address, "10.89.0.7");
  // The list entry shape differs (State is a string, Names an array): this one has neither, so
  // it is skipped rather than misread.
  const auto listed = backend->list("org.openhands.managed", "true");
  ASSERT_TRUE(listed.ok()) << listed.error().reason;
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(docker.requests().back().target,
            "/v1.41/containers/json?all=true&filters=%7B%22label%22%3A%5B%22org.openhands.managed%3Dtrue%22%5D%7D");
}

// ensureNetwork creates, never asks first (Podman's network inspect walks every container):
// absent = created with our labels, one call; present (409, or Podman's 500 "already exists",
// also what a create losing a race gets) is success. A network ensured once is not asked for
// again, until a container create finds it gone.
TEST_F(DockerBackendTest, EnsureNetwork) {
  std::string create_answer = CannedDocker::json(201, R"({"Id":"n1"})");
  CannedDocker docker([&](const CannedRequest&) { return create_answer; });
  auto backend = backendFor(docker);
  ASSERT_TRUE(backend->ensureNetwork("oh-user-u1", {{"managed", "true"}}).ok());
  ASSERT_EQ(docker.requests().size(), 1u);
  EXPECT_EQ(docker.requests().back().method, "POST");
  EXPECT_EQ(docker.requests().back().target, "/v1.41/networks/create");
  EXPECT_EQ(docker.requests().back().body, networkCreateBody("oh-user-u1", {{"managed", "true"}}));
  ASSERT_TRUE(backend->ensureNetwork("oh-user-u1", {{"managed", "true"}}).ok());
  EXPECT_EQ(docker.requests().size(), 1u);  // known: no call

  create_answer = CannedDocker::json(409, R"({"message":"network with name oh-user-u2 already exists"})");
  EXPECT_TRUE(backend->ensureNetwork("oh-user-u2", {}).ok());
  create_answer = CannedDocker::json(500, R"({"cause":"network already exists","message":"network name oh-user-u3 already used: network already exists"})");
  EXPECT_TRUE(backend->ensureNetwork("oh-user-u3", {}).ok());
  create_answer = CannedDocker::json(500, R"({"message":"no free subnet"})");
  const auto failed = backend->ensureNetwork("oh-user-u4", {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, Kind::other);
  EXPECT_EQ(failed.error().reason, "create network oh-user-u4: no free subnet (status 500)");
  const std::size_t before = docker.requests().size();
  EXPECT_FALSE(backend->ensureNetwork("oh-user-u4", {}).ok());  // a failure is not remembered
  EXPECT_EQ(docker.requests().size(), before + 1);
}

// A container create that finds its network gone (removed behind our back) fails, to be
// retried, and makes the next ensureNetwork create the network again.
TEST_F(DockerBackendTest, NetworkGoneIsEnsuredAgain) {
  std::string create_answer = CannedDocker::json(201, R"({"Id":"n1"})");
  CannedDocker docker([&](const CannedRequest&) { return create_answer; });
  auto backend = backendFor(docker);
  ASSERT_TRUE(backend->ensureNetwork("oh-user-u1", {}).ok());
  const WorkloadSpec spec = this->spec();  // on oh-user-u1
  create_answer = CannedDocker::json(404, R"({"message":"unable to find network with name or ID oh-user-u1: network not found"})");
  const auto created = backend->create(spec);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Kind::other);
  const std::size_t before = docker.requests().size();
  create_answer = CannedDocker::json(201, R"({"Id":"n2"})");
  ASSERT_TRUE(backend->ensureNetwork("oh-user-u1", {}).ok());
  ASSERT_EQ(docker.requests().size(), before + 1);
  EXPECT_EQ(docker.requests().back().target, "/v1.41/networks/create");
}

// Hostile or absent peers: every one ends as a failure value within the deadline.
TEST_F(DockerBackendTest, HostileAnswers) {
  struct Row {
    const char* what;
    std::string answer;
    Kind kind;
  };
  const std::vector<Row> rows = {
      {"no answer (closed)", CannedDocker::kClose, Kind::unavailable},
      {"no answer (hangs past the deadline)", CannedDocker::kHang, Kind::unavailable},
      {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", Kind::other},
      {"over the size limit", CannedDocker::json(200, std::string(70 * 1024, ' ')), Kind::other},
      {"over the size limit, chunked", CannedDocker::chunkedJson(200, std::string(70 * 1024, ' '), 4096), Kind::other},
      {"bad chunk framing", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", Kind::other},
      {"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Id\"", Kind::unavailable},
      {"head too large", "HTTP/1.1 200 OK\r\nX: " + std::string(70 * 1024, 'a') + "\r\n\r\n", Kind::other},
      {"200 with garbage", CannedDocker::json(200, "<html>"), Kind::other},
      {"unexpected status", CannedDocker::json(503, R"({"message":"daemon busy"})"), Kind::other},
  };
  for (const Row& row : rows) {
    CannedDocker docker([&row](const CannedRequest&) { return row.answer; });
    const auto observed = backendFor(docker)->inspect("oh-sandbox-s1");
    ASSERT_FALSE(observed.ok()) << row.what;
    EXPECT_EQ(observed.error().kind, row.kind) << row.what << ": " << observed.error().reason;
  }
}

TEST_F(DockerBackendTest, NoDaemonIsUnavailable) {
  auto backend = makeDockerBackend({.socket = root_ + "/nothing.sock", .workspace_root = root_});
  const auto observed = backend->inspect("oh-sandbox-s1");
  ASSERT_FALSE(observed.ok());
  EXPECT_EQ(observed.error().kind, Kind::unavailable);
  EXPECT_NE(observed.error().reason.find("connect"), std::string::npos) << observed.error().reason;
  const auto long_path = makeDockerBackend({.socket = "/" + std::string(200, 'a'), .workspace_root = root_});
  EXPECT_EQ(long_path->list("a", "b").error().kind, Kind::unavailable);
}

}  // namespace
}  // namespace oh::control
