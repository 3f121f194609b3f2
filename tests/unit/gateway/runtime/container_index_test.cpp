#include "runtime/container_index.h"

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

constexpr const char* kConv = "0123456789abcdef0123456789abcdef";

ContainerRecordPtr record(std::string id, std::string conversation, std::string name, std::string state = "running") {
  ContainerRecord r;
  r.id = std::move(id);
  r.conversation_id = std::move(conversation);
  r.name = std::move(name);
  r.name_id = conversationKeyFromName(r.name);
  r.state = std::move(state);
  r.ip = "10.88.0.2";
  return std::make_shared<const ContainerRecord>(std::move(r));
}

// This test verifies lookups by conversation label and by OpenHands' container names.
TEST(ContainerIndex, LabelAndName) {
  ContainerIndex index({record("c1", kConv, "whatever"), record("c2", "", "oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV"),
                        record("c3", "", "openhands-runtime-87523c1df99440da"), record("c4", "", "oh-agent-server-bad!")});
  ASSERT_NE(index.find(kConv), nullptr);
  EXPECT_EQ(index.find(kConv)->id, "c1");
  ASSERT_NE(index.find("xc0bgbvjp2gauzbx1wvfv"), nullptr);
  EXPECT_EQ(index.find("xc0bgbvjp2gauzbx1wvfv")->id, "c2");
  EXPECT_EQ(index.find("87523c1df99440da")->id, "c3");
  EXPECT_EQ(index.find("xC0Bgbvjp2GAUZBX1wvFV"), nullptr);  // callers normalise
  EXPECT_EQ(index.find("ffffffffffffffffffffffffffffffff"), nullptr);
  EXPECT_EQ(index.containerCount(), 4u);
  EXPECT_EQ(conversationKeyFromName("oh-agent-server-"), "");
  EXPECT_EQ(conversationKeyFromName("x-oh-agent-server-0123456789abcdef"), "");
}

// This test verifies a running container wins over a stopped one, and two equals are refused.
TEST(ContainerIndex, Conflicts) {
  ContainerIndex index({record("old", kConv, "a", "exited"), record("new", kConv, "b", "running")});
  EXPECT_EQ(index.find(kConv)->id, "new");
  ContainerIndex twins({record("x", kConv, "a"), record("y", kConv, "b")});
  EXPECT_EQ(twins.find(kConv), nullptr);  // ambiguous: neither
}

// This test verifies copy-on-write updates leave the old snapshot intact.
TEST(ContainerIndex, WithReplacesAndRemoves) {
  auto first = std::make_shared<const ContainerIndex>(std::vector<ContainerRecordPtr>{record("c1", kConv, "a")});
  auto stopped = first->with("c1", record("c1", kConv, "a", "exited"));
  EXPECT_TRUE(first->find(kConv)->running());
  EXPECT_FALSE(stopped->find(kConv)->running());
  auto removed = stopped->with("c1", nullptr);
  EXPECT_EQ(removed->find(kConv), nullptr);
  EXPECT_EQ(removed->containerCount(), 0u);
  auto added = removed->with("c9", record("c9", kConv, "z"));
  EXPECT_EQ(added->find(kConv)->id, "c9");
}

// This test verifies lookups by published host port: running containers only, and a port two
// running containers claim is refused rather than guessed.
TEST(ContainerIndex, ByHostPort) {
  auto with_ports = [](std::string id, std::string state, std::vector<PortMapping> ports) {
    ContainerRecord r;
    r.id = std::move(id);
    r.name = "oh-agent-server-" + r.id;
    r.state = std::move(state);
    r.ip = "10.88.0.3";
    r.ports = std::move(ports);
    return std::make_shared<const ContainerRecord>(std::move(r));
  };
  ContainerIndex index({with_ports("a", "running", {{8000, 30001}, {8001, 30002}}),
                        with_ports("b", "exited", {{8000, 30003}}), with_ports("c", "running", {{8000, 30004}}),
                        with_ports("d", "running", {{8000, 30004}})});
  ASSERT_NE(index.findByHostPort(30001), nullptr);
  EXPECT_EQ(index.findByHostPort(30001)->id, "a");
  EXPECT_EQ(index.findByHostPort(30002)->id, "a");
  EXPECT_EQ(index.findByHostPort(30003), nullptr) << "a stopped container holds no port";
  EXPECT_EQ(index.findByHostPort(30004), nullptr) << "claimed twice";
  EXPECT_EQ(index.findByHostPort(1), nullptr);
}

}  // namespace
}  // namespace oh::gateway
