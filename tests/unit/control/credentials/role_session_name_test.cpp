#include "credentials/role_session_name.h"

#include <gtest/gtest.h>

namespace oh::control::aws {
namespace {

TEST(RoleSessionNameTest, NamesAUserKey) {
  const std::string name = roleSessionName("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(name, "oh-0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(isRoleSessionName(name));
}

TEST(RoleSessionNameTest, SanitizesAndCutsAnyName) {
  EXPECT_EQ(roleSessionName("alice smith/ü"), "oh-alice-smith---");
  EXPECT_EQ(roleSessionName("a+b=c,d.e@f_g-h"), "oh-a+b=c,d.e@f_g-h");
  const std::string long_name = roleSessionName(std::string(100, 'x'));
  EXPECT_EQ(long_name.size(), kMaxRoleSessionName);
  for (const std::string& hostile : {std::string("a\nb"), std::string("\0x", 2), std::string(200, '/')}) {
    EXPECT_TRUE(isRoleSessionName(roleSessionName(hostile))) << roleSessionName(hostile);
  }
}

TEST(RoleSessionNameTest, ChecksStsRule) {
  EXPECT_FALSE(isRoleSessionName("a"));
  EXPECT_FALSE(isRoleSessionName(std::string(65, 'a')));
  EXPECT_FALSE(isRoleSessionName("a b"));
  EXPECT_TRUE(isRoleSessionName(std::string(64, 'a')));
}

}  // namespace
}  // namespace oh::control::aws
