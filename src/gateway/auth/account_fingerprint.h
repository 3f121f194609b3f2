#pragma once
// A short keyed fingerprint of a local account's password hash, sealed into the account's
// sessions at sign-in and compared on every request: a password change (`oh-gateway users
// passwd`, `users add --force`, any edit of the hash in the users file) changes it, so the
// account's existing sessions stop working at once. Never the hash itself, nor anything that
// helps guess the password without the key: HMAC-SHA256 under a key derived from a cookie key,
// over the name and the hash, cut to 96 bits (16 base64url characters).
//
//   AccountFingerprinter current(cookie_key);
//   session.account_fingerprint = current.fingerprint(name, record.hash);   // at sign-in
//   fingerprintMatches(session.account_fingerprint, expected);             // on each request

#include <string>
#include <string_view>

namespace oh::gateway::auth {

constexpr std::size_t kAccountFingerprintChars = 16;

class AccountFingerprinter {
public:
  // cookie_key: the 32-byte cookie key (auth.cookie_key_file or the previous one); a subkey is
  // derived from it ("oh-account-fingerprint-v1"), so the cookie key itself is never the MAC key.
  explicit AccountFingerprinter(std::string_view cookie_key);
  std::string fingerprint(std::string_view name, std::string_view password_hash) const;

private:
  std::string key_;
};

// Constant time; an empty fingerprint (a session from before fingerprints) never matches.
bool fingerprintMatches(std::string_view session_fingerprint, std::string_view expected);

}  // namespace oh::gateway::auth
