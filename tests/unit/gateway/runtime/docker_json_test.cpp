#include "runtime/docker_json.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

RuntimeSettings settings() {
  RuntimeSettings s;
  s.conversation_label = "conversation_id";
  s.user_label = "user_id";
  return s;
}

// A Podman 4.3 compat answer (trimmed), one labelled sandbox and one unrelated container.
constexpr const char* kList = R"([
 {"Id":"9e9c5b93ee98a4b2c6fdcaf9b57e633e7fdfbfc96773bf98e8aaa5fe4bd8f6fd","Names":["/oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV"],
  "Image":"localhost/h3-test:latest","State":"running","Status":"Up 2 seconds",
  "Labels":{"conversation_id":"0123456789ABCDEF0123456789abcdef","user_id":"alice"},
  "Ports":[{"IP":"","PrivatePort":80,"PublicPort":18080,"Type":"tcp"},{"PrivatePort":53,"PublicPort":5353,"Type":"udp"},
           {"PrivatePort":81,"Type":"tcp"}],
  "NetworkSettings":{"Networks":{"podman":{"IPAddress":"10.88.0.5","Gateway":"10.88.0.1"}}}},
 {"Id":"aaaa","Names":["/postgres"],"State":"running","Labels":{},"NetworkSettings":{"Networks":{}}}
])";

// This test verifies a real-shaped list: labels, owner, state, IP, tcp port mappings only.
TEST(DockerJson, ContainerList) {
  const auto result = parseContainerList(kList, settings());
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.listed, 2u);
  ASSERT_EQ(result.containers.size(), 1u);
  const ContainerRecord& c = *result.containers[0];
  EXPECT_EQ(c.name, "oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV");
  EXPECT_EQ(c.name_id, "xc0bgbvjp2gauzbx1wvfv");
  EXPECT_EQ(c.conversation_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.owner, "alice");
  EXPECT_TRUE(c.has_owner_label);
  EXPECT_TRUE(c.running());
  EXPECT_EQ(c.ip, "10.88.0.5");
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].container_port, 80);
  EXPECT_EQ(c.ports[0].host_port, 18080);
}

// This test verifies the configured network picks the IP, and custom label names are honoured.
TEST(DockerJson, NetworkAndLabelNames) {
  RuntimeSettings s = settings();
  s.network = "sandbox";
  s.conversation_label = "oh.conv";
  s.user_label = "oh.user";
  const auto result = parseContainerList(R"([{"Id":"ab","Names":["/x"],"State":"exited",
    "Labels":{"oh.conv":"0123456789abcdef0123456789abcdef","conversation_id":"ffffffffffffffffffffffffffffffff"},
    "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"},"sandbox":{"IPAddress":"10.9.0.3"}}}}])",
                                         s);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.containers.size(), 1u);
  EXPECT_EQ(result.containers[0]->conversation_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(result.containers[0]->ip, "10.9.0.3");
  EXPECT_FALSE(result.containers[0]->has_owner_label);
  EXPECT_FALSE(result.containers[0]->running());
}

// This test verifies malformed, hostile and wrongly-typed answers give errors or skipped entries.
TEST(DockerJson, HostileLists) {
  for (const char* text : {"", "{", "{\"message\":\"page not found\"}", "null", "[1,2", "\"x\"",
                           "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"}) {
    EXPECT_FALSE(parseContainerList(text, settings()).ok()) << text;
  }
  const char* odd = R"([1, "x", null, {}, {"Id":5}, {"Id":""},
    {"Id":"b1","Names":"oh-agent-server-0123456789abcdef","Labels":[],"State":7,"Ports":{},"NetworkSettings":[]},
    {"Id":"b2","Names":[7],"Labels":{"conversation_id":7,"user_id":["x"]}},
    {"Id":"b3","Labels":{"conversation_id":"../../../../etc/passwd"}},
    {"Id":"b4","Labels":{"conversation_id":"0123456789abcdef0123456789abcdef"},
     "Ports":[{"PrivatePort":-1,"PublicPort":80},{"PrivatePort":70000,"PublicPort":80},{"PrivatePort":80,"PublicPort":1e3},
              {"PrivatePort":18446744073709551615,"PublicPort":80}],
     "NetworkSettings":{"Networks":{"a":{"IPAddress":"10.0.0.1; rm -rf"},"b":{"IPAddress":7},"c":{"IPAddress":"10.0.0.2"}}}}])";
  const auto result = parseContainerList(odd, settings());
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.containers.size(), 1u);
  EXPECT_EQ(result.containers[0]->id, "b4");
  EXPECT_TRUE(result.containers[0]->ports.empty());
  EXPECT_EQ(result.containers[0]->ip, "10.0.0.2");
}

// This test verifies Docker's and Podman's event shapes, including network events.
TEST(DockerJson, Events) {
  auto e = parseDockerEvent(R"({"status":"die","id":"abc","Type":"container","Action":"die","Actor":{"ID":"abc1"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->container_id, "abc1");
  EXPECT_TRUE(e->affectsIndex());
  e = parseDockerEvent(R"({"Type":"network","Action":"connect","Actor":{"ID":"net","Attributes":{"container":"c0"}}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->container_id, "c0");
  EXPECT_TRUE(e->affectsIndex());
  e = parseDockerEvent(R"({"status":"start","id":"old"})");  // pre-1.22 shape
  ASSERT_TRUE(e);
  EXPECT_EQ(e->container_id, "old");
  e = parseDockerEvent(R"({"Type":"container","Action":"exec_start: sh -c x","Actor":{"ID":"c"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->action, "exec_start");
  EXPECT_FALSE(e->affectsIndex());
  EXPECT_FALSE(parseDockerEvent(R"({"Type":"container","Action":"start"})"));
  EXPECT_FALSE(parseDockerEvent(R"({"Type":"image","Action":"pull","Actor":{"ID":"x"}})")->affectsIndex());
  EXPECT_FALSE(parseDockerEvent("[]"));
  EXPECT_FALSE(parseDockerEvent("{"));
}

// This test verifies the stream decoder across arbitrary splits and back-to-back objects.
TEST(DockerJson, EventStreamSplits) {
  const std::string stream =
      R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})" "\n"
      R"({"Type":"container","Action":"die","Actor":{"ID":"a2"}}{"Type":"container","Action":"destroy","Actor":{"ID":"a3"}})"
      "\r\n  \n";
  for (std::size_t split = 1; split <= stream.size(); ++split) {
    EventStreamDecoder decoder;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < stream.size(); i += split) {
      auto problem = decoder.feed(std::string_view(stream).substr(i, split),
                                  [&](const DockerEvent& event) { ids.push_back(event.container_id); });
      ASSERT_FALSE(problem) << *problem;
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"a1", "a2", "a3"})) << split;
  }
}

// This test verifies an oversized or malformed event ends the stream with an error.
TEST(DockerJson, EventStreamLimits) {
  EventStreamDecoder small(100);
  const std::string big = R"({"Type":"container","Action":"start","Actor":{"ID":")" + std::string(200, 'a') + "\"}}";
  EXPECT_TRUE(small.feed(big, [](const DockerEvent&) {}));
  EventStreamDecoder decoder;
  EXPECT_TRUE(decoder.feed("{\"a\":1}}", [](const DockerEvent&) {}));
  EventStreamDecoder junk;
  EXPECT_TRUE(junk.feed("HTTP/1.1 200 OK", [](const DockerEvent&) {}));
}

}  // namespace
}  // namespace oh::gateway
