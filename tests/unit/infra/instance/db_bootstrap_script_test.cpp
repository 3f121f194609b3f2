// deploy/instance/db-bootstrap.sh refuses bad input before it connects anywhere: names that
// could inject SQL, a missing host, missing inputs. (Its database work is exercised against a
// real PostgreSQL by tests/integration/instance.)

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "gateway_image_files.h"

namespace oh::infra::instance {
namespace {

namespace fs = std::filesystem;

class DbBootstrapScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v jq >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "jq is not installed";
    }
    std::string pattern = (fs::temp_directory_path() / "oh-dbb-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "db-bootstrap.sh") << testing::gatewayImageFile("db-bootstrap.sh");
    std::ofstream(dir_ / "admin.json") << R"({"username":"admin","password":"pw","port":5432})";
    std::ofstream(dir_ / "app.pw") << "app-password\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the script with `env` (VAR=value words); returns its exit code, output in output_.
  int run(const std::string& env) {
    const auto out = dir_ / "out.txt";
    const std::string command = "cd '" + dir_.string() + "' && env -i PATH=\"$PATH\" OH_DB_ADMIN_JSON=admin.json " +
                                "OH_APP_PASSWORD_FILE=app.pw " + env + " bash db-bootstrap.sh >'" + out.string() +
                                "' 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    output_ = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
  std::string output_;
};

// This test verifies role and database names that are not plain identifiers are refused.
TEST_F(DbBootstrapScriptTest, RefusesHostileNames) {
  for (const char* env : {"OH_APP_ROLE='x;DROP_ROLE'", "OH_APP_ROLE='Admin'", "OH_APP_DB='db\"x'",
                          "OH_APP_DB='a b'", "OH_APP_ROLE=''\"''\"", "OH_APP_DB=1db"}) {
    EXPECT_EQ(run(std::string("OH_DB_HOST=db.invalid ") + env), 2) << env << "\n" << output_;
    EXPECT_NE(output_.find("invalid name"), std::string::npos) << output_;
  }
  const std::string long_name(64, 'a');
  EXPECT_EQ(run("OH_DB_HOST=db.invalid OH_APP_ROLE=" + long_name), 2) << output_;
}

// This test verifies a missing host (neither OH_DB_HOST nor "host" in the secret) is refused.
TEST_F(DbBootstrapScriptTest, RefusesMissingHost) {
  EXPECT_EQ(run(""), 2) << output_;
  EXPECT_NE(output_.find("no database host"), std::string::npos) << output_;
}

// This test verifies the required inputs are named when missing.
TEST_F(DbBootstrapScriptTest, NamesMissingInputs) {
  EXPECT_NE(run("OH_DB_ADMIN_JSON="), 0);
  EXPECT_NE(output_.find("OH_DB_ADMIN_JSON is required"), std::string::npos) << output_;
  EXPECT_NE(run("OH_DB_HOST=db.invalid OH_APP_PASSWORD_FILE="), 0);
  EXPECT_NE(output_.find("OH_APP_PASSWORD_FILE is required"), std::string::npos) << output_;
}

// This test verifies an admin secret without a username is refused (jq -e), not used blank.
TEST_F(DbBootstrapScriptTest, RefusesAdminSecretWithoutUser) {
  std::ofstream(dir_ / "admin.json") << R"({"password":"pw"})";
  EXPECT_NE(run("OH_DB_HOST=db.invalid"), 0) << output_;
}

}  // namespace
}  // namespace oh::infra::instance
