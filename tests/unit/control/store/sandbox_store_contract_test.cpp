// The contract every SandboxStore keeps (store/sandbox_store.h), run against SQLite and against
// a private PostgreSQL 15 cluster: the same cases, the same expectations.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "store/record_codec.h"
#include "store/sandbox_store.h"
#include "store/schema_migrations.h"
#include "unit/control/store/store_under_test.h"

namespace oh::control {
namespace {

using testing::Backend;

// A record as the service would insert it (revision is the store's to set).
SandboxRecord sampleRecord(std::string id, std::string owner = "owner-a", std::int64_t created_at = 1000) {
  SandboxRecord record;
  record.id = std::move(id);
  record.owner = std::move(owner);
  record.spec.image = "ghcr.io/openhands/agent-server:1.7.0-python";
  record.spec.command = {"/usr/local/bin/openhands-agent-server", "--port", "8000"};
  record.spec.working_dir = "/workspace/project";
  record.spec.environment = {{"OH_CONVERSATIONS_PATH", "/workspace/conversations"}, {"LOG_JSON", "1"}};
  record.spec.run_as_user = 1000;
  record.spec.run_as_group = 1000;
  record.spec.resource_factor = 1;
  record.sealed_keys = std::string("sealed\0keys\xff", 12);
  record.desired = DesiredState::running;
  record.created_at = created_at;
  record.updated_at = created_at;
  return record;
}

// Field-by-field equality with a readable failure.
void expectSameRecord(const SandboxRecord& actual, const SandboxRecord& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.owner, expected.owner);
  EXPECT_EQ(actual.spec.image, expected.spec.image);
  EXPECT_EQ(actual.spec.command, expected.spec.command);
  EXPECT_EQ(actual.spec.working_dir, expected.spec.working_dir);
  EXPECT_EQ(actual.spec.environment, expected.spec.environment);
  EXPECT_EQ(actual.spec.run_as_user, expected.spec.run_as_user);
  EXPECT_EQ(actual.spec.run_as_group, expected.spec.run_as_group);
  EXPECT_EQ(actual.spec.fs_group, expected.spec.fs_group);
  EXPECT_EQ(actual.spec.resource_factor, expected.spec.resource_factor);
  EXPECT_EQ(actual.sealed_keys, expected.sealed_keys);
  EXPECT_EQ(actual.desired, expected.desired);
  EXPECT_EQ(actual.last_error, expected.last_error);
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.updated_at, expected.updated_at);
  EXPECT_EQ(actual.conversation_ids, expected.conversation_ids);
}

std::vector<std::string> idsOf(const std::vector<SandboxRecord>& records) {
  std::vector<std::string> ids;
  for (const SandboxRecord& record : records) {
    ids.push_back(record.id);
  }
  return ids;
}

class SandboxStoreContract : public ::testing::TestWithParam<Backend> {
protected:
  void SetUp() override {
    std::string error;
    backend_ = testing::storeUnderTest(GetParam(), error);
    ASSERT_NE(backend_, nullptr) << error;
    url_ = backend_->fresh();
    store_ = open(url_);
    ASSERT_NE(store_, nullptr);
  }

  // Another opener of the same database (a second gateway, or this one after a restart).
  static SandboxStorePtr open(const std::string& url) {
    auto opened = openSandboxStore(url);
    EXPECT_TRUE(opened) << opened.error().reason;
    return opened ? *opened : nullptr;
  }

  SandboxRecord stored(const std::string& id) {
    auto found = store_->get(id);
    EXPECT_TRUE(found) << found.error().reason;
    EXPECT_TRUE(found && found->has_value()) << id << " is not stored";
    return found && found->has_value() ? **found : SandboxRecord{};
  }

  void insertOk(const SandboxRecord& record) {
    auto inserted = store_->insert(record);
    ASSERT_TRUE(inserted) << inserted.error().reason;
    ASSERT_TRUE(*inserted) << record.id << " was refused as a duplicate";
  }

  std::string rawSql(const std::string& sql) { return backend_->rawSql(url_, sql); }

  testing::StoreUnderTest* backend_ = nullptr;
  std::string url_;
  SandboxStorePtr store_;
};

// This test verifies that an inserted record reads back field for field, at revision 1.
TEST_P(SandboxStoreContract, InsertThenGetReturnsTheRecordAtRevisionOne) {
  SandboxRecord record = sampleRecord("Sbx1");
  record.revision = 41;  // ignored: the store numbers revisions
  record.last_error = "image pull failed";
  record.desired = DesiredState::paused;
  insertOk(record);
  const SandboxRecord back = stored("Sbx1");
  expectSameRecord(back, record);
  EXPECT_EQ(back.revision, 1);
}

// This test verifies that unknown ids read as absent and that get matches the id exactly.
TEST_P(SandboxStoreContract, GetOfAnUnknownOrDifferentlyCasedIdIsAbsent) {
  insertOk(sampleRecord("AbC"));
  for (const std::string id : {"abc", "ABC", "AbC ", "", "nope"}) {
    auto found = store_->get(id);
    ASSERT_TRUE(found) << found.error().reason;
    EXPECT_FALSE(found->has_value()) << id;
  }
}

// This test verifies that an id taken by any owner, in any letter case, cannot be inserted again
// and that the first record is untouched.
TEST_P(SandboxStoreContract, DuplicateIdsAreRefusedInAnyCase) {
  insertOk(sampleRecord("Sandbox7", "owner-a"));
  for (const std::string id : {"Sandbox7", "sandbox7", "SANDBOX7"}) {
    auto inserted = store_->insert(sampleRecord(id, "owner-b", 2000));
    ASSERT_TRUE(inserted) << inserted.error().reason;
    EXPECT_FALSE(*inserted) << id;
  }
  EXPECT_EQ(stored("Sandbox7").owner, "owner-a");
  auto all = store_->list(std::nullopt);
  ASSERT_TRUE(all) << all.error().reason;
  EXPECT_EQ(idsOf(*all), std::vector<std::string>{"Sandbox7"});
}

// This test verifies list order (created_at, then id bytewise) and the owner filter.
TEST_P(SandboxStoreContract, ListIsOldestFirstThenByIdAndFiltersByOwner) {
  auto empty = store_->list(std::nullopt);
  ASSERT_TRUE(empty) << empty.error().reason;
  EXPECT_TRUE(empty->empty());
  insertOk(sampleRecord("c", "owner-a", 30));
  insertOk(sampleRecord("b", "owner-b", 10));
  insertOk(sampleRecord("a", "owner-a", 30));
  insertOk(sampleRecord("Z", "owner-a", 30));  // 'Z' < 'a' bytewise, whatever the locale says
  insertOk(sampleRecord("d", "owner-b", 20));
  auto all = store_->list(std::nullopt);
  ASSERT_TRUE(all) << all.error().reason;
  EXPECT_EQ(idsOf(*all), (std::vector<std::string>{"b", "d", "Z", "a", "c"}));
  auto of_a = store_->list("owner-a");
  ASSERT_TRUE(of_a) << of_a.error().reason;
  EXPECT_EQ(idsOf(*of_a), (std::vector<std::string>{"Z", "a", "c"}));
  auto of_nobody = store_->list("owner-c");
  ASSERT_TRUE(of_nobody) << of_nobody.error().reason;
  EXPECT_TRUE(of_nobody->empty());
}

// This test verifies compare-and-set: the current revision wins once and bumps the revision;
// a stale revision or an unknown id changes nothing.
TEST_P(SandboxStoreContract, UpdateIsCompareAndSetOnRevision) {
  insertOk(sampleRecord("s1"));
  SandboxRecord changed = stored("s1");
  changed.desired = DesiredState::paused;
  changed.last_error = "container exited with 137";
  changed.sealed_keys = "new sealed keys";
  changed.spec.environment.emplace_back("EXTRA", "1");
  changed.updated_at = 5000;
  auto updated = store_->update(changed);
  ASSERT_TRUE(updated) << updated.error().reason;
  EXPECT_TRUE(*updated);
  const SandboxRecord after = stored("s1");
  EXPECT_EQ(after.revision, 2);
  expectSameRecord(after, changed);

  auto stale = store_->update(changed);  // still revision 1
  ASSERT_TRUE(stale) << stale.error().reason;
  EXPECT_FALSE(*stale);
  EXPECT_EQ(stored("s1").revision, 2);

  SandboxRecord unknown = sampleRecord("nobody");
  unknown.revision = 1;
  auto missing = store_->update(unknown);
  ASSERT_TRUE(missing) << missing.error().reason;
  EXPECT_FALSE(*missing);
  auto found = store_->get("nobody");
  ASSERT_TRUE(found) << found.error().reason;
  EXPECT_FALSE(found->has_value());
}

// This test verifies that update leaves conversation links and created_at alone.
TEST_P(SandboxStoreContract, UpdateKeepsConversationLinksAndCreationTime) {
  insertOk(sampleRecord("s1", "owner-a", 100));
  ASSERT_TRUE(store_->linkConversation("s1", "c0ffee"));
  SandboxRecord changed = stored("s1");
  changed.conversation_ids.clear();
  changed.created_at = 999;
  changed.updated_at = 200;
  ASSERT_TRUE(store_->update(changed).value());
  const SandboxRecord after = stored("s1");
  EXPECT_EQ(after.conversation_ids, std::vector<std::string>{"c0ffee"});
  EXPECT_EQ(after.created_at, 100);
  EXPECT_EQ(after.updated_at, 200);
}

// This test verifies remove: the record and its links go, a second remove finds nothing, and
// the id can be used again without inheriting the old links.
TEST_P(SandboxStoreContract, RemoveDeletesTheRecordAndItsLinks) {
  insertOk(sampleRecord("gone"));
  insertOk(sampleRecord("kept"));
  ASSERT_TRUE(store_->linkConversation("gone", "aa01"));
  ASSERT_TRUE(store_->linkConversation("kept", "bb02"));
  auto removed = store_->remove("gone");
  ASSERT_TRUE(removed) << removed.error().reason;
  EXPECT_TRUE(*removed);
  auto again = store_->remove("gone");
  ASSERT_TRUE(again) << again.error().reason;
  EXPECT_FALSE(*again);
  EXPECT_FALSE(store_->get("gone").value().has_value());
  EXPECT_EQ(stored("kept").conversation_ids, std::vector<std::string>{"bb02"});
  insertOk(sampleRecord("gone"));
  EXPECT_TRUE(stored("gone").conversation_ids.empty());
  // The conversation whose sandbox went is free to be linked elsewhere.
  ASSERT_TRUE(store_->linkConversation("kept", "aa01"));
  EXPECT_EQ(stored("kept").conversation_ids, (std::vector<std::string>{"aa01", "bb02"}));
}

// This test verifies linking: idempotent, a second sandbox takes the conversation over, list
// reports links too, and an unknown sandbox is a failure naming it.
TEST_P(SandboxStoreContract, LinkConversationIsIdempotentAndMoves) {
  insertOk(sampleRecord("s1", "owner-a", 1));
  insertOk(sampleRecord("s2", "owner-a", 2));
  for (int i = 0; i < 3; ++i) {
    auto linked = store_->linkConversation("s1", "0123abcd");
    ASSERT_TRUE(linked) << linked.error().reason;
  }
  ASSERT_TRUE(store_->linkConversation("s1", "ffff"));
  EXPECT_EQ(stored("s1").conversation_ids, (std::vector<std::string>{"0123abcd", "ffff"}));
  ASSERT_TRUE(store_->linkConversation("s2", "0123abcd"));
  EXPECT_EQ(stored("s1").conversation_ids, std::vector<std::string>{"ffff"});
  EXPECT_EQ(stored("s2").conversation_ids, std::vector<std::string>{"0123abcd"});
  auto listed = store_->list("owner-a");
  ASSERT_TRUE(listed) << listed.error().reason;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].conversation_ids, std::vector<std::string>{"ffff"});
  EXPECT_EQ((*listed)[1].conversation_ids, std::vector<std::string>{"0123abcd"});

  auto unknown = store_->linkConversation("no-such-sandbox", "beef");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().reason.find("no-such-sandbox"), std::string::npos) << unknown.error().reason;
  EXPECT_NE(unknown.error().reason.find("no such sandbox"), std::string::npos) << unknown.error().reason;
  EXPECT_FALSE(store_->linkConversation("s1", ""));
}

// This test verifies countByOwner against inserts and removes.
TEST_P(SandboxStoreContract, CountByOwnerCountsOnlyThatOwner) {
  EXPECT_EQ(store_->countByOwner("owner-a").value(), 0u);
  insertOk(sampleRecord("a1", "owner-a"));
  insertOk(sampleRecord("a2", "owner-a"));
  insertOk(sampleRecord("b1", "owner-b"));
  EXPECT_EQ(store_->countByOwner("owner-a").value(), 2u);
  EXPECT_EQ(store_->countByOwner("owner-b").value(), 1u);
  EXPECT_EQ(store_->countByOwner("OWNER-A").value(), 0u);
  ASSERT_TRUE(store_->remove("a1").value());
  EXPECT_EQ(store_->countByOwner("owner-a").value(), 1u);
}

// This test verifies the race two gateways (two connections) run on one revision: in every
// round exactly one compare-and-set wins and the revision moves by one.
TEST_P(SandboxStoreContract, OfTwoConcurrentUpdatesOfOneRevisionExactlyOneWins) {
  SandboxStorePtr other = open(url_);
  ASSERT_NE(other, nullptr);
  insertOk(sampleRecord("contended"));
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    const SandboxRecord base = stored("contended");
    std::atomic<int> wins{0};
    std::atomic<int> errors{0};
    std::barrier start(2);
    auto contend = [&](const SandboxStorePtr& store, const std::string& mark) {
      SandboxRecord mine = base;
      mine.last_error = mark;
      start.arrive_and_wait();
      auto updated = store->update(mine);
      if (!updated) {
        ++errors;
      } else if (*updated) {
        ++wins;
      }
    };
    std::thread first(contend, store_, "first");
    std::thread second(contend, other, "second");
    first.join();
    second.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(errors.load(), 0) << "round " << round;
    EXPECT_EQ(stored("contended").revision, base.revision + 1) << "round " << round;
  }
}

// This test verifies concurrent inserts from threads (one store shared, as the API thread and
// the reconciler share it, plus a second connection): every distinct id lands once, and of
// many inserts of one id exactly one succeeds.
TEST_P(SandboxStoreContract, ConcurrentInsertsLandExactlyOnce) {
  SandboxStorePtr other = open(url_);
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  std::atomic<int> same_id_wins{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t]() {
      const SandboxStorePtr& store = t % 2 == 0 ? store_ : other;
      for (int i = 0; i < kPerThread; ++i) {
        auto inserted = store->insert(sampleRecord("t" + std::to_string(t) + "-" + std::to_string(i), "owner-a", i));
        failures += inserted && *inserted ? 0 : 1;
        // Different letter cases of one id: still one sandbox.
        auto same = store->insert(sampleRecord(i % 2 == 0 ? "shared" : "SHARED", "owner-b", i));
        failures += same ? 0 : 1;
        same_id_wins += same && *same ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(same_id_wins.load(), 1);
  EXPECT_EQ(store_->countByOwner("owner-a").value(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(store_->countByOwner("owner-b").value(), 1u);
}

// This test verifies the durability the service relies on: closing and reopening the store
// (a gateway restart) keeps every record, revision and link.
TEST_P(SandboxStoreContract, ReopeningKeepsEverything) {
  SandboxRecord record = sampleRecord("durable");
  insertOk(record);
  ASSERT_TRUE(store_->linkConversation("durable", "abcdef"));
  SandboxRecord changed = stored("durable");
  changed.desired = DesiredState::paused;
  ASSERT_TRUE(store_->update(changed).value());
  store_.reset();
  store_ = open(url_);
  ASSERT_NE(store_, nullptr);
  const SandboxRecord back = stored("durable");
  EXPECT_EQ(back.revision, 2);
  EXPECT_EQ(back.desired, DesiredState::paused);
  EXPECT_EQ(back.conversation_ids, std::vector<std::string>{"abcdef"});
  EXPECT_EQ(back.sealed_keys, record.sealed_keys);
}

// This test verifies migrations run once: reopening adds no schema_version rows, and many
// openers of a fresh database at once all succeed with each migration applied once.
TEST_P(SandboxStoreContract, MigrationsApplyOnceEvenToConcurrentOpeners) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(open(url_), nullptr);
  }
  const std::string fresh = backend_->fresh();
  constexpr int kOpeners = 6;
  std::atomic<int> opened{0};
  std::vector<std::string> reasons(kOpeners);
  std::vector<std::thread> openers;
  std::barrier start(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    openers.emplace_back([&, i]() {
      start.arrive_and_wait();
      auto store = openSandboxStore(fresh);
      opened += store ? 1 : 0;
      reasons[static_cast<std::size_t>(i)] = store ? "" : store.error().reason;
    });
  }
  for (std::thread& opener : openers) {
    opener.join();
  }
  EXPECT_EQ(opened.load(), kOpeners) << reasons[0] << reasons[1] << reasons[2];
  for (const std::string& url : {url_, fresh}) {
    // One row per migration: inserting any applied version again must hit the primary key.
    for (int version = 1; version <= latestSchemaVersion(); ++version) {
      EXPECT_NE(backend_->rawSql(url, "INSERT INTO schema_version (version, applied_at) VALUES (" +
                                           std::to_string(version) + ", 0)"),
                "")
          << url << " version " << version;
    }
    // And no row beyond them: the next version's slot is free (then removed again).
    const std::string next = std::to_string(latestSchemaVersion() + 1);
    EXPECT_EQ(backend_->rawSql(url, "INSERT INTO schema_version (version, applied_at) VALUES (" + next + ", 0)"), "");
    EXPECT_EQ(backend_->rawSql(url, "DELETE FROM schema_version WHERE version = " + next), "");
  }
}

// This test verifies that a database migrated by a newer build refuses to open with a message
// saying so, and is left as it was.
TEST_P(SandboxStoreContract, ANewerSchemaRefusesToOpen) {
  insertOk(sampleRecord("kept"));
  store_.reset();
  ASSERT_EQ(rawSql("INSERT INTO schema_version (version, applied_at) VALUES (" +
                   std::to_string(latestSchemaVersion() + 1) + ", 0)"),
            "");
  auto opened = openSandboxStore(url_);
  ASSERT_FALSE(opened);
  const std::string& reason = opened.error().reason;
  EXPECT_NE(reason.find("newer than this build"), std::string::npos) << reason;
  EXPECT_NE(reason.find(std::to_string(latestSchemaVersion() + 1)), std::string::npos) << reason;
  ASSERT_EQ(rawSql("DELETE FROM schema_version WHERE version > " + std::to_string(latestSchemaVersion())), "");
  store_ = open(url_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(stored("kept").id, "kept");
}

// This test verifies that SQL metacharacters in ids, owners and errors are data: stored and
// matched verbatim, never interpreted (no injection, no LIKE wildcards).
TEST_P(SandboxStoreContract, HostileIdsAndOwnersAreStoredVerbatim) {
  const std::vector<std::string> hostile = {
      "x'; DROP TABLE sandboxes; --", "\"quoted\"", "back\\slash", "%", "_", "semi;colon", "$1", "?",
      "héllo-wörld-🦀", "line\nbreak\ttab", std::string(300, 'a')};
  std::int64_t created = 0;
  for (const std::string& text : hostile) {
    SandboxRecord record = sampleRecord("id-" + text, "owner-" + text, ++created);
    record.last_error = "error-" + text;
    insertOk(record);
    ASSERT_TRUE(store_->linkConversation(record.id, "conv-" + text));
  }
  auto all = store_->list(std::nullopt);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), hostile.size());
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    const std::string& text = hostile[i];
    const SandboxRecord back = stored("id-" + text);
    EXPECT_EQ(back.owner, "owner-" + text);
    EXPECT_EQ(back.last_error, "error-" + text);
    EXPECT_EQ(back.conversation_ids, std::vector<std::string>{"conv-" + text});
    auto of_owner = store_->list("owner-" + text);
    ASSERT_TRUE(of_owner) << of_owner.error().reason;
    EXPECT_EQ(idsOf(*of_owner), std::vector<std::string>{"id-" + text}) << text;
    EXPECT_EQ(store_->countByOwner("owner-" + text).value(), 1u) << text;
  }
  EXPECT_EQ(store_->countByOwner("owner-%").value(), 1u);  // not a pattern
  EXPECT_TRUE(store_->list("owner-_").value().size() == 1u);
}

// This test verifies that the spec survives exactly: quotes, backslashes, NULs inside strings,
// control characters, non-ASCII, a 1 MB environment in order with duplicate names, the extreme
// user ids and a factor that is not a short decimal.
TEST_P(SandboxStoreContract, TheSpecRoundTripsHostileContentExactly) {
  SandboxRecord record = sampleRecord("spec");
  record.spec.image = "img\"with'quotes\\and\0nul";
  record.spec.command = {"sh", "-c", "echo \"$HOME\" \\n '\x01\x1f' \xe2\x80\xa8", std::string("a\0b", 3), ""};
  record.spec.working_dir = "/workspace/ünïcödé/日本";
  record.spec.environment.clear();
  for (int i = 0; i < 1024; ++i) {
    record.spec.environment.emplace_back("VAR_" + std::to_string(1023 - i), std::string(1024, static_cast<char>('A' + i % 26)));
  }
  record.spec.environment.emplace_back("DUP", "first");
  record.spec.environment.emplace_back("DUP", std::string("second\0with nul", 15));
  record.spec.environment.emplace_back("", "");
  record.spec.run_as_user = 0;
  record.spec.run_as_group = 4294967295u;
  record.spec.fs_group = std::nullopt;
  record.spec.resource_factor = 0.1 + 0.2;
  insertOk(record);
  const SandboxRecord back = stored("spec");
  expectSameRecord(back, record);
  EXPECT_EQ(back.spec.environment.size(), 1027u);
}

// This test verifies that sealed keys are opaque bytes: every byte value, NULs included.
TEST_P(SandboxStoreContract, SealedKeysKeepEveryByte) {
  SandboxRecord record = sampleRecord("keys");
  record.sealed_keys.clear();
  for (int byte = 0; byte < 256; ++byte) {
    record.sealed_keys.push_back(static_cast<char>(byte));
  }
  insertOk(record);
  EXPECT_EQ(stored("keys").sealed_keys, record.sealed_keys);
  SandboxRecord empty = sampleRecord("empty-keys");
  empty.sealed_keys.clear();
  insertOk(empty);
  EXPECT_EQ(stored("empty-keys").sealed_keys, "");
}

// This test verifies the values no backend can keep exactly are refused with a reason naming
// the field, and that lookups with such keys find nothing rather than something truncated.
TEST_P(SandboxStoreContract, UnstorableTextIsRefusedAndNeverTruncated) {
  insertOk(sampleRecord("a", "owner"));
  const std::string nul_id("a\0evil", 6);
  const std::string nul_owner("owner\0evil", 10);
  auto refused = store_->insert(sampleRecord(nul_id));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().reason.find("NUL"), std::string::npos) << refused.error().reason;
  refused = store_->insert(sampleRecord("b", nul_owner));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().reason.find("owner"), std::string::npos) << refused.error().reason;
  refused = store_->insert(sampleRecord("c", "owner-\xff\xfe"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().reason.find("UTF-8"), std::string::npos) << refused.error().reason;
  SandboxRecord bad_spec = sampleRecord("d");
  bad_spec.spec.image = "\xc0\xaf";  // an overlong '/'
  EXPECT_FALSE(store_->insert(bad_spec));
  SandboxRecord bad_factor = sampleRecord("e");
  bad_factor.spec.resource_factor = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(store_->insert(bad_factor));
  EXPECT_FALSE(store_->insert(sampleRecord("")));
  EXPECT_FALSE(store_->insert(sampleRecord("f", "")));

  EXPECT_FALSE(store_->get(nul_id).value().has_value());
  EXPECT_TRUE(store_->list(nul_owner).value().empty());
  EXPECT_EQ(store_->countByOwner(nul_owner).value(), 0u);
  EXPECT_FALSE(store_->remove(nul_id).value());
  SandboxRecord update = stored("a");
  update.id = nul_id;
  EXPECT_FALSE(store_->update(update).value());
  EXPECT_FALSE(store_->linkConversation("a", std::string("c\0d", 3)));
  EXPECT_FALSE(store_->linkConversation(nul_id, "cd"));
  EXPECT_EQ(store_->countByOwner("owner").value(), 1u);
  EXPECT_TRUE(stored("a").conversation_ids.empty());
}

// This test verifies that a record whose stored spec was damaged on disk is a clear failure
// naming it, for get and for a list that includes it, while other records still read.
TEST_P(SandboxStoreContract, ACorruptStoredSpecIsAClearErrorForThatRecord) {
  insertOk(sampleRecord("broken", "owner-a", 1));
  insertOk(sampleRecord("fine", "owner-b", 2));
  insertOk(sampleRecord("wrong-type", "owner-c", 3));
  insertOk(sampleRecord("bad-state", "owner-d", 4));
  ASSERT_EQ(rawSql("UPDATE sandboxes SET spec = '{\"image\": \"x\", \"command\": [' WHERE id = 'broken'"), "");
  ASSERT_EQ(rawSql("UPDATE sandboxes SET spec = '{\"image\": 7}' WHERE id = 'wrong-type'"), "");
  // The CHECK constraint keeps a bad state out; a hand-edited schema might not have it.
  const std::string no_check = rawSql("UPDATE sandboxes SET desired = 'exploded' WHERE id = 'bad-state'");
  EXPECT_NE(no_check, "");

  auto broken = store_->get("broken");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().reason.find("sandbox broken"), std::string::npos) << broken.error().reason;
  EXPECT_NE(broken.error().reason.find("not JSON"), std::string::npos) << broken.error().reason;
  auto wrong = store_->get("wrong-type");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().reason.find("\"image\""), std::string::npos) << wrong.error().reason;

  EXPECT_EQ(stored("fine").id, "fine");
  EXPECT_EQ(store_->list("owner-b").value().size(), 1u);
  auto all = store_->list(std::nullopt);
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().reason.find("sandbox broken"), std::string::npos) << all.error().reason;
  // The damaged record can still be removed, after which everything lists again.
  ASSERT_TRUE(store_->remove("broken").value());
  ASSERT_TRUE(store_->remove("wrong-type").value());
  EXPECT_EQ(store_->list(std::nullopt).value().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Stores, SandboxStoreContract, ::testing::Values(Backend::sqlite, Backend::postgresql),
                         [](const ::testing::TestParamInfo<Backend>& backend) {
                           return testing::nameOf(backend.param);
                         });

}  // namespace
}  // namespace oh::control
