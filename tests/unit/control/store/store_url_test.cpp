// Store URLs (store/store_url.h): which backend, the SQLite path, the password rule, and what a
// message may show.

#include <gtest/gtest.h>

#include "store/sandbox_store.h"
#include "store/store_url.h"

namespace oh::control {
namespace {

// This test verifies the schemes that name a backend, and that anything else is refused by name.
TEST(StoreUrl, KnowsTheSchemesOfBothBackends) {
  EXPECT_EQ(storeKindOf("sqlite:///var/lib/oh/s.db").value(), StoreKind::sqlite);
  EXPECT_EQ(storeKindOf("SQLite:///var/lib/oh/s.db").value(), StoreKind::sqlite);
  EXPECT_EQ(storeKindOf("postgresql://oh@db/oh").value(), StoreKind::postgresql);
  EXPECT_EQ(storeKindOf("postgres://oh@db/oh").value(), StoreKind::postgresql);
  for (const char* url : {"", "/var/lib/oh/s.db", "mysql://oh@db/oh", "file:///x.db", "postgresql:/x", "sqlite"}) {
    auto kind = storeKindOf(url);
    ASSERT_FALSE(kind) << url;
    EXPECT_NE(kind.error().reason.find("sqlite:///absolute/path.db"), std::string::npos) << kind.error().reason;
  }
}

// This test verifies that only absolute SQLite paths without query are accepted, decoded.
TEST(StoreUrl, SqliteNeedsAnAbsolutePath) {
  EXPECT_EQ(sqlitePathOf("sqlite:///var/lib/oh/sandboxes.db").value(), "/var/lib/oh/sandboxes.db");
  EXPECT_EQ(sqlitePathOf("sqlite:///tmp/with%20space.db").value(), "/tmp/with space.db");
  for (const char* url : {"sqlite:relative.db", "sqlite://relative/x.db", "sqlite://", "sqlite:///",
                          "sqlite:///tmp/x.db?mode=ro", "sqlite:///tmp/x.db#f", "sqlite:///tmp/%zz.db",
                          "sqlite:///tmp/nul%00.db", "sqlite:///tmp/dir/"}) {
    auto path = sqlitePathOf(url);
    EXPECT_FALSE(path) << url << " gave " << (path ? *path : "");
  }
  auto relative = openSandboxStore("sqlite://relative/x.db");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().reason.find("absolute path"), std::string::npos) << relative.error().reason;
}

// This test verifies that a PostgreSQL URL carrying a password is refused and that no message
// shows the password, wherever it was put.
TEST(StoreUrl, PostgresPasswordsAreRefusedAndNeverShown) {
  EXPECT_TRUE(checkPostgresUrl("postgresql://oh@db.internal:5432/oh?sslmode=verify-full&sslrootcert=/etc/ca.pem"));
  EXPECT_TRUE(checkPostgresUrl("postgresql:///oh?host=/run/postgresql"));
  EXPECT_TRUE(checkPostgresUrl("postgresql://oh@h1:5432,h2:5432/oh?target_session_attrs=read-write"));
  for (const char* url : {"postgresql://oh:s3cretPW@db/oh", "postgresql://oh:s3cretPW@db/oh?sslmode=require",
                          "postgresql://oh@db/oh?password=s3cretPW", "postgresql://oh@db/oh?sslmode=require&pass%77ord=s3cretPW",
                          "postgres://oh:s3cret#PW@db/oh", "postgresql://oh:s3cret/PW@db/oh"}) {
    auto checked = checkPostgresUrl(url);
    ASSERT_FALSE(checked) << url;
    EXPECT_NE(checked.error().reason.find("PGPASSWORD"), std::string::npos);
    EXPECT_EQ(checked.error().reason.find("s3cret"), std::string::npos) << checked.error().reason;
    auto opened = openSandboxStore(url);
    ASSERT_FALSE(opened) << url;
    EXPECT_EQ(opened.error().reason.find("s3cret"), std::string::npos) << opened.error().reason;
  }
}

// This test verifies redaction: user names, hosts and settings stay readable; passwords do not.
TEST(StoreUrl, RedactionKeepsEverythingButThePassword) {
  EXPECT_EQ(redactedUrl("postgresql://oh:pw@db:5432/oh?sslmode=require"), "postgresql://oh:***@db:5432/oh?sslmode=require");
  EXPECT_EQ(redactedUrl("postgresql://oh@db/oh?password=pw&sslmode=require"),
            "postgresql://oh@db/oh?password=***&sslmode=require");
  EXPECT_EQ(redactedUrl("postgresql://db/oh"), "postgresql://db/oh");
  EXPECT_EQ(redactedUrl("sqlite:///var/lib/oh/s.db"), "sqlite:///var/lib/oh/s.db");
  EXPECT_EQ(redactedUrl("sqlite:relative.db"), "sqlite:relative.db");
  EXPECT_EQ(redactedUrl("user:pw@host"), "(not a URL)");
  EXPECT_EQ(redactedUrl("x://u:p@w@h/d").find("p@w"), std::string::npos);
}

}  // namespace
}  // namespace oh::control
