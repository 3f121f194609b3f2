// [sandbox]: the remote sandbox API's settings (issue 13) and their validation.

#include <gtest/gtest.h>

#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::kSecretLine;
using testing::problemsOf;
using testing::settingsOf;

// A complete, valid [sandbox] section; tests replace one line.
std::string enabledSandbox(const std::string& extra = "") {
  return std::string(kSecretLine) +
         "[sandbox]\n"
         "enabled = true\n"
         "key_file = \"/run/oh/sandbox-api.key\"\n"
         "seal_key_file = \"/run/oh/sandbox-seal.key\"\n"
         "store_url = \"sqlite:///var/lib/oh/sandboxes.db\"\n"
         "allowed_images = [\"ghcr.io/openhands/agent-server:1.20.1-python\"]\n"
         "workspace_root = \"/srv/oh/workspaces\"\n"
         "runtime_suffix = \"runtime.oh.test\"\n" +
         extra;
}

std::string replacing(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

// Off by default: no [sandbox] section means no obligations.
TEST(SandboxSettings, OffByDefaultWithoutObligations) {
  auto settings = settingsOf(kSecretLine);
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->sandbox.enabled);
  EXPECT_EQ(settings->sandbox.listen_address, "127.0.0.1");
}

// Every key is read into its field.
TEST(SandboxSettings, ReadsEveryKey) {
  auto settings = settingsOf(enabledSandbox(
      "listen_address = \"172.17.0.1\"\nlisten_port = 9001\npublic_scheme = \"http\"\npublic_port = 8443\n"
      "network_prefix = \"ohu-\"\nmanaged_label_value = \"test-7\"\nstop_grace_seconds = 3\n"
      "[sandbox.limits]\ncpus = 1.5\nmemory_mb = 2048\npids = 512\ndisk_mb = 10240\nmax_resource_factor = 2\n"
      "max_running_per_user = 2\nmax_sandboxes_per_user = 10\n"));
  ASSERT_TRUE(settings);
  const SandboxSettings& s = settings->sandbox;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.listen_address, "172.17.0.1");
  EXPECT_EQ(s.listen_port, 9001);
  EXPECT_EQ(s.key_file, "/run/oh/sandbox-api.key");
  EXPECT_EQ(s.seal_key_file, "/run/oh/sandbox-seal.key");
  EXPECT_EQ(s.store_url, "sqlite:///var/lib/oh/sandboxes.db");
  EXPECT_EQ(s.allowed_images, std::vector<std::string>{"ghcr.io/openhands/agent-server:1.20.1-python"});
  EXPECT_EQ(s.workspace_root, "/srv/oh/workspaces");
  EXPECT_EQ(s.public_scheme, "http");
  EXPECT_EQ(s.runtime_suffix, "runtime.oh.test");
  EXPECT_EQ(s.public_port, 8443);
  EXPECT_EQ(s.network_prefix, "ohu-");
  EXPECT_EQ(s.managed_label_value, "test-7");
  EXPECT_EQ(s.stop_grace, std::chrono::seconds(3));
  EXPECT_DOUBLE_EQ(s.limits.cpus, 1.5);
  EXPECT_EQ(s.limits.memory_mb, 2048u);
  EXPECT_EQ(s.limits.pids, 512);
  EXPECT_EQ(s.limits.disk_mb, 10240u);
  EXPECT_DOUBLE_EQ(s.limits.max_resource_factor, 2);
  EXPECT_EQ(s.limits.max_running_per_user, 2u);
  EXPECT_EQ(s.limits.max_sandboxes_per_user, 10u);
}

// Enabled without its required keys: each one is reported, by name.
TEST(SandboxSettings, RequiredKeysNamed) {
  auto problems = problemsOf(std::string(kSecretLine) + "[sandbox]\nenabled = true\n");
  EXPECT_TRUE(hasProblem(problems, "sandbox.key_file", "is required"));
  EXPECT_TRUE(hasProblem(problems, "sandbox.seal_key_file", "is required"));
  EXPECT_TRUE(hasProblem(problems, "sandbox.allowed_images", "at least one image"));
  EXPECT_TRUE(hasProblem(problems, "sandbox.workspace_root", "absolute directory"));
  EXPECT_TRUE(hasProblem(problems, "sandbox.runtime_suffix", "is required"));
}

// The listener never binds a wildcard address (it would reach the load balancer's network and
// the sandboxes) nor a port another listener has.
TEST(SandboxSettings, ListenerRefusesWildcardsAndSharedPorts) {
  for (const char* address : {"0.0.0.0", "::", "localhost", "10.0.0.1/8", "fe80::1%eth0"}) {
    auto problems = problemsOf(enabledSandbox(std::string("listen_address = \"") + address + "\"\n"));
    EXPECT_TRUE(hasProblem(problems, "sandbox.listen_address", "")) << address;
  }
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("listen_port = 8080\n")), "sandbox.listen_port", "server.listen_port"));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("listen_port = 9090\n")), "sandbox.listen_port", "admin.listen_port"));
  EXPECT_TRUE(settingsOf(enabledSandbox("listen_address = \"::1\"\nlisten_port = 0\n")));
}

// Formats: the two key files differ, store URLs are sqlite:/// or postgresql:// without a
// password, images have no whitespace, the workspace root is absolute, the suffix a DNS name.
TEST(SandboxSettings, FormatsAndRelations) {
  const std::string base = enabledSandbox();
  EXPECT_TRUE(hasProblem(problemsOf(replacing(base, "/run/oh/sandbox-seal.key", "/run/oh/sandbox-api.key")),
                         "sandbox.seal_key_file", "another file"));
  for (const char* url : {"sqlite://relative.db", "sqlite:///", "mysql://x", "", "postgresql://u:secret@db:5432/oh"}) {
    EXPECT_TRUE(hasProblem(problemsOf(replacing(base, "sqlite:///var/lib/oh/sandboxes.db", url)), "sandbox.store_url", ""))
        << url;
  }
  EXPECT_TRUE(settingsOf(replacing(base, "sqlite:///var/lib/oh/sandboxes.db", "postgresql://oh@db.internal:5432/oh?sslmode=require")));
  EXPECT_TRUE(hasProblem(problemsOf(replacing(base, "agent-server:1.20.1-python", "agent server")), "sandbox.allowed_images", "whitespace"));
  for (const char* root : {"relative", "/", "/srv/../etc"}) {
    EXPECT_TRUE(hasProblem(problemsOf(replacing(base, "/srv/oh/workspaces", root)), "sandbox.workspace_root", "")) << root;
  }
  EXPECT_TRUE(hasProblem(problemsOf(replacing(base, "runtime.oh.test", "Runtime.OH.test")), "sandbox.runtime_suffix", "lowercase"));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("network_prefix = \"Bad Prefix\"\n")), "sandbox.network_prefix", ""));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("managed_label_value = \"\"\n")), "sandbox.managed_label_value", ""));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("public_scheme = \"ftp\"\n")), "sandbox.public_scheme", ""));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("[sandbox.limits]\nmax_running_per_user = 0\n")),
                         "sandbox.limits.max_running_per_user", ""));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("[sandbox.limits]\ncpus = -1\n")), "sandbox.limits.cpus", ""));
  EXPECT_TRUE(hasProblem(problemsOf(enabledSandbox("[sandbox.limits]\nprivileged = true\n")), "sandbox.limits.privileged", ""));
}

// In aws mode the url must be https (browsers open it).
TEST(SandboxSettings, AwsNeedsHttps) {
  auto problems = problemsOf("mode = \"aws\"\n" + enabledSandbox("public_scheme = \"http\"\n"));
  EXPECT_TRUE(hasProblem(problems, "sandbox.public_scheme", "https"));
}

// The runtime suffix may come from runtime.host_suffixes instead.
TEST(SandboxSettings, SuffixFromRuntimeHostSuffixes) {
  std::string text = replacing(enabledSandbox(), "runtime_suffix = \"runtime.oh.test\"\n", "");
  EXPECT_TRUE(hasProblem(problemsOf(text), "sandbox.runtime_suffix", "is required"));
  auto settings = settingsOf(text + "[runtime]\nhost_suffixes = [\"runtime.oh.test\"]\n");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->sandbox.runtime_suffix, "");
}

// Any change of the section needs a restart (the service is built once).
TEST(SandboxSettings, ChangesNeedARestart) {
  auto a = settingsOf(enabledSandbox());
  auto b = settingsOf(enabledSandbox("[sandbox.limits]\npids = 7\n"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(keysNeedingRestart(*a, *b), std::vector<std::string>{"sandbox"});
  EXPECT_TRUE(keysNeedingRestart(*a, *a).empty());
}

}  // namespace
}  // namespace oh::gateway
