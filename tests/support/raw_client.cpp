#include "support/raw_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace oh::testing {

namespace {

constexpr std::size_t kMaxHeaderLine = 1024 * 1024;

int toPollTimeout(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::min<std::chrono::milliseconds::rep>(timeout.count(), 1 << 30));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

RawClient::RawClient(std::uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const sockaddr_in address = loopback(port);
  // NOLINTNEXTLINE: the sockets API takes sockaddr*.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
    error_ = std::string("connect: ") + std::strerror(errno);
    close();
    return;
  }
  pollfd pfd{fd_, POLLOUT, 0};
  if (::poll(&pfd, 1, toPollTimeout(timeout)) != 1) {
    error_ = "connect: timeout";
    close();
    return;
  }
  int so_error = 0;
  socklen_t length = sizeof so_error;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &length);
  if (so_error != 0) {
    error_ = std::string("connect: ") + std::strerror(so_error);
    close();
  }
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void RawClient::shutdownWrite() {
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_WR);
  }
}

bool RawClient::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  while (!bytes.empty()) {
    if (fd_ < 0) {
      error_ = "send: not connected";
      return false;
    }
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, toPollTimeout(timeout)) != 1) {
        error_ = "send: timeout";
        return false;
      }
      continue;
    }
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool RawClient::sendPattern(std::uint64_t size, std::chrono::milliseconds timeout) {
  std::array<char, 64 * 1024> chunk{};
  std::uint64_t done = 0;
  while (done < size) {
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - done));
    fillPattern(chunk.data(), length, done);
    if (!send(std::string_view(chunk.data(), length), timeout)) {
      return false;
    }
    done += length;
  }
  return true;
}

bool RawClient::sendChunkedPattern(std::uint64_t size, std::size_t chunk_bytes, std::chrono::milliseconds timeout) {
  std::string chunk;
  std::uint64_t done = 0;
  while (done < size) {
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes, size - done));
    std::array<char, 32> size_line{};
    auto [end, ec] = std::to_chars(size_line.data(), size_line.data() + size_line.size(), length, 16);
    chunk.assign(size_line.data(), end);
    chunk += "\r\n";
    const std::size_t start = chunk.size();
    chunk.resize(start + length);
    fillPattern(chunk.data() + start, length, done);
    chunk += "\r\n";
    if (!send(chunk, timeout)) {
      return false;
    }
    done += length;
  }
  return send("0\r\n\r\n", timeout);
}

bool RawClient::fill(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || eof_) {
    error_ = eof_ ? "connection closed by peer" : "not connected";
    return false;
  }
  std::array<char, 64 * 1024> chunk{};
  for (;;) {
    const ssize_t got = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (got > 0) {
      buffer_.append(chunk.data(), static_cast<std::size_t>(got));
      return true;
    }
    if (got == 0) {
      eof_ = true;
      error_ = "connection closed by peer";
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, toPollTimeout(timeout)) != 1) {
        error_ = "read: timeout";
        return false;
      }
      continue;
    }
    if (errno == ECONNRESET) {
      eof_ = true;
    }
    error_ = std::string("recv: ") + std::strerror(errno);
    return false;
  }
}

std::optional<std::string> RawClient::readLine(std::chrono::milliseconds timeout) {
  for (;;) {
    const auto end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    if (buffer_.size() > kMaxHeaderLine) {
      error_ = "line too long";
      return std::nullopt;
    }
    if (!fill(timeout)) {
      return std::nullopt;
    }
  }
}

void RawClient::consumeBody(std::string_view bytes, RawResponse& response, const ReadOptions& options, Sha256& sha) {
  if (response.body_matches_pattern) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] != patternByte(response.body_bytes + i)) {
        response.body_matches_pattern = false;
        break;
      }
    }
  }
  sha.update(bytes.data(), bytes.size());
  response.body_bytes += bytes.size();
  if (options.keep_body) {
    response.body.append(bytes);
  }
}

std::optional<RawResponse> RawClient::readResponse(const ReadOptions& options) {
  for (;;) {
    RawResponse response;
    auto status_line = readLine(options.timeout);
    if (!status_line) {
      return std::nullopt;
    }
    // "HTTP/1.1 200 OK"
    const auto first_space = status_line->find(' ');
    if (first_space == std::string::npos || status_line->size() < first_space + 4) {
      error_ = "bad status line: " + *status_line;
      return std::nullopt;
    }
    response.version = status_line->substr(0, first_space);
    const char* digits = status_line->data() + first_space + 1;
    if (std::from_chars(digits, digits + 3, response.status).ec != std::errc{}) {
      error_ = "bad status line: " + *status_line;
      return std::nullopt;
    }
    response.reason = status_line->size() > first_space + 5 ? status_line->substr(first_space + 5) : "";
    for (;;) {
      auto line = readLine(options.timeout);
      if (!line) {
        return std::nullopt;
      }
      if (line->empty()) {
        break;
      }
      const auto colon = line->find(':');
      if (colon == std::string::npos) {
        error_ = "bad header line: " + *line;
        return std::nullopt;
      }
      response.headers.push_back({line->substr(0, colon), std::string(trim(std::string_view(*line).substr(colon + 1)))});
    }
    if (response.status == 100 && !options.keep_interim) {
      continue;
    }
    Sha256 sha;
    const bool no_body = options.head_request || response.status == 101 || response.status == 204 ||
                         response.status == 304 || (response.status >= 100 && response.status < 200);
    if (no_body) {
      response.body_sha256 = sha.finalHex();
      return response;
    }
    const auto transfer_encoding = response.header("Transfer-Encoding");
    if (transfer_encoding && transfer_encoding->find("chunked") != std::string::npos) {
      for (;;) {
        auto size_line = readLine(options.timeout);
        if (!size_line) {
          return std::nullopt;
        }
        std::uint64_t chunk_size = 0;
        const auto size_end = size_line->find(';');
        const std::string_view hex = trim(std::string_view(*size_line).substr(0, size_end));
        if (hex.empty() || std::from_chars(hex.data(), hex.data() + hex.size(), chunk_size, 16).ec != std::errc{}) {
          error_ = "bad chunk size: " + *size_line;
          return std::nullopt;
        }
        if (chunk_size == 0) {
          for (;;) {  // trailers
            auto trailer = readLine(options.timeout);
            if (!trailer) {
              return std::nullopt;
            }
            if (trailer->empty()) {
              break;
            }
          }
          break;
        }
        std::uint64_t remaining = chunk_size;
        while (remaining > 0) {
          if (buffer_.empty() && !fill(options.timeout)) {
            return std::nullopt;
          }
          const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer_.size()));
          consumeBody(std::string_view(buffer_).substr(0, take), response, options, sha);
          buffer_.erase(0, take);
          remaining -= take;
        }
        auto crlf = readLine(options.timeout);
        if (!crlf || !crlf->empty()) {
          error_ = "missing CRLF after chunk";
          return std::nullopt;
        }
      }
    } else if (const auto length = response.header("Content-Length")) {
      std::uint64_t size = 0;
      if (std::from_chars(length->data(), length->data() + length->size(), size).ec != std::errc{}) {
        error_ = "bad Content-Length: " + *length;
        return std::nullopt;
      }
      if (!readBody(size, response, options)) {
        return std::nullopt;
      }
    } else {
      // Delimited by close.
      for (;;) {
        if (!buffer_.empty()) {
          consumeBody(buffer_, response, options, sha);
          buffer_.clear();
        }
        if (!fill(options.timeout)) {
          if (!eof_) {
            return std::nullopt;
          }
          break;
        }
      }
    }
    if (response.body_sha256.empty()) {
      response.body_sha256 = sha.finalHex();
    }
    return response;
  }
}

bool RawClient::readBody(std::uint64_t size, RawResponse& response, const ReadOptions& options) {
  Sha256 sha;
  std::uint64_t remaining = size;
  while (remaining > 0) {
    if (buffer_.empty() && !fill(options.timeout)) {
      return false;
    }
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer_.size()));
    consumeBody(std::string_view(buffer_).substr(0, take), response, options, sha);
    buffer_.erase(0, take);
    remaining -= take;
  }
  response.body_sha256 = sha.finalHex();
  return true;
}

bool RawClient::waitForClose(std::chrono::milliseconds timeout, std::string* extra) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (extra != nullptr) {
      extra->append(buffer_);
    }
    buffer_.clear();
    if (eof_) {
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    if (!fill(left) && !eof_) {
      return false;
    }
  }
}

std::string buildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body, std::string_view host, bool close) {
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(host).append("\r\n");
  for (const auto& field : headers) {
    request.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  if (!body.empty()) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  if (close) {
    request.append("Connection: close\r\n");
  }
  request.append("\r\n").append(body);
  return request;
}

std::optional<RawResponse> simpleRequest(std::uint16_t port, std::string_view method, std::string_view target,
                                         const Headers& headers, std::string_view body, std::string_view host) {
  RawClient client{port};
  if (!client.connected() || !client.send(buildRequest(method, target, headers, body, host, true))) {
    return std::nullopt;
  }
  ReadOptions options;
  options.head_request = method == "HEAD";
  return client.readResponse(options);
}

std::uint16_t unusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(0);
  // NOLINTNEXTLINE: the sockets API takes sockaddr*.
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  // NOLINTNEXTLINE: the sockets API takes sockaddr*.
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace oh::testing
