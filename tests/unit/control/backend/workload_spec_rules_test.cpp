// What the Docker backend refuses whoever asks: each refused spec with its message, and the
// accepted baseline. Workspaces are real directories (symbolic links need a file system).

#include "backend/workload_spec_rules.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <limits>

namespace oh::control {
namespace {

namespace fs = std::filesystem;

class WorkloadSpecRulesTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/oh-rules-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ / "workspaces";
    fs::create_directories(root_ / "u1" / "s1");
    fs::create_directories(base_ / "outside");
    fs::create_symlink(base_ / "outside", root_ / "u1" / "escape");   // leads out of the root
    fs::create_symlink(root_ / "u1" / "s1", root_ / "u1" / "inside");  // stays inside
    rules_ = {root_.string(), "oh-user-", (root_ / "u1" / "docker.sock").string()};
  }
  void TearDown() override { fs::remove_all(base_); }

  WorkloadSpec valid() const {
    WorkloadSpec spec;
    spec.name = "oh-sandbox-s1";
    spec.image = "agent:1";
    spec.command = {"/bin/agent", "--port", "60000"};
    spec.working_dir = "/workspace/project";
    spec.environment = {{"OH_SESSION_API_KEYS_0", "k"}, {"_private1", "v"}};
    spec.labels = {{"org.openhands.owner", "u1"}};
    spec.user = "10001:10001";
    spec.network = "oh-user-u1";
    spec.workspace = (root_ / "u1" / "s1").string();
    spec.limits = {.cpus = 2, .memory_bytes = 1 << 30, .pids = 256};
    return spec;
  }

  fs::path base_;
  fs::path root_;
  WorkloadRules rules_;
};

// The baseline passes, and so do a workspace not created yet and a link that stays inside.
TEST_F(WorkloadSpecRulesTest, ValidSpecsPass) {
  EXPECT_EQ(refusalOf(valid(), rules_), std::nullopt);
  WorkloadSpec spec = valid();
  spec.workspace = (root_ / "u2" / "new").string();
  EXPECT_EQ(refusalOf(spec, rules_), std::nullopt);
  spec.workspace = (root_ / "u1" / "inside").string();
  EXPECT_EQ(refusalOf(spec, rules_), std::nullopt);
  spec = valid();
  spec.user.clear();
  spec.working_dir.clear();
  spec.command.clear();
  spec.limits = {};
  EXPECT_EQ(refusalOf(spec, rules_), std::nullopt);
}

// Each row changes one field of the valid spec; the refusal must say why.
TEST_F(WorkloadSpecRulesTest, RefusalTable) {
  struct Row {
    const char* what;
    std::function<void(WorkloadSpec&)> change;
    std::string message;
  };
  const std::string root = root_.string();
  const std::vector<Row> rows = {
      {"empty name", [](WorkloadSpec& s) { s.name.clear(); }, "the workload name is empty"},
      {"name with a slash", [](WorkloadSpec& s) { s.name = "a/b"; },
       "the workload name \"a/b\" is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)"},
      {"name starting with a dot", [](WorkloadSpec& s) { s.name = ".x"; },
       "the workload name \".x\" is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)"},
      {"name too long", [](WorkloadSpec& s) { s.name = std::string(129, 'a'); },
       "the workload name \"" + std::string(129, 'a') + "\" is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)"},
      {"empty image", [](WorkloadSpec& s) { s.image.clear(); }, "the image is empty"},
      {"image with a space", [](WorkloadSpec& s) { s.image = "a b"; },
       "the image \"a b\" is not an image reference (lowercase repository[:tag][@digest])"},
      {"image with a newline", [](WorkloadSpec& s) { s.image = "a\nb"; },
       "the image \"a\nb\" is not an image reference (lowercase repository[:tag][@digest])"},
      {"relative working dir", [](WorkloadSpec& s) { s.working_dir = "project"; },
       "the working directory \"project\" is not an absolute path"},
      {"user with a space", [](WorkloadSpec& s) { s.user = "0 --privileged"; },
       "the user \"0 --privileged\" is not uid[:gid] or a name"},
      {"user with an empty gid", [](WorkloadSpec& s) { s.user = "10001:"; },
       "the user \"10001:\" is not uid[:gid] or a name"},
      {"env name with '='", [](WorkloadSpec& s) { s.environment = {{"A=B", "secret-value"}}; },
       "the environment variable name \"A=B\" is not [A-Za-z_][A-Za-z0-9_]*"},
      {"env name starting with a digit", [](WorkloadSpec& s) { s.environment = {{"1A", "secret-value"}}; },
       "the environment variable name \"1A\" is not [A-Za-z_][A-Za-z0-9_]*"},
      {"empty env name", [](WorkloadSpec& s) { s.environment = {{"", "secret-value"}}; },
       "the environment variable name \"\" is not [A-Za-z_][A-Za-z0-9_]*"},
      {"env value with NUL", [](WorkloadSpec& s) { s.environment = {{"K", std::string("se\0cret", 7)}}; },
       "the environment variable K has a value over 128 KiB or with a NUL byte"},
      {"label key with '='", [](WorkloadSpec& s) { s.labels = {{"a=b", "c"}}; }, "the label \"a=b\" is not a usable label"},
      {"negative cpus", [](WorkloadSpec& s) { s.limits.cpus = -1; }, "the CPU limit -1.000000 is not between 0 and 1024"},
      {"NaN cpus", [](WorkloadSpec& s) { s.limits.cpus = std::numeric_limits<double>::quiet_NaN(); },
       "the CPU limit nan is not between 0 and 1024"},
      {"negative pids", [](WorkloadSpec& s) { s.limits.pids = -1; }, "the pids limit -1 is negative"},
      {"host network", [](WorkloadSpec& s) { s.network = "host"; }, "the network \"host\" is not a user network"},
      {"none network", [](WorkloadSpec& s) { s.network = "none"; }, "the network \"none\" is not a user network"},
      {"bridge network", [](WorkloadSpec& s) { s.network = "bridge"; }, "the network \"bridge\" is not a user network"},
      {"another container's namespace", [](WorkloadSpec& s) { s.network = "container:abc"; },
       "the network \"container:abc\" is not [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)"},
      {"network without the prefix", [](WorkloadSpec& s) { s.network = "other-net"; },
       "the network \"other-net\" is not a user network (\"oh-user-\"...)"},
      {"network that is only the prefix", [](WorkloadSpec& s) { s.network = "oh-user-"; },
       "the network \"oh-user-\" is not a user network (\"oh-user-\"...)"},
      {"empty network", [](WorkloadSpec& s) { s.network.clear(); },
       "the network is empty (a workload runs on its owner's network)"},
      {"empty workspace", [](WorkloadSpec& s) { s.workspace.clear(); }, "the workspace is empty"},
      {"relative workspace", [](WorkloadSpec& s) { s.workspace = "u1/s1"; },
       "the workspace \"u1/s1\" is not an absolute path"},
      {"workspace /", [](WorkloadSpec& s) { s.workspace = "/"; }, "the workspace \"/\" is not a normalised path"},
      {"workspace with ..", [root](WorkloadSpec& s) { s.workspace = root + "/u1/../../outside"; },
       "the workspace \"" + root + "/u1/../../outside\" is not a normalised path"},
      {"workspace with .", [root](WorkloadSpec& s) { s.workspace = root + "/./u1"; },
       "the workspace \"" + root + "/./u1\" is not a normalised path"},
      {"workspace with //", [root](WorkloadSpec& s) { s.workspace = root + "//u1"; },
       "the workspace \"" + root + "//u1\" is not a normalised path"},
      {"workspace with a trailing /", [root](WorkloadSpec& s) { s.workspace = root + "/u1/"; },
       "the workspace \"" + root + "/u1/\" is not a normalised path"},
      {"workspace is the root", [root](WorkloadSpec& s) { s.workspace = root; },
       "the workspace \"" + root + "\" is not below the workspace root \"" + root + "\""},
      {"workspace beside the root", [root](WorkloadSpec& s) { s.workspace = root + "2/u1"; },
       "the workspace \"" + root + "2/u1\" is not below the workspace root \"" + root + "\""},
      {"host directory", [root](WorkloadSpec& s) { s.workspace = "/etc"; },
       "the workspace \"/etc\" is not below the workspace root \"" + root + "\""},
      {"Docker socket itself", [](WorkloadSpec& s) { s.workspace = "/var/run/docker.sock"; },
       "the workspace \"/var/run/docker.sock\" is not below the workspace root \"" + root + "\""},
      {"directory holding the socket", [root](WorkloadSpec& s) { s.workspace = root + "/u1"; },
       "the workspace \"" + root + "/u1\" holds the Docker socket"},
      {"bind options smuggled in", [root](WorkloadSpec& s) { s.workspace = root + "/u1/s1:/etc:rw"; },
       "the workspace \"" + root + "/u1/s1:/etc:rw\" has a control character, ':' or ','"},
      {"symlink out of the root", [root](WorkloadSpec& s) { s.workspace = root + "/u1/escape"; },
       "the workspace \"" + root + "/u1/escape\" resolves outside the workspace root (a symbolic link)"},
      {"path below a symlink out of the root", [root](WorkloadSpec& s) { s.workspace = root + "/u1/escape/x"; },
       "the workspace \"" + root + "/u1/escape/x\" resolves outside the workspace root (a symbolic link)"},
  };
  for (const Row& row : rows) {
    WorkloadSpec spec = valid();
    row.change(spec);
    const auto refusal = refusalOf(spec, rules_);
    ASSERT_TRUE(refusal.has_value()) << row.what;
    EXPECT_EQ(*refusal, row.message) << row.what;
    EXPECT_EQ(refusal->find("secret"), std::string::npos) << row.what << ": an environment value in the message";
  }
}

// Image references: what Docker's grammar allows passes; the rest is refused before a daemon
// answers it with an internal error.
TEST_F(WorkloadSpecRulesTest, ImageReferences) {
  WorkloadSpec spec = valid();
  for (const char* good : {"busybox", "agent:1.7.0-python", "ghcr.io/openhands/agent-server:1.7.0-python",
                           "localhost:5000/a/b", "Registry.Example:443/a:b", "a@sha256:0123abcd",
                           "a:1@sha256:0123abcd"}) {
    spec.image = good;
    EXPECT_EQ(refusalOf(spec, rules_), std::nullopt) << good;
  }
  for (const char* bad : {"Agent:1", "a/B", "a:", "a:-x", "a@", "a@sha256", "a@:x", "/a", "a/", "a//b",
                          "a:1:2", "a b", "a;b", "a:t\u00e9", "../a", "a/../b", "./a", ".a", "-a/b", "a/.b",
                          "a/_b"}) {
    spec.image = bad;
    EXPECT_NE(refusalOf(spec, rules_), std::nullopt) << bad;
  }
}

// Without a configured root or prefix nothing is mounted or joined (fails closed).
TEST_F(WorkloadSpecRulesTest, MissingConfigurationFailsClosed) {
  WorkloadRules no_root = rules_;
  no_root.workspace_root.clear();
  EXPECT_EQ(refusalOf(valid(), no_root), "no workspace root is configured: no workspace can be mounted");
  WorkloadRules slash_root = rules_;
  slash_root.workspace_root = "/";
  EXPECT_EQ(refusalOf(valid(), slash_root), "the workspace root is \"/\": no workspace can be mounted");
  WorkloadRules no_prefix = rules_;
  no_prefix.network_prefix.clear();
  EXPECT_EQ(refusalOf(valid(), no_prefix), "the network \"oh-user-u1\" is not a user network (\"\"...)");
}

// A root given with a trailing separator or through a symbolic link still works.
TEST_F(WorkloadSpecRulesTest, RootSpellings) {
  WorkloadRules trailing = rules_;
  trailing.workspace_root = root_.string() + "/";
  EXPECT_EQ(refusalOf(valid(), trailing), std::nullopt);
  fs::create_symlink(root_, base_ / "root-link");
  WorkloadRules linked = rules_;
  linked.workspace_root = (base_ / "root-link").string();
  WorkloadSpec spec = valid();
  spec.workspace = (base_ / "root-link" / "u1" / "s1").string();
  EXPECT_EQ(refusalOf(spec, linked), std::nullopt);
}

}  // namespace
}  // namespace oh::control
