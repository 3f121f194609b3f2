#pragma once
// The store on PostgreSQL (Aurora on AWS) through libpq: one connection guarded by a mutex,
// re-established when it breaks, every value a bound parameter. The URL's own settings (sslmode,
// sslrootcert, host=/socket/dir, …) pass through to libpq over defaults that make an unreachable
// or wedged server an error, not a hang: connect_timeout 10 s, statement_timeout 10 s, TCP
// keepalives and tcp_user_timeout 30 s.

#include <string>

#include "store/sandbox_store.h"

namespace oh::control {

// Connects to url (libpq's URI form, no password in it: the caller checked), then migrates.
// url_for_messages is how failures name it.
Result<SandboxStorePtr> openPostgresSandboxStore(const std::string& url, const std::string& url_for_messages);

}  // namespace oh::control
