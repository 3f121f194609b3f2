#pragma once
// A PostgreSQL 15 cluster of the test's own (TESTING.md): initdb in a temporary directory, a
// server listening only on a Unix socket in that directory (no TCP port, so nothing on the
// machine is touched or depended on), stopped by its PID when the object goes. As root (CI) the
// server runs as the postgres user, since PostgreSQL refuses to run as root. Header-only and
// POSIX-only, like child_processes.h; links libpq for the readiness check.
//
//   std::string error;
//   auto postgres = PrivatePostgres::start(error);        // ~2 s
//   std::string url = postgres->createDatabase("t1", error);   // postgresql://postgres@/t1?host=…
//
// With a TCP address (start(error, "169.254.…")) it also listens there on a free port, and
// clients other than the local socket and 127.0.0.1 must log in with a password (SCRAM): what
// containers of the test need to reach it as they would reach Aurora.

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_processes.h"
#include "support/free_port.h"

namespace oh::testing {

class PrivatePostgres {
public:
  // The directory of initdb and postgres (OH_PG_BIN overrides Debian 12's PostgreSQL 15).
  static std::string binDirectory() {
    const char* configured = std::getenv("OH_PG_BIN");
    return configured != nullptr ? configured : "/usr/lib/postgresql/15/bin";
  }

  // Starts a cluster, or returns nullptr with error saying why.
  // tcp_address: "" = the Unix socket alone.
  static std::unique_ptr<PrivatePostgres> start(std::string& error, const std::string& tcp_address = {}) {
    if (!std::filesystem::exists(binDirectory() + "/initdb")) {
      error = "no PostgreSQL at " + binDirectory() + " (scripts/setup.sh installs postgresql)";
      return nullptr;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "oh-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      error = "mkdtemp failed";
      return nullptr;
    }
    std::unique_ptr<PrivatePostgres> cluster(new PrivatePostgres(pattern));
    cluster->tcp_address_ = tcp_address;
    if (!cluster->initialise(error) || !cluster->launch(error)) {
      return nullptr;
    }
    return cluster;
  }

  ~PrivatePostgres() {
    stop();
    if (std::getenv("OH_KEEP_TEST_DIR") == nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
    }
  }
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // The socket directory (libpq's host=).
  std::string socketDirectory() const { return directory_ + "/socket"; }

  // The TCP port (0 without a TCP address).
  std::uint16_t tcpPort() const { return tcp_port_; }

  // A URL for database name as the superuser postgres, over the socket.
  std::string urlFor(const std::string& database) const {
    return "postgresql://postgres@/" + database + "?host=" + socketDirectory() +
           (tcp_port_ != 0 ? "&port=" + std::to_string(tcp_port_) : std::string());
  }

  // Runs SQL (no parameters) on database; "" or libpq's message.
  std::string execute(const std::string& database, const std::string& sql) const {
    PGconn* connection = PQconnectdb(urlFor(database).c_str());
    std::string error;
    if (PQstatus(connection) != CONNECTION_OK) {
      error = PQerrorMessage(connection);
    } else {
      PGresult* result = PQexec(connection, sql.c_str());
      if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
        error = PQresultErrorMessage(result);
      }
      PQclear(result);
    }
    PQfinish(connection);
    return error;
  }

  // Creates an empty database and returns its URL ("" with error on failure).
  std::string createDatabase(const std::string& name, std::string& error) const {
    // FILE_COPY: with fsync off its checkpoints are cheap, unlike WAL-logging template1 (~1 s).
    error = execute("postgres", "CREATE DATABASE \"" + name + "\" STRATEGY FILE_COPY");
    return error.empty() ? urlFor(name) : std::string();
  }

  // Stops the server (fast shutdown) and starts it again on the same directory: what a
  // database restart or failover looks like to a client.
  bool restart(std::string& error) {
    stop();
    return launch(error);
  }

private:
  explicit PrivatePostgres(std::string directory) : directory_(std::move(directory)) {}

  bool initialise(std::string& error) {
    std::filesystem::create_directories(socketDirectory());
    if (::geteuid() == 0) {
      const passwd* postgres = ::getpwnam("postgres");
      if (postgres == nullptr) {
        error = "running as root, but there is no postgres user to run PostgreSQL as";
        return false;
      }
      uid_ = postgres->pw_uid;
      gid_ = postgres->pw_gid;
      for (const std::string& path : {directory_, socketDirectory()}) {
        if (::chown(path.c_str(), uid_, gid_) != 0) {
          error = "cannot hand " + path + " to the postgres user";
          return false;
        }
      }
    }
    const pid_t initdb = spawnAs({binDirectory() + "/initdb", "-D", directory_ + "/data", "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"},
                                 directory_ + "/initdb.log");
    const auto status = waitForExit(initdb, std::chrono::minutes(2));
    if (!status || exitCodeOf(*status) != 0) {
      error = "initdb failed: " + readFile(directory_ + "/initdb.log");
      return false;
    }
    if (!tcp_address_.empty()) {
      tcp_port_ = freeTcpPortOn(tcp_address_);
      if (tcp_port_ == 0) {
        error = "no free port on " + tcp_address_;
        return false;
      }
      // initdb's trust lines (socket, 127.0.0.1) come first; any other peer logs in with SCRAM.
      std::ofstream(directory_ + "/data/pg_hba.conf", std::ios::app) << "host all all 0.0.0.0/0 scram-sha-256\n";
    }
    return true;
  }

  bool launch(std::string& error) {
    // fsync off: a test cluster needs no crash safety (the store's durability across reopen is
    // about the process, which this keeps).
    std::vector<std::string> argv{binDirectory() + "/postgres", "-D", directory_ + "/data", "-k", socketDirectory(),
                                  "-c", "listen_addresses=" + tcp_address_, "-c", "fsync=off", "-c", "max_connections=60"};
    if (tcp_port_ != 0) {
      argv.insert(argv.end(), {"-p", std::to_string(tcp_port_)});
    }
    pid_ = spawnAs(argv, directory_ + "/server.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const std::string ping = urlFor("postgres");
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(ping.c_str()) == PQPING_OK) {
        return true;
      }
      if (waitForExit(pid_, std::chrono::milliseconds(50))) {
        pid_ = -1;
        break;
      }
    }
    error = "postgres did not start: " + readFile(directory_ + "/server.log");
    stop();
    return false;
  }

  void stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(pid_, SIGINT);  // fast shutdown: ends open sessions
    if (!waitForExit(pid_, std::chrono::seconds(30))) {
      terminateProcess(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
  }

  // fork and exec as the postgres user when root; stdout and stderr to log_path.
  pid_t spawnAs(const std::vector<std::string>& argv, const std::string& log_path) const {
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      if (log >= 0) {
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
      }
      if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
        ::_exit(126);
      }
      // A test that crashes must not leave a server behind (set after setuid, which clears it;
      // "parent" is the forking thread: start clusters from the test's main thread).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (log >= 0) {
      ::close(log);
    }
    return pid;
  }

  static std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string directory_;
  std::string tcp_address_;
  std::uint16_t tcp_port_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
};

}  // namespace oh::testing
