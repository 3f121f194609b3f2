#include "auth/local_users.h"
#include "auth/users_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace oh::gateway::auth {
namespace {

const PasswordHashParams kFast = PasswordHashParams::minimumForTests();

class UsersFileTest : public ::testing::Test {
protected:
  UsersFileTest() {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("h6_users_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "users").string();
  }
  ~UsersFileTest() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& contents, mode_t mode = 0600) {
    std::ofstream(path_, std::ios::binary) << contents;
    ::chmod(path_.c_str(), mode);
  }

  int run(const std::vector<std::string>& args, const std::string& input, std::string* out_text = nullptr,
          std::string* err_text = nullptr) {
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    std::vector<std::string> full = args;
    full.push_back("--file");
    full.push_back(path_);
    const int rc = runUsersCommand(full, in, false, out, err, kFast);
    if (out_text != nullptr) {
      *out_text = out.str();
    }
    if (err_text != nullptr) {
      *err_text = err.str();
    }
    return rc;
  }

  std::filesystem::path dir_;
  std::string path_;
};

// add -> verify -> passwd -> verify -> remove, with the file at mode 0600 throughout.
TEST_F(UsersFileTest, AddPasswdRemoveLifecycle) {
  ASSERT_TRUE(addUser(path_, "alice@example.com", "correct horse", kFast));
  ASSERT_TRUE(addUser(path_, "bob", "battery staple", kFast));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    LocalAccounts accounts(loadUsersFile(path_, false).value(), kFast);
    EXPECT_TRUE(accounts.verify("alice@example.com", "correct horse"));
    EXPECT_FALSE(accounts.verify("alice@example.com", "correct horsE"));
    EXPECT_FALSE(accounts.verify("ALICE@example.com", "correct horse"));
    EXPECT_FALSE(accounts.verify("nobody", "correct horse"));
    EXPECT_FALSE(accounts.verify("bob", ""));
  }
  EXPECT_FALSE(addUser(path_, "bob", "another one", kFast));
  ASSERT_TRUE(setPassword(path_, "bob", "new password", kFast));
  EXPECT_FALSE(setPassword(path_, "carol", "new password", kFast));
  ASSERT_TRUE(removeUser(path_, "alice@example.com"));
  EXPECT_FALSE(removeUser(path_, "alice@example.com"));
  LocalAccounts accounts(loadUsersFile(path_, false).value(), kFast);
  EXPECT_TRUE(accounts.verify("bob", "new password"));
  EXPECT_FALSE(accounts.verify("bob", "battery staple"));
  EXPECT_EQ(listUsers(path_).value(), std::vector<std::string>{"bob"});
  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 2u);  // users + users.lock
}

TEST_F(UsersFileTest, RefusesBadNamesAndPasswords) {
  EXPECT_FALSE(addUser(path_, "", "long enough", kFast));
  EXPECT_FALSE(addUser(path_, "a:b", "long enough", kFast));
  EXPECT_FALSE(addUser(path_, "-rf", "long enough", kFast));
  EXPECT_FALSE(addUser(path_, "a\nb", "long enough", kFast));
  EXPECT_FALSE(addUser(path_, std::string(129, 'a'), "long enough", kFast));
  EXPECT_FALSE(addUser(path_, "alice", "short", kFast));
  EXPECT_FALSE(addUser(path_, "alice", "has\na newline", kFast));
  EXPECT_FALSE(addUser(path_, "alice", std::string(kMaxPasswordBytes + 1, 'x'), kFast));
  EXPECT_FALSE(std::filesystem::exists(path_));
}

// Hostile files are refused whole, with every problem and its line number.
TEST_F(UsersFileTest, RefusesHostileFiles) {
  auto r = parseUsersFile(
      "# comment\n"
      "\n"
      "nocolon\n"
      "bad name:$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA\n"
      "plain:$2y$10$bcrypt\n"
      "empty:\n"
      "dup:$argon2id$x\n"
      "dup:$argon2id$y\n" +
      std::string("long:$argon2id$") + std::string(2000, 'a') + "\n" + std::string("nul:$argon2id$a\0b\n", 18));
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 7u);
  EXPECT_EQ(r.error()[0], "line 3: expected name:hash");
  EXPECT_EQ(r.error()[4], "line 8: duplicate user dup");
  EXPECT_FALSE(parseUsersFile(std::string(kMaxUsersFileBytes + 1, '#')));
  auto crlf = parseUsersFile("a:$argon2id$x\r\nb:$argon2id$y\r\n");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->users.size(), 2u);
  EXPECT_EQ(crlf->users[1].hash, "$argon2id$y");
  write("garbage\n");
  EXPECT_FALSE(loadUsersFile(path_, false));
  EXPECT_FALSE(addUser(path_, "alice", "long enough", kFast));  // never overwrites a broken file
  EXPECT_FALSE(loadUsersFile((dir_ / "missing").string(), false));
  EXPECT_TRUE(loadUsersFile((dir_ / "missing").string(), true));
  EXPECT_FALSE(loadUsersFile(dir_.string(), false));  // a directory
}

// Group/other access refuses the file (issue 16: it used to be only a warning), naming the file
// and the fix; only the users command, which rewrites the file 0600, gets a warning instead.
TEST_F(UsersFileTest, RefusedWhenReadableByOthers) {
  write("", 0644);
  auto refused = loadUsersFile(path_, false);
  ASSERT_FALSE(refused);
  ASSERT_EQ(refused.error().size(), 1u);
  EXPECT_NE(refused.error()[0].find("chmod 600 " + path_), std::string::npos) << refused.error()[0];
  std::string warning;
  ASSERT_TRUE(loadUsersFile(path_, false, &warning));
  EXPECT_NE(warning.find("chmod 600"), std::string::npos);
  ::chmod(path_.c_str(), 0600);
  warning.clear();
  ASSERT_TRUE(loadUsersFile(path_, false, &warning));
  EXPECT_TRUE(warning.empty());
  EXPECT_TRUE(loadUsersFile(path_, false));
}

TEST_F(UsersFileTest, HashesAreArgon2idAndSalted) {
  const std::string a = hashPassword("same password", kFast).value();
  const std::string b = hashPassword("same password", kFast).value();
  EXPECT_EQ(a.rfind("$argon2id$", 0), 0u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(needsRehash(a, kFast));
  EXPECT_TRUE(needsRehash(a, PasswordHashParams::interactive()));
}

// The CLI: password from stdin, never from argv; list prints names; errors give exit codes.
TEST_F(UsersFileTest, CommandAddsListsAndRemoves) {
  std::string out;
  std::string err;
  EXPECT_EQ(run({"add", "alice"}, "correct horse\n", &out, &err), 0) << err;
  EXPECT_NE(out.find("added alice"), std::string::npos);
  EXPECT_EQ(run({"add", "alice"}, "correct horse\n", nullptr, &err), 1);
  EXPECT_NE(err.find("already exists"), std::string::npos);
  EXPECT_EQ(run({"passwd", "alice", "--password-stdin"}, "new password\r\n"), 0);
  EXPECT_EQ(run({"add", "bob"}, ""), 1);  // no password on stdin
  EXPECT_EQ(run({"add", "bob", "--password=hunter22"}, "", nullptr, &err), 2);
  EXPECT_NE(err.find("never taken from the command line"), std::string::npos);
  EXPECT_EQ(run({"list"}, "", &out), 0);
  EXPECT_EQ(out, "alice\n");
  EXPECT_EQ(run({"remove", "alice"}, ""), 0);
  EXPECT_EQ(run({"list"}, "", &out), 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(run({}, ""), 2);
  EXPECT_EQ(run({"list", "extra"}, ""), 2);
  EXPECT_EQ(run({"add"}, ""), 2);
  EXPECT_EQ(run({"frobnicate", "x"}, ""), 2);
  EXPECT_EQ(run({"--bogus"}, ""), 2);
  LocalAccounts accounts(loadUsersFile(path_, false).value(), kFast);
  EXPECT_EQ(accounts.size(), 0u);
}

// Interactive mode asks twice and refuses a mismatch.
TEST_F(UsersFileTest, CommandPromptRequiresMatchingRepeat) {
  std::istringstream in("first pass\nsecond pass\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(runUsersCommand({"add", "carol", "--file", path_}, in, true, out, err, kFast), 1);
  EXPECT_NE(err.str().find("do not match"), std::string::npos);
  std::istringstream in2("same pass 1\nsame pass 1\n");
  EXPECT_EQ(runUsersCommand({"add", "carol", "--file", path_}, in2, true, out, err, kFast), 0);
}

}  // namespace
}  // namespace oh::gateway::auth
