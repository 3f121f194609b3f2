#pragma once
// The durable record of sandboxes (issue 13, DESIGN.md section 6): SQLite in one file on one
// machine (the embedded default), PostgreSQL on AWS (Aurora through the instance's TLS bridge).
// Both pass the same contract suite (tests/unit/control/store/). Implementations are
// thread-safe (the API thread and the reconciler share one store) and apply schema migrations
// in open(); a schema newer than this build refuses to open rather than guess.
//
//   auto store = openSandboxStore("sqlite:///var/lib/oh/sandboxes.db");   // or "postgresql://…"
//   if (!store) { log(store.error().reason); }
//   (*store)->insert(record);

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/sandbox_record.h"

namespace oh::control {

using common::Failure;
using common::Result;

// Returned by calls with nothing to return but success.
struct Done {};

class SandboxStore {
public:
  virtual ~SandboxStore() = default;

  // Adds a record with revision 1. false: a sandbox with this id already exists (any owner, and
  // any case of the id: ids become host names, which are case-insensitive). A failure, naming
  // the field, for what no backend keeps exactly: an empty id or owner, a NUL or invalid UTF-8
  // in the id, owner or last_error, invalid UTF-8 in the spec's strings (NULs there are kept),
  // a resource factor that is not finite. sealed_keys are bytes: anything goes.
  virtual Result<bool> insert(const SandboxRecord& record) = 0;

  // The record with exactly this id (conversation_ids filled, in ascending order), or nullopt
  // (also for an id insert would refuse). A stored record that no longer reads (its spec damaged
  // on disk) is a failure naming it.
  virtual Result<std::optional<SandboxRecord>> get(std::string_view id) = 0;

  // Every record of one owner, or of all owners when owner is nullopt; oldest first (created_at,
  // then id bytewise), conversation_ids filled. One record that no longer reads fails the call,
  // naming it (remove() still works on it).
  virtual Result<std::vector<SandboxRecord>> list(std::optional<std::string_view> owner) = 0;

  // Replaces the record whose id and revision match `record` (compare-and-set), storing
  // revision + 1 and the given updated_at. false: no such id, or another writer got there first
  // (re-read and retry). Neither conversation_ids (linkConversation) nor created_at is written.
  virtual Result<bool> update(const SandboxRecord& record) = 0;

  // Removes the record and its conversation links. false: there was none.
  virtual Result<bool> remove(std::string_view id) = 0;

  // Records that a conversation (lowercase hex id) runs in a sandbox; idempotent. A conversation
  // belongs to one sandbox: linking it again moves it. An unknown sandbox is a failure.
  virtual Result<Done> linkConversation(std::string_view sandbox_id, std::string_view conversation_id) = 0;

  // How many records one owner has (limits), without reading them.
  virtual Result<std::size_t> countByOwner(std::string_view owner) = 0;
};

using SandboxStorePtr = std::shared_ptr<SandboxStore>;

// Opens (creating and migrating as needed) the store a URL names:
//   sqlite:///absolute/path.db            one file, created 0600 with its directory
//   postgresql://user@host:port/db?…      libpq's URI form (sslmode etc. pass through); the
//                                          password comes from PGPASSWORD/PGPASSFILE, never the URL
// A failure names the URL with any password removed, never a secret.
Result<SandboxStorePtr> openSandboxStore(std::string_view url);

}  // namespace oh::control
