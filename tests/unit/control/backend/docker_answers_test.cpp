// Reading the Engine API's answers as Docker and Podman 4 send them, and hostile ones:
// malformed, oversized, wrong types, missing fields.

#include "backend/docker_answers.h"

#include <gtest/gtest.h>

namespace oh::control {
namespace {

// Trimmed from a real Podman 4.3 GET /containers/{name}/json (this machine's).
constexpr std::string_view kPodmanInspect = R"({
  "Id": "11e23f2e4cceb976bf80859a2b1b98b3b38108123c3c75d302c7396e1f9a6ebf",
  "Created": "2026-12-07T10:18:09.876364987Z", "Path": "sleep", "Args": ["100"],
  "State": {"Status": "running", "Running": true, "Paused": false, "Pid": 12155, "ExitCode": 0,
            "Health": {"Status": "", "FailingStreak": 0, "Log": null}},
  "Name": "/oh-sandbox-s1",
  "HostConfig": {"NetworkMode": "bridge", "NanoCpus": 500000000, "Memory": 268435456, "PidsLimit": 100},
  "Config": {"Hostname": "11e23f2e4cce", "User": "10001:10001",
             "Labels": {"org.openhands.owner": "u1", "org.openhands.sandbox": "s1"}},
  "NetworkSettings": {"Bridge": "", "IPAddress": "", "Ports": {},
    "Networks": {"oh-user-u1": {"IPAMConfig": null, "Links": null, "Aliases": ["11e23f2e4cce"],
                                "NetworkID": "oh-user-u1", "Gateway": "10.89.0.1", "IPAddress": "10.89.0.2",
                                "IPPrefixLen": 24}}}
})";

// Docker 24's shape: the same fields, a default bridge network listed first.
constexpr std::string_view kDockerInspect = R"({
  "Id": "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2",
  "State": {"Status": "exited", "Running": false, "ExitCode": 137},
  "Name": "/oh-sandbox-s2",
  "Config": {"Labels": {"org.openhands.owner": "u2"}},
  "NetworkSettings": {"IPAddress": "", "Networks": {"bridge": {"IPAddress": "172.17.0.2"},
                                                    "oh-user-u2": {"IPAddress": "172.18.0.5"}}}
})";

// This test verifies the network's gateway is read from Podman's and Docker's list shapes (IPv4
// first) for the exact name only, and that hostile values never come back as an address.
TEST(ParseNetworkGateway, PodmanDockerAndHostile) {
  const auto gateway = [](std::string_view ipam) {
    return parseNetworkGateway("[{\"Name\":\"oh-user-u1x\",\"IPAM\":{\"Config\":[{\"Gateway\":\"10.0.0.1\"}]}}," +
                                   std::string("{\"Name\":\"oh-user-u1\",\"IPAM\":") + std::string(ipam) + "}]",
                               "oh-user-u1");
  };
  // Trimmed from this machine's Podman 4.3 GET /networks?filters={"name":[...]}.
  EXPECT_EQ(*parseNetworkGateway(R"([{"Name":"oh-user-u1","Driver":"bridge","IPAM":{"Driver":"default",
      "Options":{"driver":"host-local"},"Config":[{"Subnet":"10.89.4.0/24","Gateway":"10.89.4.1"}]},"Containers":{}}])",
                                 "oh-user-u1"),
            "10.89.4.1");
  EXPECT_EQ(*gateway(R"({"Config":[{"Subnet":"fd00::/64","Gateway":"fd00::1"},{"Gateway":"172.18.0.1"}]})"),
            "172.18.0.1");
  EXPECT_EQ(*gateway(R"({"Config":[{"Subnet":"fd00::/64","Gateway":"fd00::1"}]})"), "fd00::1");
  // None named: "" (the server then trusts nobody); a wrong type is no gateway, not a crash.
  EXPECT_EQ(*gateway(R"({"Config":[{"Subnet":"10.89.0.0/24"}]})"), "");
  EXPECT_EQ(*gateway(R"({"Config":null})"), "");
  EXPECT_EQ(*gateway("null"), "");
  EXPECT_EQ(*gateway(R"({"Config":[{"Gateway":42},"x"]})"), "");
  for (std::string_view hostile : {R"({"Config":[{"Gateway":"*"}]})", R"({"Config":[{"Gateway":"10.89.0.1,0.0.0.0/0"}]})",
                                   R"({"Config":[{"Gateway":"10.89.0.1\u0000x"}]})",
                                   R"({"Config":[{"Gateway":"10.89.0.0/24"}]})"}) {
    SCOPED_TRACE(hostile);
    EXPECT_FALSE(gateway(hostile).ok());
  }
  // Only the exact name counts (Docker's filter matches substrings, Podman's patterns).
  EXPECT_FALSE(parseNetworkGateway(R"([{"Name":"oh-user-u1x","IPAM":{"Config":[{"Gateway":"10.0.0.1"}]}}])", "oh-user-u1").ok());
  for (std::string_view malformed : {"[]", "{}", "not json", "", "[1,2]"}) {
    EXPECT_FALSE(parseNetworkGateway(malformed, "oh-user-u1").ok()) << malformed;
  }
}

TEST(ParseContainerInspect, PodmanRunning) {
  const auto observed = parseContainerInspect(kPodmanInspect, "oh-user-");
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->name, "oh-sandbox-s1");
  EXPECT_EQ(observed->backend_id, "11e23f2e4cceb976bf80859a2b1b98b3b38108123c3c75d302c7396e1f9a6ebf");
  EXPECT_EQ(observed->state, WorkloadState::running);
  EXPECT_EQ(observed->address, "10.89.0.2");
  EXPECT_EQ(observed->labels, (std::map<std::string, std::string>{{"org.openhands.owner", "u1"},
                                                                  {"org.openhands.sandbox", "s1"}}));
}

// An exited container has no address even though Docker still lists its last IP.
TEST(ParseContainerInspect, DockerExitedHasNoAddress) {
  const auto observed = parseContainerInspect(kDockerInspect, "oh-user-");
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->name, "oh-sandbox-s2");
  EXPECT_EQ(observed->state, WorkloadState::exited);
  EXPECT_EQ(observed->address, "");
}

// The address is the one on a user network, not Docker's default bridge listed first.
TEST(ParseContainerInspect, AddressOnTheUserNetworkOnly) {
  std::string running(kDockerInspect);
  running.replace(running.find("exited"), 6, "running");
  auto observed = parseContainerInspect(running, "oh-user-");
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->address, "172.18.0.5");
  observed = parseContainerInspect(running, "other-");
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->address, "");
}

TEST(ParseContainerInspect, MalformedAndMissing) {
  const std::string_view bad[] = {
      "",
      "not json",
      "[]",
      "{\"Id\": \"abc\"",                                               // truncated
      R"({"Id": "abc", "Name": "/x"})",                                 // no State
      R"({"Id": "abc", "Name": "/x", "State": {"Status": 3}})",         // wrong type
      R"({"Name": "/x", "State": {"Status": "running"}})",              // no Id
      R"({"Id": 7, "Name": "/x", "State": {"Status": "running"}})",     // Id not a string
      R"({"Id": "abc", "State": {"Status": "running"}})",               // no Name
      R"({"Id": "abc", "Name": "/", "State": {"Status": "running"}})",  // empty name
  };
  for (std::string_view text : bad) {
    const auto observed = parseContainerInspect(text, "oh-user-");
    ASSERT_FALSE(observed.ok()) << text;
    EXPECT_EQ(observed.error().kind, BackendFailure::Kind::other) << text;
  }
  // Too deep to be an inspect answer: refused by the parser's depth limit, not a stack overflow.
  std::string deep = R"({"Id":"a","Name":"/x","State":{"Status":"running"},"Deep":)";
  deep += std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_FALSE(parseContainerInspect(deep, "oh-user-").ok());
}

// Wrong-typed optional fields are ignored; labels over the size limits and non-string labels are
// dropped; an implausible IP is not an address.
TEST(ParseContainerInspect, HostileOptionalFields) {
  const std::string text = R"({"Id": "abc", "Name": "/x", "State": {"Status": "running"},
    "Config": {"Labels": {"ok": "1", "num": 5, "big": ")" + std::string(5000, 'v') + R"(", ")" +
                           std::string(300, 'k') + R"(": "long key"}},
    "NetworkSettings": {"Networks": {"oh-user-a": {"IPAddress": "10.0.0.1; rm -rf /"}, "oh-user-b": 7}}})";
  const auto observed = parseContainerInspect(text, "oh-user-");
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->labels, (std::map<std::string, std::string>{{"ok", "1"}}));
  EXPECT_EQ(observed->address, "");
  const auto no_config = parseContainerInspect(R"({"Id":"abc","Name":"/x","State":{"Status":"created"},"Config":null})",
                                               "oh-user-");
  ASSERT_TRUE(no_config.ok());
  EXPECT_TRUE(no_config->labels.empty());
  EXPECT_EQ(no_config->state, WorkloadState::created);
}

TEST(WorkloadStateOf, DockerAndPodmanStatuses) {
  EXPECT_EQ(workloadStateOf("created"), WorkloadState::created);
  EXPECT_EQ(workloadStateOf("configured"), WorkloadState::created);  // Podman before its first start
  EXPECT_EQ(workloadStateOf("running"), WorkloadState::running);
  EXPECT_EQ(workloadStateOf("paused"), WorkloadState::running);
  EXPECT_EQ(workloadStateOf("restarting"), WorkloadState::running);
  EXPECT_EQ(workloadStateOf("exited"), WorkloadState::exited);
  EXPECT_EQ(workloadStateOf("dead"), WorkloadState::exited);
  EXPECT_EQ(workloadStateOf("stopped"), WorkloadState::exited);
  EXPECT_EQ(workloadStateOf(""), WorkloadState::exited);
  EXPECT_EQ(workloadStateOf("RUNNING"), WorkloadState::exited);  // not a status either daemon sends
}

// Podman 4.3's list entry (as seen on this machine) and Docker's, side by side, with entries a
// reconcile must survive: not an object, no Id, no name.
TEST(ParseContainerList, PodmanAndDockerEntriesAndJunk) {
  const std::string_view text = R"([
    {"Id": "11e2", "Names": ["/oh-sandbox-s1"], "Image": "agent:1", "Labels": {"org.openhands.sandbox": "s1"},
     "State": "running", "Status": "Up 1 second",
     "NetworkSettings": {"Networks": {"oh-user-u1": {"IPAddress": "10.89.0.2"}}}, "Name": "", "Config": null},
    {"Id": "4fa6", "Names": ["/oh-sandbox-s2"], "Labels": null, "State": "exited"},
    7, null, "x",
    {"Names": ["/no-id"], "State": "running"},
    {"Id": "5555", "Names": [], "State": "running"},
    {"Id": "6666", "State": "running"}
  ])";
  const auto listed = parseContainerList(text, "oh-user-");
  ASSERT_TRUE(listed.ok()) << listed.error().reason;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).name, "oh-sandbox-s1");
  EXPECT_EQ(listed->at(0).backend_id, "11e2");
  EXPECT_EQ(listed->at(0).state, WorkloadState::running);
  EXPECT_EQ(listed->at(0).address, "10.89.0.2");
  EXPECT_EQ(listed->at(0).labels.at("org.openhands.sandbox"), "s1");
  EXPECT_EQ(listed->at(1).name, "oh-sandbox-s2");
  EXPECT_EQ(listed->at(1).state, WorkloadState::exited);
  EXPECT_TRUE(listed->at(1).labels.empty());
}

TEST(ParseContainerList, EmptyAndMalformed) {
  const auto empty = parseContainerList("[]", "oh-user-");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  for (std::string_view text : {"", "{}", "[", "null", "[{\"Id\": \"a\"}"}) {
    EXPECT_FALSE(parseContainerList(text, "oh-user-").ok()) << text;
  }
}

// Stats: usage less the inactive page cache (cgroup v2's inactive_file, v1's total_inactive_file),
// as `docker stats` shows it; anything missing or malformed is a failure, never a made-up zero.
TEST(ParseContainerUsage, DockerPodmanAndMalformed) {
  EXPECT_EQ(parseContainerUsage(R"({"memory_stats":{"usage":104857600,"stats":{"inactive_file":4194304}}})")->memory_bytes,
            100ull * 1048576 - 4194304);
  EXPECT_EQ(parseContainerUsage(R"({"memory_stats":{"usage":2000,"stats":{"total_inactive_file":500}}})")->memory_bytes,
            1500u);
  EXPECT_EQ(parseContainerUsage(R"({"read":"x","memory_stats":{"usage":7340032,"limit":134217728}})")->memory_bytes,
            7340032u);  // Podman: no detail
  EXPECT_EQ(parseContainerUsage(R"({"memory_stats":{"usage":100,"stats":{"inactive_file":900}}})")->memory_bytes,
            100u);  // a cache larger than the usage is not subtracted into an underflow
  for (const char* bad : {"", "null", "[]", "{}", R"({"memory_stats":{}})", R"({"memory_stats":{"usage":-5}})",
                          R"({"memory_stats":{"usage":"100"}})", R"({"memory_stats":{"usage":1.5}})",
                          R"({"memory_stats":[1]})", "{\"memory_stats\":{\"usage\":1"}) {
    EXPECT_FALSE(parseContainerUsage(bad).ok()) << bad;
  }
}

TEST(DockerMessage, DockerPodmanAndRawText) {
  EXPECT_EQ(dockerMessage(R"({"message":"No such image: agent:1"})"), "No such image: agent:1");
  EXPECT_EQ(dockerMessage(R"({"cause":"image not known","message":"no such image: agent:1: image not known","response":404})"),
            "no such image: agent:1: image not known");
  EXPECT_EQ(dockerMessage("plain\r\ntext\n"), "plain  text");
  EXPECT_EQ(dockerMessage(""), "");
  const std::string longer = R"({"message":")" + std::string(1000, 'x') + "\"}";
  EXPECT_EQ(dockerMessage(longer), std::string(300, 'x') + "...");
  EXPECT_EQ(dockerMessage(std::string(1000, 'y')), std::string(300, 'y') + "...");
  // Cut between UTF-8 sequences: 299 bytes and then a 2-byte character that would end at 301.
  EXPECT_EQ(dockerMessage(std::string(299, 'z') + "\xc3\xa9 tail"), std::string(299, 'z') + "...");
}

// Podman's failed pull (as seen here: 200, one object with "error") and Docker's multi-line
// progress, fed in awkward pieces.
TEST(PullProgress, ErrorsInTheStream) {
  PullProgress podman;
  const std::string failed =
      R"({"progressDetail":{},"errorDetail":{"message":"initializing source docker://localhost/nope:1: connection refused"},)"
      R"("error":"initializing source docker://localhost/nope:1: connection refused"})"
      "\n";
  for (char c : failed) {
    podman.feed(std::string_view(&c, 1));
  }
  EXPECT_EQ(podman.finish(), "initializing source docker://localhost/nope:1: connection refused");

  PullProgress docker;
  docker.feed("{\"status\":\"Pulling from library/agent\",\"id\":\"1\"}\r\n{\"status\":\"Downl");
  docker.feed("oading\",\"progressDetail\":{\"current\":1}}\r\n{\"status\":\"Status: Downloaded newer image\"}");
  EXPECT_EQ(docker.finish(), std::nullopt);

  PullProgress detail_only;
  detail_only.feed("{\"errorDetail\":{\"message\":\"manifest unknown\"}}");
  EXPECT_EQ(detail_only.finish(), "manifest unknown");
}

// A line over the limit is skipped whole (its tail is not read as a line of its own); garbage
// lines are ignored; the first error wins.
TEST(PullProgress, OversizedAndGarbageLines) {
  PullProgress progress;
  progress.feed("{\"status\":\"" + std::string(70000, 'a'));
  progress.feed("\",\"error\":\"hidden\"}\n");
  progress.feed("not json\n{\"error\":\"first\"}\n{\"error\":\"second\"}\n");
  EXPECT_EQ(progress.finish(), "first");
}

}  // namespace
}  // namespace oh::control
