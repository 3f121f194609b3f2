#include "auth/local_users.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace oh::gateway::auth {
namespace {

constexpr std::string_view kHeader =
    "# oh-gateway local accounts: one name:argon2id-hash per line. Edit with `oh-gateway users`.\n";

bool ensureSodium() { return sodium_init() >= 0; }

// An exclusive lock on "<path>.lock" for the duration of a read-modify-write.
class FileLock {
public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open((path + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool locked() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

Status failWithErrno(std::string what) { return failure(fmt::format("{}: {}", what, std::strerror(errno))); }

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string joinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) {
    out += out.empty() ? "" : "; ";
    out += p;
  }
  return out;
}

template <class Change>
Status modify(const std::string& path, Change&& change) {
  FileLock lock(path);
  if (!lock.locked()) {
    return failWithErrno("cannot lock " + path + ".lock");
  }
  auto file = loadUsersFile(path, true);
  if (!file) {
    return failure(joinProblems(file.error()));
  }
  Status changed = change(*file);
  if (!changed) {
    return changed;
  }
  return saveUsersFile(path, *file);
}

}  // namespace

PasswordHashParams PasswordHashParams::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHashParams PasswordHashParams::minimumForTests() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

const UserRecord* UsersFile::find(std::string_view name) const {
  for (const UserRecord& u : users) {
    if (u.name == name) {
      return &u;
    }
  }
  return nullptr;
}

bool validUsername(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '-' || name.front() == '.') {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Result<UsersFile, std::vector<std::string>> parseUsersFile(std::string_view contents) {
  std::vector<std::string> problems;
  if (contents.size() > kMaxUsersFileBytes) {
    return fail(std::vector<std::string>{fmt::format("users file larger than {} bytes", kMaxUsersFileBytes)});
  }
  UsersFile file;
  std::size_t line_no = 0;
  while (!contents.empty()) {
    ++line_no;
    const std::size_t nl = contents.find('\n');
    std::string_view line = contents.substr(0, nl);
    contents = nl == std::string_view::npos ? std::string_view() : contents.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.size() > 1024) {
      problems.push_back(fmt::format("line {}: longer than 1024 bytes", line_no));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      problems.push_back(fmt::format("line {}: expected name:hash", line_no));
      continue;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view hash = line.substr(colon + 1);
    if (!validUsername(name)) {
      problems.push_back(fmt::format("line {}: invalid user name", line_no));
      continue;
    }
    if (hash.rfind("$argon2id$", 0) != 0 || hash.size() >= crypto_pwhash_STRBYTES ||
        hash.find_first_of(std::string_view(" \t:\0", 4)) != std::string_view::npos) {
      problems.push_back(fmt::format("line {}: user {} has no argon2id hash", line_no, name));
      continue;
    }
    if (file.find(name) != nullptr) {
      problems.push_back(fmt::format("line {}: duplicate user {}", line_no, name));
      continue;
    }
    file.users.push_back({std::string(name), std::string(hash)});
  }
  if (!problems.empty()) {
    return fail(std::move(problems));
  }
  return file;
}

std::string serializeUsersFile(const UsersFile& file) {
  std::string out(kHeader);
  for (const UserRecord& u : file.users) {
    out += u.name;
    out += ':';
    out += u.hash;
    out += '\n';
  }
  return out;
}

Result<UsersFile, std::vector<std::string>> loadUsersFile(const std::string& path, bool missing_ok,
                                                          std::string* warning) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT && missing_ok) {
      return UsersFile{};
    }
    return fail(std::vector<std::string>{fmt::format("cannot read users file {}: {}", path, std::strerror(errno))});
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(std::vector<std::string>{fmt::format("users file {} is not a regular file", path)});
  }
  if ((st.st_mode & 077) != 0) {
    std::string problem = fmt::format("users file {} is accessible by group or others (mode {:o}); run chmod 600 {}",
                                      path, st.st_mode & 0777, path);
    if (warning == nullptr) {
      return fail(std::vector<std::string>{std::move(problem)});
    }
    *warning = std::move(problem);
  }
  std::ifstream in(path, std::ios::binary);
  std::string contents;
  contents.resize(kMaxUsersFileBytes + 1);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<std::size_t>(in.gcount()));
  auto parsed = parseUsersFile(contents);
  if (!parsed) {
    std::vector<std::string> problems;
    for (const std::string& p : parsed.error()) {
      problems.push_back(path + ": " + p);
    }
    return fail(std::move(problems));
  }
  return parsed;
}

Status saveUsersFile(const std::string& path, const UsersFile& file) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return failWithErrno("cannot create a temporary file beside " + path);
  }
  const std::string data = serializeUsersFile(file);
  const bool ok = ::fchmod(fd, 0600) == 0 && writeAll(fd, data) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved_errno;
    return failWithErrno("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    return failWithErrno("cannot replace " + path);
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return okStatus();
}

Status checkNewPassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return failure(fmt::format("password must have at least {} characters", kMinPasswordBytes));
  }
  if (password.size() > kMaxPasswordBytes) {
    return failure(fmt::format("password must have at most {} bytes", kMaxPasswordBytes));
  }
  for (const char ch : password) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return failure("password must not contain control characters");
    }
  }
  return okStatus();
}

Result<std::string> hashPassword(std::string_view password, const PasswordHashParams& params) {
  if (!ensureSodium()) {
    return failure("libsodium failed to initialise");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), params.opslimit, params.memlimit) != 0) {
    return failure("password hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool needsRehash(std::string_view hash, const PasswordHashParams& params) {
  const std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), params.opslimit, params.memlimit) != 0;
}

Status addUser(const std::string& path, std::string_view name, std::string_view password,
               const PasswordHashParams& params) {
  if (!validUsername(name)) {
    return failure("invalid user name: use 1-128 of A-Z a-z 0-9 . _ @ + - (not starting with - or .)");
  }
  if (Status s = checkNewPassword(password); !s) {
    return s;
  }
  return modify(path, [&](UsersFile& file) -> Status {
    if (file.find(name) != nullptr) {
      return failure(fmt::format("user {} already exists", name));
    }
    auto hash = hashPassword(password, params);
    if (!hash) {
      return fail(hash.error());
    }
    file.users.push_back({std::string(name), std::move(hash).value()});
    return okStatus();
  });
}

Status removeUser(const std::string& path, std::string_view name) {
  return modify(path, [&](UsersFile& file) -> Status {
    const auto before = file.users.size();
    std::erase_if(file.users, [&](const UserRecord& u) { return u.name == name; });
    if (file.users.size() == before) {
      return failure(fmt::format("no user {}", validUsername(name) ? name : "(invalid name)"));
    }
    return okStatus();
  });
}

Status setPassword(const std::string& path, std::string_view name, std::string_view password,
                   const PasswordHashParams& params) {
  if (Status s = checkNewPassword(password); !s) {
    return s;
  }
  return modify(path, [&](UsersFile& file) -> Status {
    for (UserRecord& u : file.users) {
      if (u.name == name) {
        auto hash = hashPassword(password, params);
        if (!hash) {
          return fail(hash.error());
        }
        u.hash = std::move(hash).value();
        return okStatus();
      }
    }
    return failure(fmt::format("no user {}", validUsername(name) ? name : "(invalid name)"));
  });
}

Result<std::vector<std::string>> listUsers(const std::string& path) {
  auto file = loadUsersFile(path, true);
  if (!file) {
    return failure(joinProblems(file.error()));
  }
  std::vector<std::string> names;
  for (const UserRecord& u : file->users) {
    names.push_back(u.name);
  }
  return names;
}

LocalAccounts::LocalAccounts(UsersFile file, PasswordHashParams params) : file_(std::move(file)) {
  // A hash with the deployment's cost, so an unknown name takes as long as a wrong password.
  auto dummy = hashPassword("oh-gateway dummy password for unknown users", params);
  dummy_hash_ = dummy ? std::move(dummy).value() : std::string();
}

bool LocalAccounts::verify(std::string_view name, std::string_view password) const {
  if (!ensureSodium() || password.size() > kMaxPasswordBytes) {
    return false;
  }
  const UserRecord* user = file_.find(name);
  const std::string& hash = user != nullptr ? user->hash : dummy_hash_;
  if (hash.empty()) {
    return false;
  }
  const bool match = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  return match && user != nullptr;
}

}  // namespace oh::gateway::auth
