// The Engine API requests the Docker backend sends, field by field: what a spec becomes, and
// what no spec can change (privileged mode, devices, ports, capabilities, restart policy).

#include "backend/docker_requests.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace oh::control {
namespace {

namespace json = boost::json;

WorkloadSpec agentSpec() {
  WorkloadSpec spec;
  spec.name = "oh-sandbox-abc";
  spec.image = "ghcr.io/openhands/agent-server:1.7.0-python";
  spec.command = {"/usr/local/bin/openhands-agent-server", "--port", "60000"};
  spec.working_dir = "/workspace/project";
  spec.environment = {{"OH_SESSION_API_KEYS_0", "s3cret"}, {"EMPTY", ""}, {"WITH_EQUALS", "a=b"}};
  spec.labels = {{"org.openhands.owner", "user-1"}, {"org.openhands.sandbox", "abc"}};
  spec.user = "10001:10001";
  spec.supplementary_groups = {10001, 42};
  spec.network = "oh-user-user-1";
  spec.workspace = "/srv/ws/user-1/abc";
  spec.limits = {.cpus = 1.5, .memory_bytes = 2147483648, .pids = 512, .disk_bytes = 10737418240};
  return spec;
}

// The whole create body for an agent-server spec, compared as JSON (every field, nothing more).
TEST(ContainerCreateBody, EveryFieldOfAnAgentServer) {
  const json::value body = json::parse(containerCreateBody(agentSpec()));
  const json::value expected = json::parse(R"({
    "Image": "ghcr.io/openhands/agent-server:1.7.0-python",
    "Entrypoint": ["/usr/local/bin/openhands-agent-server", "--port", "60000"],
    "Cmd": [],
    "WorkingDir": "/workspace/project",
    "Env": ["OH_SESSION_API_KEYS_0=s3cret", "EMPTY=", "WITH_EQUALS=a=b"],
    "Labels": {"org.openhands.owner": "user-1", "org.openhands.sandbox": "abc"},
    "User": "10001:10001",
    "ExposedPorts": {},
    "HostConfig": {
      "NetworkMode": "oh-user-user-1",
      "Binds": ["/srv/ws/user-1/abc:/workspace:rw"],
      "NanoCpus": 1500000000,
      "Memory": 2147483648,
      "MemorySwap": 2147483648,
      "PidsLimit": 512,
      "StorageOpt": {"size": "10737418240"},
      "GroupAdd": ["10001", "42"],
      "SecurityOpt": [],
      "CapDrop": ["NET_RAW", "MKNOD", "AUDIT_WRITE"],
      "CapAdd": [],
      "Privileged": false,
      "Devices": [],
      "PortBindings": {},
      "PublishAllPorts": false,
      "ReadonlyRootfs": false,
      "AutoRemove": false,
      "RestartPolicy": {"Name": "no"}
    }
  })");
  EXPECT_EQ(body, expected) << json::serialize(body);
}

// No command, working directory, user or limits: the image's entrypoint, directory and user,
// and no limit field at all (0 means unlimited); the isolation fields stay.
TEST(ContainerCreateBody, DefaultsLeaveOutOptionalFieldsButNotIsolation) {
  WorkloadSpec spec = agentSpec();
  spec.command.clear();
  spec.working_dir.clear();
  spec.user.clear();
  spec.supplementary_groups.clear();
  spec.limits = {};
  const json::object body = json::parse(containerCreateBody(spec)).as_object();
  EXPECT_FALSE(body.contains("Entrypoint"));
  EXPECT_FALSE(body.contains("Cmd"));
  EXPECT_FALSE(body.contains("WorkingDir"));
  EXPECT_FALSE(body.contains("User"));
  const json::object& host = body.at("HostConfig").as_object();
  for (const char* absent : {"NanoCpus", "Memory", "MemorySwap", "PidsLimit", "StorageOpt"}) {
    EXPECT_FALSE(host.contains(absent)) << absent;
  }
  EXPECT_EQ(host.at("GroupAdd"), json::array{});
  EXPECT_EQ(host.at("Privileged"), false);
  EXPECT_EQ(host.at("CapDrop"), (json::array{"NET_RAW", "MKNOD", "AUDIT_WRITE"}));
  EXPECT_EQ(host.at("Binds"), (json::array{"/srv/ws/user-1/abc:/workspace:rw"}));
}

// Values that are JSON-special stay data: quotes, backslashes, newlines and non-ASCII in env
// values and labels come back unchanged from the parsed body, and add no field.
TEST(ContainerCreateBody, HostileValuesStayData) {
  WorkloadSpec spec = agentSpec();
  spec.environment = {{"X", "\",\"HostConfig\":{\"Privileged\":true}}\n\\\xc3\xa9"}};
  spec.labels = {{"k\"", "v\"}, \"Privileged\": true"}};
  const json::object body = json::parse(containerCreateBody(spec)).as_object();
  EXPECT_EQ(body.at("Env").as_array().at(0).as_string(), "X=\",\"HostConfig\":{\"Privileged\":true}}\n\\\xc3\xa9");
  EXPECT_EQ(body.at("Labels").as_object().at("k\"").as_string(), "v\"}, \"Privileged\": true");
  EXPECT_EQ(body.at("HostConfig").as_object().at("Privileged"), false);
}

TEST(NetworkCreateBody, BridgeNotInternalWithLabels) {
  const json::value body = json::parse(networkCreateBody("oh-user-u1", {{"org.openhands.managed", "true"}}));
  EXPECT_EQ(body, json::parse(R"({"Name":"oh-user-u1","Driver":"bridge","Internal":false,"CheckDuplicate":true,
                                  "Labels":{"org.openhands.managed":"true"},
                                  "Options":{"com.docker.network.bridge.name":")" +
                              sandboxBridgeName("oh-user-u1") + R"("}})"));
}

// The host firewall matches sandbox bridges by "ohu+": every name has the prefix, fits in an
// interface name (15 characters), is stable, and differs between two users' networks.
TEST(SandboxBridgeName, PrefixedStableAndShort) {
  EXPECT_EQ(sandboxBridgeName("oh-user-u1").substr(0, 3), "ohu");
  EXPECT_EQ(sandboxBridgeName("oh-user-u1").size(), 15u);
  EXPECT_EQ(sandboxBridgeName("oh-user-u1"), sandboxBridgeName("oh-user-u1"));
  EXPECT_NE(sandboxBridgeName("oh-user-u1"), sandboxBridgeName("oh-user-u2"));
  EXPECT_EQ(sandboxBridgeName("oh-user-u1"), "ohu4cd7f81b2f20");  // printf oh-user-u1 | sha256sum
  for (char c : sandboxBridgeName("oh-user-0123456789abcdef0123456789abcdef").substr(3)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
}

// Repository and tag for POST /images/create; never an empty tag (that pulls every tag).
TEST(SplitImageReference, TagsDigestsAndRegistryPorts) {
  struct Case {
    const char* image;
    const char* repository;
    const char* tag;
  };
  const Case cases[] = {
      {"busybox", "busybox", "latest"},
      {"busybox:1.36", "busybox", "1.36"},
      {"ghcr.io/openhands/agent-server:1.7.0-python", "ghcr.io/openhands/agent-server", "1.7.0-python"},
      {"localhost:5000/agent", "localhost:5000/agent", "latest"},
      {"localhost:5000/agent:2", "localhost:5000/agent", "2"},
      {"agent@sha256:abcd", "agent", "sha256:abcd"},
      {"reg:1/agent:2@sha256:abcd", "reg:1/agent", "sha256:abcd"},
  };
  for (const Case& c : cases) {
    const ImageReference reference = splitImageReference(c.image);
    EXPECT_EQ(reference.repository, c.repository) << c.image;
    EXPECT_EQ(reference.tag, c.tag) << c.image;
  }
}

TEST(Targets, EncodedQueriesAndPlainPaths) {
  EXPECT_EQ(imagePullTarget("localhost:5000/agent:2"), "/images/create?fromImage=localhost%3A5000%2Fagent&tag=2");
  EXPECT_EQ(containerCreateTarget("oh-sandbox-a.b"), "/containers/create?name=oh-sandbox-a.b");
  EXPECT_EQ(containerTarget("oh-sandbox-a", "/stop?t=10"), "/containers/oh-sandbox-a/stop?t=10");
  EXPECT_EQ(labelListTarget("org.openhands.managed", "true"),
            "/containers/json?all=true&filters=%7B%22label%22%3A%5B%22org.openhands.managed%3Dtrue%22%5D%7D");
}

}  // namespace
}  // namespace oh::control
