#include "runtime/runtime_address.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace oh::gateway {
namespace {

constexpr const char* kConv = "0123456789abcdef0123456789abcdef";

RuntimeSettings settings() {
  RuntimeSettings s;
  s.enabled = true;
  s.host_suffixes = {"runtime.openhands.example.com", "runtime.oh.test"};
  return s;
}

RuntimeAddress expectAddress(std::string_view host, std::string_view target) {
  auto result = classifyRuntimeRequest(host, target, settings());
  EXPECT_TRUE(std::holds_alternative<RuntimeAddress>(result)) << host << " " << target;
  if (auto* address = std::get_if<RuntimeAddress>(&result)) {
    return *address;
  }
  return {};
}

unsigned refusalStatus(std::string_view host, std::string_view target = "/") {
  auto result = classifyRuntimeRequest(host, target, settings());
  if (auto* refusal = std::get_if<RuntimeRefusal>(&result)) {
    EXPECT_FALSE(refusal->reason.empty());
    return refusal->status;
  }
  ADD_FAILURE() << "not refused: " << host << " " << target;
  return 0;
}

bool notRuntime(std::string_view host, std::string_view target = "/") {
  return std::holds_alternative<NotRuntime>(classifyRuntimeRequest(host, target, settings()));
}

// This test verifies the host form: port, lowercased conversation, main host, target unchanged.
TEST(RuntimeAddress, HostForm) {
  const auto a = expectAddress(std::string("5000-") + kConv + ".runtime.openhands.example.com", "/add?x=1");
  EXPECT_EQ(a.port, 5000);
  EXPECT_EQ(a.conversation_id, kConv);
  EXPECT_EQ(a.main_host, "openhands.example.com");
  EXPECT_FALSE(a.path_form);
  EXPECT_EQ(a.forward_target, "/add?x=1");
}

// This test verifies case-insensitivity, the optional :port on Host, and the second suffix.
TEST(RuntimeAddress, HostFormCaseAndPort) {
  const auto a = expectAddress("8080-0123456789ABCDEF0123456789ABCDEF.RUNTIME.OH.TEST:443", "/");
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.conversation_id, kConv);
  EXPECT_EQ(a.main_host, "oh.test");
}

// This test verifies the id forms OpenHands uses: 32 hex, 1.x base62 sandbox ids, 16 hex.
TEST(RuntimeAddress, ConversationIdForms) {
  EXPECT_TRUE(isConversationId(kConv));
  EXPECT_TRUE(isConversationId("xC0Bgbvjp2GAUZBX1wvFV"));   // 1.x sandbox id (base62)
  EXPECT_TRUE(isConversationId("7BduNkbk4iYnlAbhogXd9q"));  // 22 characters
  EXPECT_TRUE(isConversationId("87523c1df99440da"));        // 0.x runtime id
  EXPECT_TRUE(isConversationId("abc123def456"));            // the reference README's example
  EXPECT_FALSE(isConversationId("abc123def45"));            // 11: too short
  EXPECT_FALSE(isConversationId(std::string(33, 'a')));     // too long
  EXPECT_FALSE(isConversationId("0123456789abcdef-0123456789abcde"));
  EXPECT_FALSE(isConversationId("0123456789abcdef_0123456789abcde"));
  EXPECT_FALSE(isConversationId(""));
  EXPECT_EQ(normaliseConversationId("xC0Bgbvjp2GAUZBX1wvFV"), "xc0bgbvjp2gauzbx1wvfv");
  EXPECT_EQ(normaliseConversationId("no"), "");
  // Any byte outside [0-9A-Za-z], wherever it is, refuses the id: NUL, a space, a non-ASCII
  // byte, the characters just outside each range.
  for (const char bad : {'\0', ' ', '\xc0', '\xff', '/', ':', '@', '[', '`', '{'}) {
    for (const std::size_t at : {std::size_t{0}, std::size_t{15}, std::size_t{31}}) {
      std::string id = kConv;
      id[at] = bad;
      EXPECT_FALSE(isConversationId(id)) << static_cast<int>(bad) << " at " << at;
      EXPECT_EQ(normaliseConversationId(id), "") << static_cast<int>(bad) << " at " << at;
    }
  }
}

// This test verifies the hostile host list: each refused, never routed.
TEST(RuntimeAddress, HostileHosts) {
  const std::string conv = kConv;
  const std::string suffix = ".runtime.openhands.example.com";
  EXPECT_EQ(refusalStatus("0-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("65536-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("99999-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("08080-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("123456-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("+80-" + conv + suffix), 400u);
  EXPECT_EQ(refusalStatus("80" + conv + suffix), 400u);            // no dash
  EXPECT_EQ(refusalStatus("80-" + suffix), 400u);                   // empty conversation
  EXPECT_EQ(refusalStatus("a.5000-" + conv + suffix), 404u);        // extra label
  EXPECT_EQ(refusalStatus("5000-" + conv + ".x" + suffix), 404u);   // extra label
  EXPECT_EQ(refusalStatus("5000-" + conv + "-x" + suffix), 400u);
  EXPECT_EQ(refusalStatus("5000-" + std::string(58, 'a') + suffix), 400u);  // label over 63
  EXPECT_EQ(refusalStatus("5000-" + std::string(40, 'a') + suffix), 400u);  // id too long
  EXPECT_EQ(refusalStatus("5000-" + conv.substr(0, 31) + "!" + suffix), 400u);
  EXPECT_EQ(refusalStatus("5000-" + conv + suffix + ":0"), 400u);
  EXPECT_EQ(refusalStatus("5000-" + conv + suffix + ":x"), 400u);
  EXPECT_EQ(refusalStatus(suffix.substr(1)), 404u);                 // the bare suffix
  EXPECT_EQ(refusalStatus("5000-" + conv + ".." + suffix.substr(1)), 404u);  // empty label
  EXPECT_EQ(refusalStatus(std::string(300, 'a') + suffix), 400u);
}

// This test verifies hostile targets on a valid host: dot-dot, encoded slashes, control bytes.
TEST(RuntimeAddress, HostileTargets) {
  const std::string host = std::string("5000-") + kConv + ".runtime.openhands.example.com";
  for (const char* target : {"/../etc/passwd", "/a/../b", "/a/%2e%2e/b", "/a/.%2E/b", "/%2E%2e", "/a%2fb", "/a%2Fb",
                             "/a%5cb", "/a%5Cb", "/a\\b", "/a%00", "/a\x01", "/a b", "/a\x7f", "/a%", "/a%2",
                             "*", "http://evil/", "", "/\xc3\xa9"}) {
    EXPECT_EQ(refusalStatus(host, target), 400u) << target;
  }
  // Harmless lookalikes pass.
  for (const char* target : {"/a/.../b", "/a..b", "/..a", "/a/?x=../..", "/a?x=%2f", "/%41"}) {
    EXPECT_EQ(expectAddress(host, target).forward_target, target);
  }
}

// This test verifies the path form on the main host and its forward target.
TEST(RuntimeAddress, PathForm) {
  const std::string conv = kConv;
  auto a = expectAddress("openhands.example.com", "/runtime/" + conv + "/5000/add?x=1");
  EXPECT_TRUE(a.path_form);
  EXPECT_EQ(a.port, 5000);
  EXPECT_EQ(a.forward_target, "/add?x=1");
  EXPECT_EQ(a.main_host, "openhands.example.com");
  EXPECT_EQ(expectAddress("OpenHands.Example.com:8443", "/runtime/" + conv + "/5000").forward_target, "/");
  EXPECT_EQ(expectAddress("openhands.example.com", "/runtime/" + conv + "/5000/").forward_target, "/");
  EXPECT_EQ(expectAddress("openhands.example.com", "/runtime/" + conv + "/5000?q").forward_target, "/?q");
  EXPECT_EQ(expectAddress("openhands.example.com", "/runtime/XC0Bgbvjp2GAUZBX1wvFV/80/").conversation_id,
            "xc0bgbvjp2gauzbx1wvfv");
}

// This test verifies malformed path forms are refused and other main-host paths are not ours.
TEST(RuntimeAddress, PathFormRefusals) {
  const std::string conv = kConv;
  const std::string host = "openhands.example.com";
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/0/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/65536/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/080/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/80x/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/short/80/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/80/../../api"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "/80/%2e%2e/api"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime/" + conv + "%2f80/"), 400u);
  EXPECT_EQ(refusalStatus(host, "/runtime//80/"), 400u);
  EXPECT_TRUE(notRuntime(host, "/"));
  EXPECT_TRUE(notRuntime(host, "/runtime"));
  EXPECT_TRUE(notRuntime(host, "/api/conversations"));
  EXPECT_TRUE(notRuntime(host + ":bad", "/"));  // main app decides about its own Host
}

// This test verifies hosts outside the suffixes are not runtime requests (the main app's).
TEST(RuntimeAddress, OtherHosts) {
  const std::string conv = kConv;
  EXPECT_TRUE(notRuntime("example.com"));
  EXPECT_TRUE(notRuntime("5000-" + conv + ".runtime.other.example.com"));
  EXPECT_TRUE(notRuntime("5000-" + conv + "xruntime.openhands.example.com"));
  EXPECT_TRUE(notRuntime("[::1]:8080"));
  EXPECT_TRUE(notRuntime(""));
  RuntimeSettings none;
  EXPECT_TRUE(std::holds_alternative<NotRuntime>(
      classifyRuntimeRequest("5000-" + conv + ".runtime.openhands.example.com", "/", none)));
}

// This test verifies the agent-server form {hostPort}-sandbox (any case): no conversation, the
// host port kept; near misses are refused like any malformed runtime host.
TEST(RuntimeAddress, SandboxForm) {
  const auto a = expectAddress("30412-Sandbox.runtime.oh.test", "/alive");
  EXPECT_TRUE(a.sandbox_form);
  EXPECT_EQ(a.port, 30412);
  EXPECT_TRUE(a.conversation_id.empty());
  EXPECT_EQ(a.main_host, "oh.test");
  EXPECT_FALSE(expectAddress(std::string("5000-") + kConv + ".runtime.oh.test", "/").sandbox_form);
  EXPECT_EQ(refusalStatus("030412-sandbox.runtime.oh.test"), 400u);
  EXPECT_EQ(refusalStatus("0-sandbox.runtime.oh.test"), 400u);
  EXPECT_EQ(refusalStatus("30412-sandboxes.runtime.oh.test"), 400u);
  EXPECT_EQ(refusalStatus("sandbox-30412.runtime.oh.test"), 400u);
  EXPECT_EQ(refusalStatus("30412-sandbox.runtime.oh.test", "/../etc"), 400u);
}

// This test verifies the hand-off's host check (issue 16): a runtime host comes back rebuilt
// from its parts (lowercase, port digits, configured suffix), and anything a browser could
// decode into another host (escapes, userinfo, backslashes, full-width dots, extra labels,
// trailing junk) is no runtime host at all.
TEST(RuntimeAddress, CanonicalRuntimeHost) {
  const std::string conv = kConv;
  EXPECT_EQ(canonicalRuntimeHost("5000-" + conv + ".runtime.oh.test", settings()), "5000-" + conv + ".runtime.oh.test");
  EXPECT_EQ(canonicalRuntimeHost("5000-0123456789ABCDEF0123456789ABCDEF.Runtime.OH.test:8443", settings()),
            "5000-" + conv + ".runtime.oh.test:8443");
  EXPECT_EQ(canonicalRuntimeHost("8080-Sandbox.runtime.openhands.example.com", settings()),
            "8080-sandbox.runtime.openhands.example.com");
  EXPECT_EQ(canonicalRuntimeHost("VSCode-60000-" + conv + ".runtime.oh.test", settings()),
            "vscode-60000-" + conv + ".runtime.oh.test");
  for (const std::string& hostile : std::vector<std::string>{
           "evil.test",
           "runtime.oh.test",                                         // the bare suffix
           "oh.test",                                                 // the main host
           "a.5000-" + conv + ".runtime.oh.test",                     // an extra label
           "evil.test%2f5000-" + conv + ".runtime.oh.test",            // an escape a browser decodes
           "evil.test/5000-" + conv + ".runtime.oh.test",
           "evil.test\\5000-" + conv + ".runtime.oh.test",
           "evil.test@5000-" + conv + ".runtime.oh.test",
           "evil.test#5000-" + conv + ".runtime.oh.test",
           "evil\xe3\x80\x82test.5000-" + conv + ".runtime.oh.test",     // U+3002, a dot to a browser
           "5000-" + conv + ".runtime.oh.test.evil.test",
           "5000-" + conv + ".runtime.oh.test:80@evil.test",
           "5000-" + conv + ".runtime.oh.test:0",
           "5000-" + conv + ".runtime.oh.test:08443",
           "5000-" + conv + ".runtime.oh.test:",
           "05000-" + conv + ".runtime.oh.test",
           "5000-short.runtime.oh.test",
           "5000-" + conv + ".runtime.oh.test/",
           "5000-" + conv + ".runtime.oh.test\r\nX: y",
           "[::1]:5000",
           ""}) {
    EXPECT_FALSE(canonicalRuntimeHost(hostile, settings())) << hostile;
  }
}

}  // namespace
}  // namespace oh::gateway
